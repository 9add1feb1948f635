/*!
`cutover demo`: the whole job on a simulated cloud, in one command. The
simulator starts in this process with the demo scenario
(`cutover_sim::DEMO_SCENARIO`), a clouds.yaml for it goes into a temporary
directory, and for each networking mode (a Neutron pair of regions, then a
nova-network pair) the phases run through the very functions of the real
commands: preflight, env verify, sync, plan, then the engine's run with a
progress line. Then both reports and a short account of what happened.

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
use cutover_core::plan::Plan;
use cutover_engine::{Clock, Engine, OpenStackDriver, Opened, PollPolicy, Report};
use cutover_sim::{RunningSim, Scenario};

use super::{env, plan, preflight, sim, sync, Ctx, InputError};
use crate::cli::{DemoArgs, EnvCommand, EnvVerifyArgs, PlanArgs, SyncArgs};
use crate::output::{Format, OutputArgs, Printer};
use crate::settings::{CloudArgs, Settings};

/// One pair of regions the demo moves, and what it expects.
struct Part {
    /// The networking mode, as the output names it.
    mode: &'static str,
    old_region: &'static str,
    new_region: &'static str,
    /// Where each old host goes once emptied.
    host_map: &'static str,
    /// What sync copies besides what every Nova owns.
    synced: &'static str,
    migration: &'static str,
    /// The server the scenario's fault hits: rolled back, not moved.
    failing: Option<&'static str>,
}

/// Neutron first: old-3's zone (az-fast, with the spare kept for
/// rollbacks) lands on new-3, the host whose spawns the scenario makes
/// fail. Then nova-network, where everything moves.
const PARTS: [Part; 2] = [
    Part {
        mode: "Neutron",
        old_region: "RegionOne",
        new_region: "RegionTwo",
        host_map: "old-1: new-1\nold-2: new-2\nold-3: new-3\nold-spare: new-3\n",
        synced: "",
        migration: "demo",
        failing: Some(FAILING_SERVER),
    },
    Part {
        mode: "nova-network",
        old_region: "RegionThree",
        new_region: "RegionFour",
        host_map: "net-old-1: net-new-1\nnet-old-2: net-new-2\n",
        synced: ", floating IP pools",
        migration: "demo-nn",
        failing: None,
    },
];
/// The demo's rule: servers marked stateless are redeployed from their image.
const RULE: &str = "metadata=stateless=true:redeploy";
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
    let parts: Vec<String> = PARTS
        .iter()
        .filter_map(|p| {
            let old = scenario.regions.iter().find(|r| r.name == p.old_region)?;
            Some(format!("{} servers on {} old {} hosts", old.servers.len(), old.hosts.len(), p.mode))
        })
        .collect();
    eprintln!(
        "cutover demo: simulated cloud at {} ({}, time scale {scale}), files in {}",
        running.auth_url(),
        parts.join(" and "),
        dir.path().display()
    );
    let result = phases(&runtime, dir.path(), scale, output);
    if args.keep_running && result.is_ok() {
        let kept = dir.keep();
        eprintln!(
            "cutover demo: the simulator keeps running (Ctrl-C stops it); explore it with\n  \
             export OS_CLIENT_CONFIG_FILE={} OS_CLOUD=sim\n  \
             openstack --os-region-name {} server list --all-projects --long   (or {})",
            kept.join("clouds.yaml").display(),
            PARTS[0].new_region,
            PARTS[1].new_region,
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
    let mut moved = Vec::new();
    for part in &PARTS {
        let part_dir = dir.join(part.migration);
        std::fs::create_dir_all(&part_dir).with_context(|| format!("creating {}", part_dir.display()))?;
        let (report, plan, makespan) = move_part(runtime, part, &part_dir, scale, output)
            .with_context(|| format!("{} ({} -> {})", part.mode, part.old_region, part.new_region))?;
        moved.push((part, report, plan, makespan));
    }
    eprintln!("\n== report");
    let printer = Printer::new(output);
    let reports: Vec<&Report> = moved.iter().map(|(_, report, _, _)| report).collect();
    summary::print_reports(&printer, output.format, &reports)?;
    let text: String = moved
        .iter()
        .map(|(part, report, plan, makespan)| summary::what_happened(part.mode, report, plan, *makespan, scale))
        .collect::<Vec<_>>()
        .join("\n");
    match output.format {
        Format::Table => print!("\n{text}"),
        _ => eprint!("\n{text}"),
    }
    for (part, report, _, _) in &moved {
        summary::as_designed(part.mode, report, part.failing)?;
    }
    Ok(())
}

/// One pair of regions through preflight, env verify, sync, plan and run.
fn move_part(
    runtime: &tokio::runtime::Runtime,
    part: &Part,
    dir: &Path,
    scale: f64,
    output: &OutputArgs,
) -> anyhow::Result<(Report, Plan, Duration)> {
    let host_map = dir.join("hosts.yaml");
    std::fs::write(&host_map, part.host_map).with_context(|| format!("writing {}", host_map.display()))?;
    let ctx = phase_ctx(part, &host_map, output)?;
    let heading = |n: u32, what: &str| eprintln!("\n== {} {n}/5 {what}", part.mode);
    heading(1, &format!("preflight: {} and {}, admin rights, services, capacity", part.old_region, part.new_region));
    preflight::run(&ctx).context("preflight")?;
    heading(2, "env verify: the new region's conductor, scheduler and compute hosts");
    env::run(EnvCommand::Verify(EnvVerifyArgs { hosts: Vec::new(), hosts_file: None }), &ctx).context("env verify")?;
    heading(3, &format!("sync: flavors, keypairs, quotas, server groups, aggregates{}", part.synced));
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
            migration: Some(part.migration.to_string()),
            show: None,
            check: None,
        },
        &ctx,
    )
    .context("plan")?;
    heading(5, "run: every server moved under the concurrency limits");
    let started = Instant::now();
    let (report, plan) = runtime.block_on(move_servers(&plan_file, &dir.join("journal.db"), &ctx, scale))?;
    Ok((report, plan, started.elapsed()))
}

/// The settings the real commands would get from `--os-cloud sim
/// --old-region OLD --new-region NEW` and a host map; the phases print to
/// stdout in table format, or to stderr when stdout is for the reports
/// alone (`-f json|yaml|csv`).
fn phase_ctx(part: &Part, host_map: &Path, output: &OutputArgs) -> anyhow::Result<Ctx> {
    let args = CloudArgs {
        os_cloud: Some("sim".into()),
        old_region: Some(part.old_region.into()),
        new_region: Some(part.new_region.into()),
        config: None,
    };
    let mut settings = Settings::resolve(&args, None)?;
    settings.sync.host_map = Some(host_map.to_path_buf());
    let out = Printer::new(&OutputArgs::default());
    let out = if output.format == Format::Table { out } else { out.on_stderr() };
    Ok(Ctx { settings, out })
}

/// `cutover run` on the plan file: the journal created, both regions
/// connected, the engine's loop with the progress line; its report, and
/// the plan it ran.
async fn move_servers(plan_file: &Path, journal: &Path, ctx: &Ctx, scale: f64) -> anyhow::Result<(Report, Plan)> {
    let plan = plan::file::load(plan_file)?;
    let ran = plan.clone();
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
    Ok((report, ran))
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
