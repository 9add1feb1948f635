/*!
`cutover demo`: the whole procedure on a simulated cloud, in one command.
The simulator starts in this process with the demo scenario
(`cutover_sim::DEMO_SCENARIO`), a clouds.yaml for it goes into a temporary
directory, and for each networking mode (a Neutron pair of regions, then a
nova-network pair) the phases run through the very functions of the real
commands (see `part`): preflight, env verify, sync, plan, the engine's run
— drain, moves, each emptied host handed off (redeployed into the new
region through the simulator's `/sim/` API, `redeploy`) and joined there —
and retire. Then the reports and a short account of what happened. The
simulator is reached only through its start API and HTTP (`simapi`).

Exit 0 when the demo went as designed: every server moved (the one the
scenario's fault hits after a rollback, a repair and a second plan), every
old host joined the new region, no old Nova service left.
*/

mod hosts;
mod part;
mod progress;
mod redeploy;
mod runner;
mod script;
mod simapi;
mod summary;

use std::path::Path;

use anyhow::Context as _;
use cutover_engine::Report;
use cutover_sim::{RunningSim, Scenario};

use self::script::PARTS;
use self::simapi::SimApi;
use super::sim;
use crate::cli::DemoArgs;
use crate::errors::InputError;
use crate::output::{Format, OutputArgs, Printer};

pub fn run(args: DemoArgs, output: &OutputArgs, runtime: &tokio::runtime::Handle) -> anyhow::Result<()> {
    let scale = args.time_scale;
    if !(scale >= 0.0 && scale.is_finite()) {
        return Err(InputError(format!("--time-scale must be a number >= 0, not {scale}")).into());
    }
    let dir = tempfile::Builder::new().prefix("cutover-demo-").tempdir().context("creating a temporary directory")?;
    let clouds_yaml = dir.path().join("clouds.yaml");
    point_clients_at(&clouds_yaml);
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
    let result = runtime
        .block_on(SimApi::connect(&running.base_url(), &scenario))
        .context("signing in to the simulator")
        .and_then(|api| phases(runtime, &api, dir.path(), scale, output));
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
        runtime.block_on(super::run::wait_for_signal())?;
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
    runtime: &tokio::runtime::Handle,
    sim: &SimApi,
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
