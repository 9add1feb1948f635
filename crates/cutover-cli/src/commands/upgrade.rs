/*!
`cutover upgrade`: the whole procedure in one command, each phase through
its own command's function (called with plain values, never another
command's flags): preflight → env verify → sync → plan, then (with
`--approve`) drain → hand-off → rejoin → retire. Without `--approve` it
stops once the plan is written, for the operator to read; the same
command with `--approve` then applies that very plan (never a new one)
and resumes after a `kill -9` like `cutover run`.
*/

use super::plan::Recipe;
use super::run::{apply, host_options, Request};
use super::{env, plan, plan_file, preflight, retire, sync};
use crate::cli::UpgradeArgs;
use crate::ctx::Ctx;
use crate::errors::SyncIncomplete;
use crate::output::Format;

pub fn run(args: UpgradeArgs, ctx: &Ctx) -> anyhow::Result<()> {
    // The phases' tables go to stdout; under -f json|yaml|csv to stderr,
    // leaving stdout to the run's report.
    let phases = Ctx {
        out: if ctx.out.format() == Format::Table { ctx.out.clone() } else { ctx.out.clone().on_stderr() },
        ..ctx.clone()
    };
    let plan_exists = args.plan.exists();
    check_inputs(&args, plan_exists, ctx)?;
    heading("preflight: both regions, admin rights, services, capacity");
    preflight::run(&phases)?;
    heading("env verify: the new region's conductor, scheduler and compute hosts");
    env::verify::as_configured(&phases)?;
    if plan_exists {
        heading(&format!("plan: {} exists; checked against the clouds, applied as it is", args.plan.display()));
        plan::check_file(&args.plan, &phases)?;
    } else {
        heading("sync: flavors, keypairs, quotas, server groups, aggregates into the new region");
        match sync::sync(sync::Options::all(), &phases) {
            // What sync cannot make equal is in its report; the plan's
            // checks say whether the servers can still move.
            Err(e) if e.downcast_ref::<SyncIncomplete>().is_some() => eprintln!("cutover upgrade: {e}; going on"),
            other => other?,
        }
        heading(&format!("plan: written to {}", args.plan.display()));
        plan::make(&recipe(&args), Some(&args.plan), false, &phases)?;
        plan::check_file(&args.plan, &phases)?;
    }
    if !args.approve {
        eprintln!(
            "\ncutover upgrade: nothing has changed yet. Read {plan} (`cutover plan --show {plan}`), edit it if \
             need be, then run the same command with --approve to apply it.",
            plan = args.plan.display()
        );
        return Ok(());
    }
    heading("run: drain the old hosts, move every server, hand each emptied host off");
    apply(&Request::defaults(&args.plan, &args.hosts), ctx)?;
    if !hands_off(&args) {
        eprintln!(
            "\ncutover upgrade: every server moved; the old hosts are drained but not handed off (no \
             --on-host-empty): redeploy them, then `cutover retire`."
        );
        return Ok(());
    }
    heading("retire: the old Nova's remaining services");
    retire::retire(retire::Options { endpoints: args.retire_endpoints, dry_run: false, yes: true }, &phases)
}

/// Every input of every phase, checked before the first (sync changes the
/// new region): the plan's rules, zone map and migration id, the plan file
/// when it exists, and each hook (`--on-host-empty`, the plan's `on_empty`).
fn check_inputs(args: &UpgradeArgs, plan_exists: bool, ctx: &Ctx) -> anyhow::Result<()> {
    plan::inputs(&recipe(args), ctx, chrono::Utc::now())?;
    let hosts = if plan_exists { plan::file::load(&args.plan)?.hosts } else { Vec::new() };
    let journal = plan_file::journal_path(&args.plan, None);
    host_options(&args.hosts, &hosts, &journal, ctx)?;
    Ok(())
}

fn heading(what: &str) {
    eprintln!("\n== cutover upgrade: {what}");
}

/// The plan's rules, zone map and migration id, as upgrade's flags give them.
fn recipe(args: &UpgradeArgs) -> Recipe {
    Recipe {
        strategies: args.strategies.clone(),
        zone_map: args.zone_map.clone(),
        migration: args.migration.clone(),
        keep_snapshots: false,
    }
}

/// Whether the run hands the emptied hosts off (a hook for all, or one
/// for each host of the plan).
fn hands_off(args: &UpgradeArgs) -> bool {
    args.hosts.on_host_empty.is_some()
        || plan::file::load(&args.plan).is_ok_and(|p| p.hosts.iter().all(|h| h.on_empty.is_some()))
}
