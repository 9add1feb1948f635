/*!
`cutover demo`: the whole procedure on a simulated cloud, in one command.
The simulator starts in this process with the demo scenario
(`cutover_sim::DEMO_SCENARIO`), a clouds.yaml for it goes into a temporary
directory, and for each networking mode (a Neutron pair of regions, then a
nova-network pair) the phases run through the very functions of the real
commands (see `part`): preflight, env verify, sync, plan, the engine's run
— drain, moves, each emptied host handed off (redeployed into the new
region in this process, `redeploy`) and joined there — and retire. Then
the reports and a short account of what happened.

Exit 0 when the demo went as designed: every server moved (the one the
scenario's fault hits after a rollback, a repair and a second plan), every
old host joined the new region, no old Nova service left.
*/

mod hosts;
mod part;
mod progress;
mod redeploy;
mod runner;
mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use cutover_core::plan::Plan;
use cutover_engine::Report;
use cutover_sim::{RunningSim, Scenario, Sim};

use self::hosts::HostTimes;
use self::redeploy::Capacity;
use super::{sim, InputError};
use crate::cli::DemoArgs;
use crate::output::{Format, OutputArgs, Printer};

/// One pair of regions the demo moves, and what it expects.
struct Part {
    /// The networking mode, as the output names it.
    mode: &'static str,
    old_region: &'static str,
    new_region: &'static str,
    /// Where each old host's aggregates go (sync's host map).
    host_map: &'static str,
    /// What sync copies besides what every Nova owns.
    synced: &'static str,
    migration: &'static str,
    fault: Option<Fault>,
}

/// The fault the scenario injects: a new host whose spawns fail, so the
/// server sent there is rolled back; then repaired, and the server moved
/// again by a plan of its own.
struct Fault {
    server: &'static str,
    new_host: &'static str,
    /// The migration id of the second plan.
    retry: &'static str,
}

/// Neutron first: old-3's zone (az-fast, with the spare) lands on new-3,
/// the host whose spawns the scenario makes fail. Then nova-network, where
/// everything moves at once.
const PARTS: [Part; 2] = [
    Part {
        mode: "Neutron",
        old_region: "RegionOne",
        new_region: "RegionTwo",
        host_map: "old-1: new-1\nold-2: new-1\nold-3: new-3\nold-spare: new-3\n",
        synced: "",
        migration: "demo",
        fault: Some(Fault { server: FAILING_SERVER, new_host: "new-3", retry: "demo-retry" }),
    },
    Part {
        mode: "nova-network",
        old_region: "RegionThree",
        new_region: "RegionFour",
        host_map: "net-old-1: net-new-1\nnet-old-2: net-new-2\n",
        synced: ", floating IP pools",
        migration: "demo-nn",
        fault: None,
    },
];
/// The demo's rule: servers marked stateless are redeployed from their image.
const RULE: &str = "metadata=stateless=true:redeploy";
/// The server the scenario's fault hits: rolled back by the first run.
pub const FAILING_SERVER: &str = "legacy-1";

/// One run of the engine: its report, the plan it ran, how long it took,
/// when each host it handed off got where it did, and its spares.
struct Ran {
    report: Report,
    plan: Plan,
    makespan: Duration,
    hosts: BTreeMap<String, HostTimes>,
    spares: BTreeSet<String>,
    /// The most servers that waited for room in the new region at once,
    /// and when (into the run) the last of them got it.
    waited_for_room: Option<(usize, Duration)>,
}

/// A pair of regions at the end: its runs (the first, then a retry),
/// what the hosts brought to the new region, and what retire did.
struct PartDone<'a> {
    part: &'a Part,
    runs: Vec<Ran>,
    /// The hosts redeployed, with their capacity.
    joined: BTreeMap<String, Capacity>,
    /// The new region's compute hosts and their capacity, before and after.
    new_before: (usize, Capacity),
    new_after: (usize, Capacity),
    /// The old Nova's services before retire, and left after it;
    /// `Err`: why retire failed.
    retired: Result<(Vec<String>, Vec<String>), String>,
}

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
    let result = phases(&runtime, &running.sim, dir.path(), scale, output);
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

fn phases(
    runtime: &tokio::runtime::Runtime,
    sim: &Sim,
    dir: &Path,
    scale: f64,
    output: &OutputArgs,
) -> anyhow::Result<()> {
    let mut done = Vec::new();
    for part in &PARTS {
        let part_dir = dir.join(part.migration);
        std::fs::create_dir_all(&part_dir).with_context(|| format!("creating {}", part_dir.display()))?;
        let ran = part::run(runtime, sim, part, &part_dir, scale, output)
            .with_context(|| format!("{} ({} -> {})", part.mode, part.old_region, part.new_region))?;
        done.push(ran);
    }
    eprintln!("\n== report");
    let printer = Printer::new(output);
    let reports: Vec<&Report> = done.iter().flat_map(|d| d.runs.iter().map(|r| &r.report)).collect();
    summary::print_reports(&printer, output.format, &reports)?;
    let text: String = done.iter().map(|d| summary::what_happened(d, scale)).collect::<Vec<_>>().join("\n");
    match output.format {
        Format::Table => print!("\n{text}"),
        _ => eprint!("\n{text}"),
    }
    for d in &done {
        summary::as_designed(d)?;
    }
    Ok(())
}
