/*!
`cutover run PLAN`: applies a plan, or resumes it from its journal. Bad
input (the plan file, a plan for other clouds, a journal of another plan
or held by another run) is refused with one line before anything changes
(exit 2); then the engine runs with a live progress display, and the
report is printed. Exit 0 when every server moved, 3 when some were rolled
back, failed or held (the report says which), 1 on a fatal error or when
stopped (SIGINT/SIGTERM) before the end — `cutover run PLAN` resumes.
*/

mod progress;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use cutover_core::plan::Plan;
use cutover_engine::{Clock, Driver, Engine, Limits, Opened, Options, PollPolicy};

use super::{plan_file, report, Ctx, NotAllMoved};
use crate::cli::RunArgs;
use crate::settings::Settings;

pub fn run(args: RunArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let plan = plan_file::load(&args.plan)?;
    plan_file::check_clouds(&plan, &args.plan, &ctx.settings)?;
    let journal = plan_file::journal_path(&args.plan, args.journal.as_deref());
    let opened = Opened::open(&plan, &journal)?;
    let options = options(&args, &ctx.settings);
    let total = plan.hosts.iter().map(|h| h.servers.len()).sum();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = runtime.block_on(async {
        let driver = connect(&plan, &ctx.settings).await?;
        let engine = Engine::start(plan, opened, driver, options, Clock::system())?;
        let mut display = progress::Display::new(total);
        let report = engine.run(&mut |p| display.update(p), stop_signal()).await;
        display.finish();
        anyhow::Ok(report?)
    })?;
    report::print(&report, ctx)?;
    let totals = &report.totals;
    if totals.unfinished > 0 {
        anyhow::bail!(
            "stopped with {} of {} servers unfinished; `cutover run {}` resumes",
            totals.unfinished,
            totals.servers,
            args.plan.display()
        );
    }
    if !report.all_moved() {
        return Err(NotAllMoved { not_moved: totals.servers - totals.moved, total: totals.servers }.into());
    }
    Ok(())
}

/// The clouds as the engine reaches them. The OpenStack driver is being
/// written on branch helper/driver (`cutover_engine::openstack::
/// OpenStackDriver::connect`); until it is merged, a run stops here,
/// before the journal is created or anything is changed.
async fn connect(plan: &Plan, settings: &Settings) -> anyhow::Result<Arc<dyn Driver>> {
    let cloud = settings.cloud().unwrap_or(&plan.clouds.cloud);
    anyhow::bail!("cloud {cloud}: this build of cutover has no OpenStack driver yet; nothing was changed")
}

/// Flags over `[limits]` of cutover.toml over Nova's per-host defaults.
fn options(args: &RunArgs, settings: &Settings) -> Options {
    let limits = &settings.limits;
    let to_usize = |n: u32| n as usize;
    Options {
        limits: Limits {
            total: args.max_parallel.or(limits.total.map(|n| n.get())).map(to_usize),
            per_old_host: to_usize(args.per_host.unwrap_or(limits.per_old_host.get())),
            new_region_builds: to_usize(args.per_new_host.unwrap_or(limits.per_new_host.get())),
            per_project: args.per_project.or(limits.per_project.map(|n| n.get())).map(to_usize),
        },
        poll: PollPolicy { min: PollPolicy::default().min, max: Duration::from_secs(args.poll_max) },
        ..Options::default()
    }
}

/// SIGINT or SIGTERM: the run ends its round (every outcome journaled)
/// and stops. Without signal handlers it runs to the end.
async fn stop_signal() {
    if super::sim::wait_for_signal().await.is_err() {
        std::future::pending::<()>().await;
    }
}
