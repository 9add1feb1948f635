/*!
`cutover cleanup PLAN`: deletes what the migration kept on purpose once the
operator is done with it — the snapshots of servers that moved and the old
servers a `redeploy` kept stopped — for servers whose move ended `moved`
only, never while a run holds the journal. `--dry-run` lists what would go;
otherwise the operator confirms (or gives `--yes`). One row per resource
with what came of it (`-f json` too); exit 3 when something stayed.
*/

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::Context as _;
use cutover_cloud::{Profile, RetryPolicy};
use cutover_engine::{Cleanup, Leftover, OpenStackDriver, Opened};
use serde_json::json;

use super::{plan, plan_file};
use crate::cli::CleanupArgs;
use crate::ctx::Ctx;
use crate::errors::{CleanupIncomplete, InputError};
use crate::output::Listing;

pub fn run(args: CleanupArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let plan = plan::file::load(&args.plan)?;
    let journal = plan_file::journal_path(&args.plan, args.journal.as_deref());
    if !journal.exists() {
        return Err(InputError(format!("no journal at {} (nothing ran, nothing was kept)", journal.display())).into());
    }
    if !args.dry_run && !args.yes && !std::io::stdin().is_terminal() {
        return Err(InputError(
            "give --yes to delete without a question (stdin is not a terminal), or --dry-run".into(),
        )
        .into());
    }
    let profile = Profile::resolve(ctx.settings.cloud()).map_err(cutover_cloud::Error::from)?;
    let here = plan_file::clouds_here(&plan, &profile, &ctx.settings);
    plan_file::check_clouds(&plan, &args.plan, &here)?;
    let opened = Opened::open(&plan, &journal)?;
    let (rows, deleting) = ctx.block_on(async {
        let driver =
            OpenStackDriver::connect(&profile, &here.old_region, &here.new_region, RetryPolicy::default()).await?;
        let mut cleanup = Cleanup::start(plan, opened, Arc::new(driver))?;
        let found = cleanup.find().await?;
        let deletable = found.iter().filter(|l| l.kept.is_none()).count();
        if args.dry_run || deletable == 0 || !(args.yes || confirmed(deletable)?) {
            let what = if args.dry_run { "would delete" } else { "not deleted" };
            let rows = found.into_iter().map(|l| {
                let why = l.kept.as_ref().map_or(what.to_string(), |why| format!("kept: {why}"));
                (l, Err(why))
            });
            return anyhow::Ok((rows.collect::<Vec<_>>(), false));
        }
        let results = cleanup.delete(&found).await?;
        anyhow::Ok((found.into_iter().zip(results).collect(), true))
    })?;
    ctx.out.print(listing(&rows))?;
    let kept = rows.iter().filter(|(_, r)| r.is_err()).count();
    if deleting && kept > 0 {
        return Err(CleanupIncomplete { kept, total: rows.len() }.into());
    }
    Ok(())
}

/// Asks on the terminal; only `y` or `yes` deletes.
fn confirmed(count: usize) -> anyhow::Result<bool> {
    eprint!("Delete {count} resources the migration kept (snapshots, stopped old servers)? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("reading the answer")?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn listing(rows: &[(Leftover, Result<(), String>)]) -> Listing {
    let mut listing = Listing::new(["Old ID", "Name", "Kind", "ID", "Result"]);
    for (leftover, result) in rows {
        let result = match result {
            Ok(()) => "deleted".to_string(),
            Err(why) => why.clone(),
        };
        listing.push([
            json!(leftover.server),
            json!(leftover.name),
            json!(leftover.kind),
            json!(leftover.id),
            json!(result),
        ]);
    }
    listing
}
