/*!
`cutover rollback PLAN (SERVER... | --all)`: turns moves back through the
run's journal, on request. Each server named (old id or name, as in the
plan) is recorded as asked for before anything runs; then the engine works
on those servers alone: a move not started is left alone for good, one
under way turns back, one that moved goes back into the old region with
the same ports, volumes, floating IPs and power state. Bad input (no
server named, one not in the plan, no journal, a journal another run
holds) is one line, exit 2, nothing changed. The report is `cutover run`'s,
of those servers; exit 0 when each is in the old region, 3 otherwise.
*/

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use cutover_cloud::{Profile, RetryPolicy};
use cutover_core::id::ServerId;
use cutover_core::machine::Strategy;
use cutover_core::plan::Plan;
use cutover_engine::{Clock, Engine, OpenStackDriver, Opened, Outcome, Report, RollbackRequest, ServerReport};

use super::run::{options, progress, stop_signal};
use super::{plan, plan_file, report};
use crate::cli::RollbackArgs;
use crate::ctx::Ctx;
use crate::errors::{InputError, NotAllBack};

pub fn run(args: RollbackArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let plan = plan::file::load(&args.plan)?;
    let sources = pick(&plan, &args)?;
    let journal = plan_file::journal_path(&args.plan, args.journal.as_deref());
    if !journal.exists() {
        return Err(
            InputError(format!("no journal at {} (nothing ran, nothing to roll back)", journal.display())).into()
        );
    }
    let profile = Profile::resolve(ctx.settings.cloud()).map_err(cutover_cloud::Error::from)?;
    let here = plan_file::clouds_here(&plan, &profile, &ctx.settings);
    plan_file::check_clouds(&plan, &args.plan, &here)?;
    let opened = Opened::open(&plan, &journal)?;
    let options = options(&ctx.settings, [None; 4], args.poll_max);
    let (requests, mut report) = ctx.block_on(async {
        // Connected before anything is recorded: clouds that cannot be
        // reached leave the journal as it was.
        let driver =
            OpenStackDriver::connect(&profile, &here.old_region, &here.new_region, RetryPolicy::default()).await?;
        let mut engine = Engine::start(plan, opened, Arc::new(driver), options, Clock::system())?;
        let requests = engine.request_rollback(&sources)?;
        let mut display = progress::Display::new(sources.len());
        let report = engine.run(&mut |p| display.update(p), stop_signal()).await;
        display.finish();
        anyhow::Ok((requests, report?))
    })?;
    explain(&mut report, &requests);
    report::print(&report, ctx)?;
    let unfinished = |s: &&ServerReport| s.result == Outcome::Unfinished && !nothing_to_do(&s.old_id, &requests);
    if report.servers.iter().any(|s| unfinished(&s)) {
        anyhow::bail!(
            "stopped before every rollback ended; `cutover rollback {} ...` (or `cutover run`) goes on",
            args.plan.display()
        );
    }
    let not_back = report.servers.iter().filter(|s| !back(s, &requests)).count();
    if not_back > 0 {
        return Err(NotAllBack { not_back, total: report.servers.len() }.into());
    }
    Ok(())
}

/// The old ids of the servers asked for, each once, in plan order.
fn pick(plan: &Plan, args: &RollbackArgs) -> Result<Vec<ServerId>, InputError> {
    let planned: Vec<_> = plan.servers().map(|(_, s)| &s.server).collect();
    match (args.all, args.servers.is_empty()) {
        (true, true) => return Ok(planned.iter().map(|s| s.id.clone()).collect()),
        (false, true) => {
            return Err(InputError("give the servers to roll back (old id or name, as in the plan), or --all".into()))
        }
        (true, false) => return Err(InputError("give servers or --all, not both".into())),
        (false, false) => {}
    }
    let mut wanted = BTreeSet::new();
    for asked in &args.servers {
        let by_id: Vec<_> = planned.iter().filter(|s| s.id == *asked).collect();
        let by_name: Vec<_> = planned.iter().filter(|s| s.name == *asked).collect();
        let id = match (by_id.as_slice(), by_name.as_slice()) {
            ([server], _) | ([], [server]) => server.id.clone(),
            ([], []) => return Err(not_planned(asked, &args.plan)),
            (_, several) => {
                let ids: Vec<&str> = several.iter().map(|s| s.id.as_str()).collect();
                return Err(InputError(format!(
                    "server name {asked} is used by {} servers of the plan ({}): give the id",
                    ids.len(),
                    ids.join(", ")
                )));
            }
        };
        wanted.insert(id);
    }
    Ok(planned.iter().filter(|s| wanted.contains(&s.id)).map(|s| s.id.clone()).collect())
}

fn not_planned(asked: &str, plan: &Path) -> InputError {
    InputError(format!("server {asked} is not in plan {} (give an old server id or name)", plan.display()))
}

fn nothing_to_do(id: &str, requests: &[RollbackRequest]) -> bool {
    requests.iter().any(|r| r.server == id && r.nothing_to_do.is_some())
}

/// In the old region: rolled back, or never taken out of it (a server
/// left to its owner, one back already).
fn back(server: &ServerReport, requests: &[RollbackRequest]) -> bool {
    server.result == Outcome::RolledBack
        || (nothing_to_do(&server.old_id, requests) && server.strategy == Strategy::Wait)
}

/// Says in the report why nothing was done for a server.
fn explain(report: &mut Report, requests: &[RollbackRequest]) {
    for request in requests {
        let Some(why) = &request.nothing_to_do else { continue };
        if let Some(server) = report.servers.iter_mut().find(|s| s.old_id == request.server) {
            server.reason = Some(format!("nothing to do: {why}"));
        }
    }
}
