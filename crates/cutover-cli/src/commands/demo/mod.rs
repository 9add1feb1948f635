/*!
`cutover demo`: the whole job on a simulated cloud, in one command. The
simulator starts in this process with the demo scenario
(`cutover_sim::DEMO_SCENARIO`), a clouds.yaml for it goes into a temporary
directory, and the phases run through the very functions of the real
commands: preflight, env verify, sync, plan, then the engine's run with a
progress line, its report and a short account of what happened.

Exit 0 when the demo went as designed: every server moved except the one
the scenario's fault hits, which is rolled back to the old region.
*/

mod progress;
mod summary;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cutover_cloud::{Profile, RetryPolicy};
use cutover_engine::{Clock, Engine, OpenStackDriver, Opened, PollPolicy, Report};
use cutover_sim::{RunningSim, Scenario};

use super::{env, plan, preflight, sim, sync, Ctx, InputError};
use crate::cli::{DemoArgs, EnvCommand, EnvVerifyArgs, PlanArgs, SyncArgs};
use crate::output::{Format, OutputArgs, Printer};
use crate::settings::{CloudArgs, Settings};

const OLD_REGION: &str = "RegionOne";
const NEW_REGION: &str = "RegionTwo";
/// Where each old host goes once emptied: old-3's zone (az-fast, with the
/// spare kept for rollbacks) lands on new-3, the host whose spawns the
/// scenario makes fail.
const HOST_MAP: &str = "old-1: new-1\nold-2: new-2\nold-3: new-3\nold-spare: new-3\n";
/// The demo's rule: servers marked stateless are redeployed from their image.
const RULE: &str = "metadata=stateless=true:redeploy";
const MIGRATION: &str = "demo";
/// The server the scenario's fault hits: it must be rolled back, not moved.
pub const FAILING_SERVER: &str = "legacy-1";

pub fn run(args: DemoArgs, output: &OutputArgs) -> anyhow::Result<()> {
    let scale = args.time_scale;
    if !(scale >= 0.0 && scale.is_finite()) {
        return Err(InputError(format!("--time-scale must be a number >= 0, not {scale}")).into());
    }
    let dir = tempfile::Builder::new().prefix("cutover-demo-").tempdir().context("creating a temporary directory")?;
    let clouds_yaml = dir.path().join("clouds.yaml");
    point_clients_at(&clouds_yaml);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let scenario = Scenario::demo();
    let running = runtime
        .block_on(RunningSim::start(([127, 0, 0, 1], 0).into(), &scenario, Some(scale)))
        .context("starting the simulator")?;
    sim::write_clouds_yaml(&scenario, &running.auth_url(), &clouds_yaml)?;
    let (servers, hosts) = scenario.regions.first().map_or((0, 0), |r| (r.servers.len(), r.hosts.len()));
    eprintln!(
        "cutover demo: simulated cloud at {} ({servers} servers on {hosts} old hosts, time scale {scale}), files in {}",
        running.auth_url(),
        dir.path().display()
    );
    let result = phases(&runtime, dir.path(), scale, output);
    if args.keep_running && result.is_ok() {
        let kept = dir.keep();
        eprintln!(
            "cutover demo: the simulator keeps running (Ctrl-C stops it); explore it with\n  \
             export OS_CLIENT_CONFIG_FILE={} OS_CLOUD=sim\n  \
             openstack --os-region-name {NEW_REGION} server list --all-projects --long",
            kept.join("clouds.yaml").display()
        );
        runtime.block_on(sim::wait_for_signal())?;
    }
    runtime.block_on(running.stop()).context("stopping the simulator")?;
    result
}

/// The demo's clouds.yaml is the only cloud the phases may see: the
/// caller's `OS_*` variables would otherwise be merged into it.
fn point_clients_at(clouds_yaml: &Path) {
    let inherited: Vec<_> = std::env::vars_os().filter(|(k, _)| k.to_string_lossy().starts_with("OS_")).collect();
    for (key, _) in inherited {
        std::env::remove_var(key);
    }
    std::env::set_var("OS_CLIENT_CONFIG_FILE", clouds_yaml);
}

