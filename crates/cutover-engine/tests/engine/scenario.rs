//! Plans for the tests, and the engine run against the model.

use std::path::Path;
use std::sync::Arc;

use cutover_core::id::ServerId;
use cutover_core::machine::Strategy;
use cutover_core::model::ServerStatus;
use cutover_core::plan::{
    CloudsRef, FloatingIpRecord, HostPlan, Options as PlanOptions, Plan, PortRecord, ServerPlan, ServerRecord,
    VolumeRecord, PLAN_VERSION,
};
use cutover_engine::{Clock, Engine, Opened, Options, Progress, Report, Result, RollbackRequest};

use crate::model::Model;

/// `hosts` old hosts with `per_host` servers each, strategies in turn
/// (snapshot, volume, redeploy, snapshot of a shut-off server with a
/// nova-network address), plus `waits` servers left to their owners.
pub fn plan(hosts: usize, per_host: usize, waits: usize) -> Plan {
    let mut n = 0;
    let mut host_plans = Vec::new();
    for h in 1..=hosts {
        let name = format!("old-{h}");
        let mut servers = Vec::new();
        for _ in 0..per_host {
            n += 1;
            servers.push(server(n, &name, n % 4));
        }
        if h == 1 {
            for _ in 0..waits {
                n += 1;
                let mut wait = server(n, &name, 0);
                wait.strategy = Strategy::Wait;
                servers.push(wait);
            }
        }
        host_plans.push(HostPlan { name: name.into(), on_empty: None, servers });
    }
    Plan {
        version: PLAN_VERSION,
        migration: "m1".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        clouds: CloudsRef {
            cloud: "model".into(),
            auth_url: "http://model/v3".into(),
            old_region: "RegionOne".into(),
            new_region: "RegionTwo".into(),
        },
        options: PlanOptions::default(),
        hosts: host_plans,
        unplanned: vec![],
    }
}

fn server(n: usize, host: &str, kind: usize) -> ServerPlan {
    let id = format!("s{n:02}");
    let strategy = match kind {
        1 => Strategy::Volume,
        2 => Strategy::Redeploy,
        _ => Strategy::Snapshot,
    };
    let mut volumes = vec![VolumeRecord {
        id: format!("{id}-data").into(),
        device: Some("/dev/vdb".into()),
        boot_index: None,
        delete_on_termination: false,
    }];
    if strategy == Strategy::Volume {
        volumes.push(VolumeRecord {
            id: format!("{id}-root").into(),
            device: Some("/dev/vda".into()),
            boot_index: Some(0),
            delete_on_termination: true,
        });
    }
    let nova_network = kind == 3;
    let record = ServerRecord {
        id: id.clone().into(),
        name: format!("server {n}"),
        project_id: format!("project-{}", n % 3).into(),
        user_id: "user".into(),
        host: host.into(),
        availability_zone: None,
        status: if nova_network { ServerStatus::Shutoff } else { ServerStatus::Active },
        flavor_id: "m1.small".into(),
        image_id: (strategy != Strategy::Volume).then(|| "img-original".into()),
        key_name: None,
        user_data: None,
        metadata: Default::default(),
        tags: vec![],
        description: None,
        server_group: None,
        security_groups: vec!["default".into()],
        ports: if nova_network {
            vec![]
        } else {
            vec![PortRecord {
                id: format!("{id}-port").into(),
                network_id: "net".into(),
                mac: "fa:16:3e:00:00:01".into(),
                fixed_ips: vec![],
                security_group_ids: vec![],
            }]
        },
        fixed_networks: vec![],
        volumes,
        floating_ips: if nova_network {
            vec![FloatingIpRecord { address: format!("172.24.4.{n}"), id: None, port_id: None }]
        } else {
            vec![]
        },
        config_drive: false,
        ephemeral_gib: 0,
        swap_mib: 0,
    };
    ServerPlan { strategy, why: "test".into(), warnings: vec![], server: record, needs: None, after_deadline: None }
}

/// The run's clock: one for every run on a model, so a resumed run goes on
/// from the time the crashed one stopped at.
pub fn clock(model: &Model) -> Clock {
    Clock::starting_at(model.origin, 1_700_000_000)
}

