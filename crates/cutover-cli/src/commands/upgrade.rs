/*!
`cutover upgrade`: the whole procedure in one command: preflight → env
verify → sync → plan, then (with `--approve`) drain → hand-off → rejoin →
retire. Which step comes next, and why it stops, is
`cutover_procedure::upgrade`'s; this module carries each step out through
its own command's function (called with plain values, never another
command's flags) and prints it. Without `--approve` it stops once the plan
is written, for the operator to read; the same command with `--approve`
then applies that very plan (never a new one) and resumes after a
`kill -9` like `cutover run`.
*/

use cutover_procedure::upgrade::{going_on, hands_off, Next, Outcome, Step, Upgrade};

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
    let upgrade = Upgrade { plan_exists: args.plan.exists(), approve: args.approve };
    check_inputs(&args, upgrade.plan_exists, ctx)?;
    let mut step = upgrade.first();
    loop {
        if let Some(heading) = upgrade.heading(step, &args.plan) {
            eprintln!("\n== cutover upgrade: {heading}");
        }
        let outcome = take(step, &args, ctx, &phases)?;
        step = match upgrade.after(step, outcome) {
            Next::Do(next) => next,
            Next::Stop(stop) => {
                let text = stop.text(&args.plan);
                if stop.is_failure() {
                    anyhow::bail!("{}", text.unwrap_or_default());
                }
                if let Some(text) = text {
                    eprintln!("{text}");
                }
                return Ok(());
            }
        };
    }
}

/// Carries `step` out, printing what it did (`phases`: where the steps
/// before the run print; the run's report goes where `ctx` says).
fn take(step: Step, args: &UpgradeArgs, ctx: &Ctx, phases: &Ctx) -> anyhow::Result<Outcome> {
    match step {
        Step::Preflight => preflight::run(phases)?,
        Step::EnvVerify => env::verify::as_configured(phases)?,
        Step::Sync => match sync::sync(sync::Options::all(), phases) {
            Err(e) if e.downcast_ref::<SyncIncomplete>().is_some() => {
                eprintln!("{}", going_on(&e.to_string()));
                return Ok(Outcome::Incomplete);
            }
            other => other?,
        },
        Step::MakePlan => plan::make(&recipe(args), Some(&args.plan), false, phases)?,
        Step::CheckPlan => plan::check_file(&args.plan, phases)?,
        Step::Run => {
            apply(&Request::defaults(&args.plan, &args.hosts), ctx)?;
            let plan = plan::file::load(&args.plan).ok();
            let handed_off = hands_off(args.hosts.on_host_empty.is_some(), plan.as_ref().map(|p| &p.hosts[..]));
            return Ok(if handed_off { Outcome::HandedOff } else { Outcome::Done });
        }
        Step::Retire => {
            retire::retire(retire::Options { endpoints: args.retire_endpoints, dry_run: false, yes: true }, phases)?
        }
    }
    Ok(Outcome::Done)
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

/// The plan's rules, zone map and migration id, as upgrade's flags give them.
fn recipe(args: &UpgradeArgs) -> Recipe {
    Recipe {
        strategies: args.strategies.clone(),
        zone_map: args.zone_map.clone(),
        migration: args.migration.clone(),
        keep_snapshots: false,
    }
}