fn phases(runtime: &tokio::runtime::Runtime, dir: &Path, scale: f64, output: &OutputArgs) -> anyhow::Result<()> {
    let host_map = dir.join("hosts.yaml");
    std::fs::write(&host_map, HOST_MAP).with_context(|| format!("writing {}", host_map.display()))?;
    let ctx = phase_ctx(&host_map, output)?;
    heading(1, "preflight: both regions, admin rights, services, capacity");
    preflight::run(&ctx).context("preflight")?;
    heading(2, "env verify: the new region's conductor, scheduler and compute hosts");
    env::run(EnvCommand::Verify(EnvVerifyArgs { hosts: Vec::new(), hosts_file: None }), &ctx).context("env verify")?;
    heading(3, "sync: flavors, keypairs, quotas, server groups, aggregates into the new region");
    sync::run(SyncArgs { dry_run: false, only: Vec::new(), host_map: None, print_host_map: false }, &ctx)
        .context("sync")?;
    heading(4, &format!("plan: a strategy per server (rule {RULE}), hosts in drain order"));
    let plan_file = dir.join("plan.yaml");
    plan::run(
        PlanArgs {
            output: Some(plan_file.clone()),
            force: false,
            strategies: vec![RULE.to_string()],
            keep_snapshots: false,
            zone_map: Vec::new(),
            migration: Some(MIGRATION.to_string()),
            show: None,
            check: None,
        },
        &ctx,
    )
    .context("plan")?;
    heading(5, "run: every server moved under the concurrency limits");
    let started = Instant::now();
    let report = runtime.block_on(move_servers(&plan_file, &dir.join("journal.db"), &ctx, scale))?;
    let makespan = started.elapsed();
    heading(6, "report");
    let printer = Printer::new(output);
    summary::print_report(&printer, output.format, &report)?;
    let text = summary::what_happened(&report, makespan, scale);
    match output.format {
        Format::Table => print!("\n{text}"),
        _ => eprint!("\n{text}"),
    }
    summary::as_designed(&report, FAILING_SERVER)
}

/// The settings the real commands would get from `--os-cloud sim
/// --old-region RegionOne --new-region RegionTwo` and a host map; the
/// phases print to stdout in table format, or to stderr when stdout is
/// for the report alone (`-f json|yaml|csv`).
fn phase_ctx(host_map: &Path, output: &OutputArgs) -> anyhow::Result<Ctx> {
    let args = CloudArgs {
        os_cloud: Some("sim".into()),
        old_region: Some(OLD_REGION.into()),
        new_region: Some(NEW_REGION.into()),
        config: None,
    };
    let mut settings = Settings::resolve(&args, None)?;
    settings.sync.host_map = Some(host_map.to_path_buf());
    let out = Printer::new(&OutputArgs::default());
    let out = if output.format == Format::Table { out } else { out.on_stderr() };
    Ok(Ctx { settings, out })
}

fn heading(n: u32, what: &str) {
    eprintln!("\n== {n}/6 {what}");
}

/// `cutover run` on the plan file: the journal created, both regions
/// connected, the engine's loop with the progress line.
async fn move_servers(plan_file: &Path, journal: &Path, ctx: &Ctx, scale: f64) -> anyhow::Result<Report> {
    let plan = plan::file::load(plan_file)?;
    let opened = Opened::open(&plan, journal)?;
    let profile = Profile::resolve(ctx.settings.cloud()).map_err(cutover_cloud::Error::from)?;
    let driver =
        OpenStackDriver::connect(&profile, &plan.clouds.old_region, &plan.clouds.new_region, RetryPolicy::default())
            .await?;
    let options = cutover_engine::Options { poll: poll_policy(scale), ..cutover_engine::Options::default() };
    let engine = Engine::start(plan, opened, Arc::new(driver), options, Clock::system())?;
    let mut display = progress::Display::new();
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let report = engine.run(&mut |p| display.update(p), shutdown).await?;
    display.finish();
    Ok(report)
}

/// The engine's default (1 s while things change, up to 30 s) suits real
/// clouds; a faster simulated cloud is watched as much faster.
fn poll_policy(scale: f64) -> PollPolicy {
    if scale >= 1.0 {
        return PollPolicy::default();
    }
    let scaled = |d: Duration, factor: f64, floor: Duration| d.mul_f64(scale * factor).clamp(floor, d);
    let default = PollPolicy::default();
    PollPolicy {
        min: scaled(default.min, 10.0, Duration::from_millis(50)),
        max: scaled(default.max, 2.0, Duration::from_millis(200)),
    }
}
