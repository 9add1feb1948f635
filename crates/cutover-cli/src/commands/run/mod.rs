/*!
`cutover run PLAN`: applies a plan, or resumes it from its journal. Bad
input (the plan file, a plan for other clouds, a journal of another plan
or held by another run) is refused with one line before anything changes
(exit 2); then the engine runs with a live progress display, and the
report is printed. Exit 0 when every server moved, 3 when some were rolled
back, failed or held or an old host stopped short of the new region (the
report says which), 1 on a fatal error or when
stopped (SIGINT/SIGTERM) before the end — `cutover run PLAN` resumes.
*/

pub(super) mod progress;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use cutover_cloud::{Profile, RetryPolicy};
use cutover_core::plan::HostPlan;
use cutover_engine::hook::HookGuard;
use cutover_engine::HostOptions;
use cutover_engine::{Clock, Engine, Limits, OpenStackDriver, Opened, Options, PollPolicy};
use cutover_engine::{CommandHook, HandOff};

use super::{plan, plan_file, report};
use crate::cli::{HostArgs, RunArgs, POLL_MAX_SECS, POLL_MIN_SECS};
use crate::ctx::Ctx;
use crate::errors::{HostsStopped, InputError, NotAllMoved};
use crate::settings::Settings;

/// What `cutover run` is asked, without its clap parsing.
pub struct Request<'a> {
    pub plan: &'a Path,
    pub journal: Option<&'a Path>,
    /// `--max-parallel`, `--per-host`, `--per-new-host`, `--per-project`.
    pub limits: [Option<u32>; 4],
    pub poll_max: u64,
    pub poll_min: f64,
    pub deadline: Option<i64>,
    pub hosts: &'a HostArgs,
}

impl<'a> Request<'a> {
    /// `cutover run PLAN` with only the hosts' flags given.
    pub fn defaults(plan: &'a Path, hosts: &'a HostArgs) -> Request<'a> {
        let (poll_max, poll_min) = (POLL_MAX_SECS, POLL_MIN_SECS);
        Request { plan, journal: None, limits: [None; 4], poll_max, poll_min, deadline: None, hosts }
    }
}

pub fn run(args: RunArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let request = Request {
        plan: &args.plan,
        journal: args.journal.as_deref(),
        limits: [args.max_parallel, args.per_host, args.per_new_host, args.per_project],
        poll_max: args.poll_max,
        poll_min: args.poll_min,
        deadline: args.deadline,
        hosts: &args.hosts,
    };
    apply(&request, ctx)
}

/// Applies the plan `request` names, resuming from its journal.
pub fn apply(request: &Request, ctx: &Ctx) -> anyhow::Result<()> {
    let plan = plan::file::load(request.plan)?;
    let profile = Profile::resolve(ctx.settings.cloud()).map_err(cutover_cloud::Error::from)?;
    let here = plan_file::clouds_here(&plan, &profile, &ctx.settings);
    plan_file::check_clouds(&plan, request.plan, &here)?;
    let journal = plan_file::journal_path(request.plan, request.journal);
    let opened = Opened::open(&plan, &journal)?;
    let mut options = options(&ctx.settings, request.limits, request.poll_max);
    options.poll.min = Duration::from_secs_f64(request.poll_min);
    options.hosts = host_options(request.hosts, &plan.hosts, &journal, ctx)?;
    options.deadline = request.deadline;
    let total = plan.servers().count();
    let report = ctx.block_on(async {
        // Connected before the journal is created: a cloud that cannot be
        // reached leaves no journal behind.
        let driver =
            OpenStackDriver::connect(&profile, &here.old_region, &here.new_region, RetryPolicy::default()).await?;
        if let Some(why) = driver.networking_mismatch().await {
            return Err(InputError(why).into());
        }
        let engine = Engine::start(plan, opened, Arc::new(driver), options, Clock::system())?;
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
            request.plan.display()
        );
    }
    if !report.all_moved() {
        return Err(NotAllMoved { not_moved: totals.servers - totals.moved, total: totals.servers }.into());
    }
    let stopped: Vec<String> = report.hosts.iter().filter(|h| h.reason.is_some()).map(|h| h.host.to_string()).collect();
    if !stopped.is_empty() {
        return Err(HostsStopped(stopped).into());
    }
    Ok(())
}

/// Flags (total, per old host, per new host, per project) over `[limits]`
/// of cutover.toml over Nova's per-host defaults; the longest poll.
pub(super) fn options(settings: &Settings, flags: [Option<u32>; 4], poll_max: u64) -> Options {
    let [total, per_host, per_new_host, per_project] = flags;
    let limits = &settings.limits;
    let to_usize = |n: u32| n as usize;
    Options {
        limits: Limits {
            total: total.or(limits.total.map(|n| n.get())).map(to_usize),
            per_old_host: to_usize(per_host.unwrap_or(limits.per_old_host.get())),
            per_new_host: to_usize(per_new_host.unwrap_or(limits.per_new_host.get())),
            per_project: per_project.or(limits.per_project.map(|n| n.get())).map(to_usize),
        },
        poll: PollPolicy { min: PollPolicy::default().min, max: Duration::from_secs(poll_max) },
        ..Options::default()
    }
}

/// The hosts' options (`hosts`: the plan's, for their own `on_empty`); a
/// hook that cannot be run is refused before anything changes (`upgrade`
/// asks this before its first phase too). Every hook holds
/// `<journal>.hooks.lock` (see [`HookGuard`]), taken only when it runs.
pub(super) fn host_options(
    args: &HostArgs,
    hosts: &[HostPlan],
    journal: &Path,
    ctx: &Ctx,
) -> anyhow::Result<HostOptions> {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".hooks.lock");
    let guard = Arc::new(HookGuard::new(journal.with_file_name(name)));
    let hook = |command: &str, whose: &str| -> anyhow::Result<Arc<dyn HandOff>> {
        let hook = CommandHook::parse(command)
            .map_err(|e| InputError(format!("{whose}: {e}")))?
            .timeout(Duration::from_secs(args.hook_timeout))
            .cloud(ctx.settings.cloud())
            .guard(guard.clone());
        hook.check().map_err(|e| InputError(format!("{whose}: {e}")))?;
        tracing::info!(hook = hook.command_line(), "{whose}");
        Ok(Arc::new(hook))
    };
    let hand_off = args.on_host_empty.as_deref().map(|c| hook(c, "--on-host-empty")).transpose()?;
    let mut per_host = BTreeMap::new();
    for host in hosts {
        if let Some(command) = &host.on_empty {
            per_host.insert(host.name.clone(), hook(command, &format!("the plan's on_empty of host {}", host.name))?);
        }
    }
    Ok(HostOptions {
        empty_interval: Duration::from_secs(args.empty_interval),
        rejoin_timeout: Duration::from_secs(args.rejoin_timeout),
        hand_off,
        per_host,
    })
}

/// SIGINT or SIGTERM: the run ends its round (every outcome journaled)
/// and stops. Without signal handlers it runs to the end.
pub(super) async fn stop_signal() {
    if wait_for_signal().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The first SIGINT or SIGTERM; an error when the handlers cannot be installed.
pub(super) async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