/// Opens (or resumes) the journal at `path` and runs the plan on `model`.
pub async fn run(model: &Arc<Model>, plan: &Plan, path: &Path, options: Options) -> Result<Report> {
    run_with(model, plan, path, options, &mut |_| {}).await
}

/// The storage layer of a run stopped dead after `writes` journal writes
/// (a created journal's first write is its creation): every later commit
/// is refused, as a `kill -9` right after that write leaves the file.
pub fn after_writes(writes: u64, created: bool) -> impl FnMut() -> bool + Send + 'static {
    let landed = writes.saturating_sub(u64::from(created));
    let mut commits = 0;
    move || {
        commits += 1;
        commits > landed
    }
}

/// Whether a run ended as one stopped by [`after_writes`] does: at a
/// journal write.
pub fn halted<T: std::fmt::Debug>(result: &Result<T>) -> bool {
    matches!(result, Err(cutover_engine::Error::Journal(_)))
}

/// [`run`], stopped dead after `writes` journal writes.
pub async fn run_halting(
    model: &Arc<Model>,
    plan: &Plan,
    path: &Path,
    options: Options,
    writes: u64,
) -> Result<Report> {
    let opened = Opened::open(plan, path)?;
    let created = !opened.resumes();
    run_opened(model, plan, opened.refuse_commits_when(after_writes(writes, created)), options, &mut |_| {}).await
}

pub async fn run_with(
    model: &Arc<Model>,
    plan: &Plan,
    path: &Path,
    options: Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Report> {
    run_opened(model, plan, Opened::open(plan, path)?, options, progress).await
}

async fn run_opened(
    model: &Arc<Model>,
    plan: &Plan,
    opened: Opened,
    options: Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Report> {
    let engine = Engine::start(plan.clone(), opened, model.clone(), options, clock(model))?;
    let mut last = None;
    let mut watch = |p: &Progress| {
        last = Some(p.phases.clone());
        progress(p)
    };
    let bounded = tokio::time::timeout(CLOUD_TIME_BOUND, engine.run(&mut watch, std::future::pending())).await;
    bounded.unwrap_or_else(|_| panic!("the run did not end within {CLOUD_TIME_BOUND:?} of cloud time: {last:?}"))
}

/// Asks for the rollback of `sources` on the journal at `path` and runs
/// the engine on them alone.
pub async fn rollback(
    model: &Arc<Model>,
    plan: &Plan,
    path: &Path,
    sources: &[&str],
    options: Options,
) -> Result<(Vec<RollbackRequest>, Report)> {
    rollback_with(model, plan, path, sources, options, &mut |_| {}).await
}

/// [`rollback`], stopped dead after `writes` journal writes.
pub async fn rollback_halting(
    model: &Arc<Model>,
    plan: &Plan,
    path: &Path,
    sources: &[&str],
    writes: u64,
) -> Result<(Vec<RollbackRequest>, Report)> {
    let opened = Opened::open(plan, path)?.refuse_commits_when(after_writes(writes, false));
    rollback_opened(model, plan, opened, sources, Options::default(), &mut |_| {}).await
}

pub async fn rollback_with(
    model: &Arc<Model>,
    plan: &Plan,
    path: &Path,
    sources: &[&str],
    options: Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(Vec<RollbackRequest>, Report)> {
    rollback_opened(model, plan, Opened::open(plan, path)?, sources, options, progress).await
}

async fn rollback_opened(
    model: &Arc<Model>,
    plan: &Plan,
    opened: Opened,
    sources: &[&str],
    options: Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(Vec<RollbackRequest>, Report)> {
    let mut engine = Engine::start(plan.clone(), opened, model.clone(), options, clock(model))?;
    let sources: Vec<ServerId> = sources.iter().map(|&s| s.into()).collect();
    let requests = engine.request_rollback(&sources)?;
    let bounded = tokio::time::timeout(CLOUD_TIME_BOUND, engine.run(progress, std::future::pending())).await;
    let report = bounded.unwrap_or_else(|_| panic!("the rollback did not end within {CLOUD_TIME_BOUND:?}"))?;
    Ok((requests, report))
}

/// Longer than any test run takes on the model (minutes of its time): a
/// run still going is stuck, and fails instead of hanging the suite.
const CLOUD_TIME_BOUND: std::time::Duration = std::time::Duration::from_secs(6 * 3600);
