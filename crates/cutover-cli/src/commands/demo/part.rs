/*!
One pair of regions through the whole procedure, each phase by the
function its own command runs: preflight, env verify, sync, plan, the
run (drain, moves, hand-off, rejoin), for a part with the scenario's
fault the repair and a second plan for the server rolled back, and
retire (`cutover retire --yes`).
*/

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use super::redeploy::Redeploy;
use super::runner;
use super::script::{Fault, Part, PartDone, RULE};
use super::simapi::Capacity;
use super::simapi::SimApi;
use crate::commands::{env, plan, preflight, retire, sync};
use crate::ctx::Ctx;
use crate::output::{Format, OutputArgs, Printer};
use crate::settings::{CloudArgs, Settings};

pub(super) fn run<'a>(
    runtime: &tokio::runtime::Handle,
    sim: &SimApi,
    part: &'a Part,
    dir: &Path,
    scale: f64,
    output: &OutputArgs,
) -> anyhow::Result<PartDone<'a>> {
    let host_map = dir.join("hosts.yaml");
    std::fs::write(&host_map, part.host_map).with_context(|| format!("writing {}", host_map.display()))?;
    let ctx = phase_ctx(part, &host_map, output, runtime)?;
    let steps = if part.fault.is_some() { 7 } else { 6 };
    let heading = |n: u32, what: &str| eprintln!("\n== {} {n}/{steps} {what}", part.mode);
    heading(1, &format!("preflight: {} and {}, admin rights, services, capacity", part.old_region, part.new_region));
    preflight::run(&ctx).context("preflight")?;
    heading(2, "env verify: the new region's conductor, scheduler and compute hosts");
    env::verify::as_configured(&ctx).context("env verify")?;
    heading(3, &format!("sync: flavors, keypairs, quotas, server groups, aggregates{}", part.synced));
    sync::sync(sync::Options::all(), &ctx).context("sync")?;
    heading(4, &format!("plan: a strategy per server (rule {RULE}), hosts in drain order"));
    let plan_file = write_plan(&ctx, dir.join("plan.yaml"), part.migration)?;
    heading(
        5,
        &format!(
            "run: every server moved under the concurrency limits; each emptied host redeployed into {}{}",
            part.new_region,
            if part.fault.is_some() { " (an empty spare is kept for rollbacks)" } else { "" }
        ),
    );
    let new_before = runtime.block_on(new_capacity(sim, part.new_region))?;
    let redeploy = Arc::new(Redeploy::new(sim.clone(), scale));
    let last = part.fault.is_none();
    let first = runner::run(runtime, &plan_file, &dir.join("journal.db"), &ctx, &redeploy, last, scale)?;
    let mut runs = vec![first];
    let mut step = 6;
    if let Some(fault) = &part.fault {
        heading(
            step,
            &format!(
                "repair and retry: {} repaired; {} planned again and moved, its host and the spare handed off",
                fault.new_host, fault.server
            ),
        );
        runtime.block_on(repair(sim, part, fault))?;
        let plan_file = write_plan(&ctx, dir.join("retry.yaml"), fault.retry)?;
        runs.push(runner::run(runtime, &plan_file, &dir.join("retry.db"), &ctx, &redeploy, true, scale)?);
        step += 1;
    }
    heading(step, &format!("retire: {}'s remaining Nova services (cutover retire --yes)", part.old_region));
    let services = || runtime.block_on(sim.services(part.old_region)).context("listing the old Nova's services");
    let before = services()?;
    let retired = retire::retire(retire::Options { endpoints: false, dry_run: false, yes: true }, &ctx)
        .and_then(|()| Ok((before, services()?)))
        .map_err(|e| format!("{e:#}"));
    if let Err(why) = &retired {
        eprintln!("cutover demo: retire failed: {why}");
    }
    Ok(PartDone {
        part,
        runs,
        joined: redeploy.moved(),
        new_before,
        new_after: runtime.block_on(new_capacity(sim, part.new_region))?,
        retired,
    })
}

/// The settings the real commands would get from `--os-cloud sim
/// --old-region OLD --new-region NEW` and a host map; the phases print to
/// stdout in table format, or to stderr when stdout is for the reports
/// alone (`-f json|yaml|csv`).
fn phase_ctx(
    part: &Part,
    host_map: &Path,
    output: &OutputArgs,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<Ctx> {
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
    Ok(Ctx { settings, out, runtime: runtime.clone() })
}

/// `cutover plan -o FILE --migration ID --strategy RULE`.
fn write_plan(ctx: &Ctx, file: PathBuf, migration: &str) -> anyhow::Result<PathBuf> {
    let recipe = plan::Recipe {
        strategies: vec![RULE.to_string()],
        zone_map: Vec::new(),
        migration: Some(migration.to_string()),
        keep_snapshots: false,
    };
    plan::make(&recipe, Some(&file), false, ctx).context("plan")?;
    Ok(file)
}

/// The operator mends the broken hypervisor: its spawns succeed again.
async fn repair(sim: &SimApi, part: &Part, fault: &Fault) -> anyhow::Result<()> {
    sim.mend(part.new_region, fault.new_host)
        .await
        .with_context(|| format!("repairing {}'s hypervisor", fault.new_host))?;
    eprintln!("{}'s hypervisor repaired: spawns there succeed again", fault.new_host);
    Ok(())
}

/// The compute hosts of a region and their capacity in all.
async fn new_capacity(sim: &SimApi, region: &str) -> anyhow::Result<(usize, Capacity)> {
    let hosts = sim.hypervisors(region).await.with_context(|| format!("listing {region}'s hypervisors"))?;
    let capacity = hosts.iter().fold(Capacity { vcpus: 0, memory_mb: 0, disk_gb: 0 }, |c, (_, h)| Capacity {
        vcpus: c.vcpus + h.vcpus,
        memory_mb: c.memory_mb + h.memory_mb,
        disk_gb: c.disk_gb + h.disk_gb,
    });
    Ok((hosts.len(), capacity))
}
