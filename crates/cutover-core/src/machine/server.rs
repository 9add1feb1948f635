/*!
The per-server state machine. A move is a route of stages (stop, snapshot,
delete, boot, ...) fixed by its strategy; [`step`] walks the route as far as
the observation shows each stage done and returns the actions that make
the first unfinished stage progress. It never reads a clock: time comes in
with the observation.
*/

use serde::{Deserialize, Serialize};

use super::action::{Action, BootSource, Side};
use super::invariants::may_delete_source;
use super::observation::{Observation, Seen, ServerView};

/// How a server moves (see DESIGN.md, "Per-instance strategies").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Redeploy,
    Snapshot,
    Volume,
    Wait,
}

/// What the machine needs to know of a planned move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMove {
    /// The source server's id in the old region.
    pub source: String,
    pub strategy: Strategy,
    /// The name the snapshot image is created with and found by.
    pub snapshot_name: String,
    /// The source was `SHUTOFF` when planned: the rebuild stays off.
    pub was_shutoff: bool,
    /// The original image (what `redeploy` boots).
    pub image: Option<String>,
    /// The root volume of a boot-from-volume server (strategy `volume`).
    pub root_volume: Option<String>,
    /// Attached volumes other than the root one: detached, then reattached.
    pub data_volumes: Vec<String>,
    /// Neutron ports kept across the move (same id, MAC, IPs, floating IPs).
    pub ports: Vec<String>,
    /// nova-network floating addresses to add to the rebuilt server.
    pub floating_addresses: Vec<String>,
    /// Keep the snapshot after a verified move (else it is deleted).
    pub keep_snapshot: bool,
    /// `redeploy`: keep the old server, stopped, instead of deleting it.
    pub keep_source: bool,
    /// Volumes the source took with it when deleted (`delete_on_termination`,
    /// the root or data volumes): so again on the rebuild once it is
    /// verified (until then cutover keeps them off, so that a rollback
    /// deleting the rebuild never deletes a disk).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_with_server: Vec<String>,
    /// Seconds a boot may take before the move is rolled back.
    pub boot_timeout_secs: i64,
    /// Snapshots that may end `killed` before the move is rolled back.
    pub snapshot_attempts: u32,
}

/// One stage of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The source is `SHUTOFF`.
    Stop,
    /// The snapshot is `active`, its size and checksum recorded.
    Snapshot,
    /// The root volume will survive the source's delete.
    KeepRoot,
    /// The data volumes are detached from the source.
    DetachVolumes,
    /// The kept ports no longer belong to the source.
    ReleasePorts,
    /// The source is gone.
    DeleteSource,
    /// The rebuild is `ACTIVE` (or `SHUTOFF`).
    Boot,
    /// The data volumes are attached to the rebuild.
    AttachVolumes,
    /// The nova-network floating addresses are on the rebuild.
    FloatingIps,
    /// The rebuild's power state is the source's.
    PowerState,
    /// The snapshot is deleted unless the plan keeps it.
    RemoveSnapshot,
    /// `redeploy`: the old server is deleted unless the plan keeps it.
    RemoveSource,
    /// The volumes the source took with it when deleted are again deleted
    /// with the rebuild (the last stage: nothing deletes the rebuild after).
    DeleteWithServer,
    /// Rollback: the failed rebuild in the new region is gone.
    DeleteTarget,
    /// Rollback to a source that still exists: the ports are its again.
    ReclaimPorts,
    /// `wait`: the owner has deleted the server.
    Watch,
}

/// Which way a move is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Into the new region.
    Forward,
    /// Back to the source, which was never deleted.
    BackToSource,
    /// The source is gone: rebuilt in the old region from its copy.
    RestoreInOld,
}

/// Where a move ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "end")]
pub enum End {
    /// Rebuilt and verified in the new region (or, for `wait`, deleted by
    /// its owner).
    Moved,
    /// Back in the old region after a failure; `reason` says which.
    RolledBack { reason: String },
    /// Neither moved nor rolled back; `reason` says why and where the copy is.
    Failed { reason: String },
}

/// The snapshot, once Glance has it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageCopy {
    pub id: String,
    pub size: u64,
    pub checksum: String,
}

/// A server's progress: what the journal keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerState {
    pub route: Route,
    /// Index of the current stage in the route's stages.
    pub at: usize,
    /// Set once the move has ended.
    pub end: Option<End>,
    /// The verified snapshot; the source may be deleted only after this.
    pub image: Option<ImageCopy>,
    /// Snapshots that ended `killed`.
    pub failed_snapshots: u32,
    /// When the current stage began (seconds, the observation's clock).
    pub since: i64,
    /// When cutover first stopped the source, and when the rebuild was
    /// verified: the server's downtime.
    pub stopped_at: Option<i64>,
    pub verified_at: Option<i64>,
    /// Why the move turned back, while it is rolling back.
    pub reason: Option<String>,
}

impl ServerState {
    /// A move about to begin at `now`.
    pub fn new(now: i64) -> ServerState {
        ServerState {
            route: Route::Forward,
            at: 0,
            end: None,
            image: None,
            failed_snapshots: 0,
            since: now,
            stopped_at: None,
            verified_at: None,
            reason: None,
        }
    }

    /// The current stage (`None` once ended).
    pub fn stage(&self, plan: &ServerMove) -> Option<Stage> {
        if self.end.is_some() {
            return None;
        }
        stages(plan.strategy, self.route).get(self.at).copied()
    }
}

/// The stages of a route, in order.
pub fn stages(strategy: Strategy, route: Route) -> &'static [Stage] {
    use Stage::*;
    match (route, strategy) {
        (Route::Forward, Strategy::Snapshot) => &[
            Stop,
            Snapshot,
            DetachVolumes,
            ReleasePorts,
            DeleteSource,
            Boot,
            AttachVolumes,
            FloatingIps,
            PowerState,
            RemoveSnapshot,
            DeleteWithServer,
        ],
        (Route::Forward, Strategy::Volume) => &[
            Stop,
            KeepRoot,
            DetachVolumes,
            ReleasePorts,
            DeleteSource,
            Boot,
            AttachVolumes,
            FloatingIps,
            PowerState,
            DeleteWithServer,
        ],
        (Route::Forward, Strategy::Redeploy) => &[
            Stop,
            DetachVolumes,
            ReleasePorts,
            Boot,
            AttachVolumes,
            FloatingIps,
            PowerState,
            RemoveSource,
            DeleteWithServer,
        ],
        (Route::Forward, Strategy::Wait) => &[Watch],
        // A move turned back leaves no snapshot behind (the plan keeps only
        // those of servers that moved): the server runs from its own disk
        // again, or from the one restored from the snapshot.
        (Route::BackToSource, Strategy::Snapshot) => {
            &[DeleteTarget, ReclaimPorts, AttachVolumes, PowerState, RemoveSnapshot, DeleteWithServer]
        }
        (Route::BackToSource, _) => &[DeleteTarget, ReclaimPorts, AttachVolumes, PowerState, DeleteWithServer],
        (Route::RestoreInOld, Strategy::Snapshot) => {
            &[DeleteTarget, Boot, AttachVolumes, FloatingIps, PowerState, RemoveSnapshot, DeleteWithServer]
        }
        (Route::RestoreInOld, _) => &[DeleteTarget, Boot, AttachVolumes, FloatingIps, PowerState, DeleteWithServer],
    }
}

/// A step's result: the state to journal and the actions to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub state: ServerState,
    pub actions: Vec<Action>,
}

/// What one stage makes of the observation.
enum Progress {
    Done,
    /// Not done; these actions move it on (none: wait).
    Pending(Vec<Action>),
    /// The move cannot go on: turn back (or fail, if already turning back).
    Broken(String),
}

/// Advances `state` as far as `obs` allows, at time `now`.
pub fn step(plan: &ServerMove, state: &ServerState, obs: &Observation, now: i64) -> Step {
    let mut state = state.clone();
    // Every route is finite, so this ends; the bound guards against a bug.
    for _ in 0..=stages(plan.strategy, state.route).len() + stages(plan.strategy, Route::RestoreInOld).len() {
        let Some(stage) = state.stage(plan) else { break };
        match progress(plan, &mut state, stage, obs, now) {
            Progress::Done => {
                state.at += 1;
                state.since = now;
                if state.stage(plan).is_none() {
                    finish(plan, &mut state, now);
                }
            }
            Progress::Pending(actions) => {
                if stage == Stage::Stop && state.stopped_at.is_none() && !actions.is_empty() {
                    state.stopped_at = Some(now);
                }
                return Step { state, actions };
            }
            Progress::Broken(reason) => turn_back(plan, &mut state, obs, reason, now),
        }
    }
    Step { state, actions: Vec::new() }
}

fn finish(plan: &ServerMove, state: &mut ServerState, now: i64) {
    state.end = Some(match state.route {
        Route::Forward => End::Moved,
        Route::BackToSource | Route::RestoreInOld => {
            End::RolledBack { reason: state.reason.clone().unwrap_or_else(|| "rolled back".into()) }
        }
    });
    if state.route == Route::Forward && plan.strategy != Strategy::Wait {
        state.verified_at.get_or_insert(now);
    }
}

/// A failure going forward turns the move back; one while turning back
/// ends it as failed, saying where the server's disk is.
fn turn_back(plan: &ServerMove, state: &mut ServerState, obs: &Observation, reason: String, now: i64) {
    if state.route != Route::Forward || plan.strategy == Strategy::Wait {
        let copy = match (&state.image, &plan.root_volume) {
            (Some(image), _) => format!("; the disk is kept in image {}", image.id),
            (None, Some(volume)) => format!("; the disk is kept in volume {volume}"),
            _ => String::new(),
        };
        state.end = Some(End::Failed { reason: format!("{reason}{copy}") });
        return;
    }
    let source_gone = obs.source.is_absent() && position(plan, Stage::DeleteSource).is_some_and(|i| state.at > i);
    state.route = if source_gone { Route::RestoreInOld } else { Route::BackToSource };
    state.at = 0;
    state.since = now;
    state.reason = Some(reason);
}

fn position(plan: &ServerMove, stage: Stage) -> Option<usize> {
    stages(plan.strategy, Route::Forward).iter().position(|s| *s == stage)
}

/// The side and server the current route rebuilds on.
fn rebuild<'a>(state: &ServerState, obs: &'a Observation) -> (Side, &'a Seen<ServerView>) {
    match state.route {
        Route::Forward => (Side::New, &obs.target),
        Route::BackToSource => (Side::Old, &obs.source),
        Route::RestoreInOld => (Side::Old, &obs.restored),
    }
}

fn progress(plan: &ServerMove, state: &mut ServerState, stage: Stage, obs: &Observation, now: i64) -> Progress {
    match stage {
        Stage::Stop => stop(plan, obs),
        Stage::Snapshot => snapshot(plan, state, obs),
        Stage::KeepRoot => keep_root(plan, obs),
        Stage::DetachVolumes => detach_volumes(plan, obs),
        Stage::ReleasePorts => ports(plan, obs, |owner| owner != plan.source, |port| Action::ReleasePort { port }),
        Stage::DeleteSource => delete_source(plan, state, obs),
        Stage::Boot => boot(plan, state, obs, now),
        Stage::AttachVolumes => attach_volumes(plan, state, obs),
        Stage::FloatingIps => floating_ips(plan, state, obs),
        Stage::PowerState => power_state(plan, state, obs),
        Stage::RemoveSnapshot => remove_snapshot(plan, obs),
        Stage::RemoveSource => remove_source(plan, obs),
        Stage::DeleteWithServer => delete_with_server(plan, state, obs),
        Stage::DeleteTarget => delete_server(Side::New, &obs.target),
        Stage::ReclaimPorts => ports(
            plan,
            obs,
            |owner| owner == plan.source,
            |port| Action::ClaimPort { port, server: plan.source.clone() },
        ),
        Stage::Watch => match &obs.source {
            Seen::Absent => Progress::Done,
            _ => Progress::Pending(Vec::new()),
        },
    }
}

fn stop(plan: &ServerMove, obs: &Observation) -> Progress {
    match &obs.source {
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Absent => Progress::Broken("the source server no longer exists".into()),
        Seen::Present(server) if server.is("SHUTOFF") => Progress::Done,
        Seen::Present(server) if server.is("ERROR") => {
            Progress::Broken(format!("the source server is in ERROR{}", fault(server)))
        }
        Seen::Present(server) if server.is("ACTIVE") && server.is_idle() => {
            Progress::Pending(vec![Action::StopServer { side: Side::Old, server: plan.source.clone() }])
        }
        Seen::Present(_) => Progress::Pending(Vec::new()),
    }
}

fn snapshot(plan: &ServerMove, state: &mut ServerState, obs: &Observation) -> Progress {
    if state.image.is_some() {
        return Progress::Done;
    }
    match &obs.image {
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(image) if image.status == "active" => match (image.size, &image.checksum) {
            (Some(size), Some(checksum)) if size > 0 => {
                state.image = Some(ImageCopy { id: image.id.clone(), size, checksum: checksum.clone() });
                Progress::Done
            }
            // Glance sets both when the upload ends; an active image without
            // them is not a copy to rely on.
            _ => Progress::Pending(Vec::new()),
        },
        Seen::Present(image) if image.status == "killed" || image.status == "deleted" => {
            state.failed_snapshots += 1;
            if state.failed_snapshots >= plan.snapshot_attempts {
                return Progress::Broken(format!(
                    "the snapshot ended {} {} times",
                    image.status, state.failed_snapshots
                ));
            }
            Progress::Pending(vec![Action::DeleteImage { image: image.id.clone() }])
        }
        Seen::Present(_) => Progress::Pending(Vec::new()),
        Seen::Absent => match &obs.source {
            // Nova is still busy with an earlier createImage.
            Seen::Present(server) if server.is_idle() => Progress::Pending(vec![Action::CreateImage {
                server: plan.source.clone(),
                name: plan.snapshot_name.clone(),
            }]),
            Seen::Absent => Progress::Broken("the source server vanished before its snapshot".into()),
            _ => Progress::Pending(Vec::new()),
        },
    }
}

fn keep_root(plan: &ServerMove, obs: &Observation) -> Progress {
    let Some(volume) = &plan.root_volume else { return Progress::Broken("no root volume in the plan".into()) };
    match obs.root_delete_on_termination {
        Seen::Present(false) => Progress::Done,
        Seen::Present(true) => {
            Progress::Pending(vec![Action::KeepRootVolume { server: plan.source.clone(), volume: volume.clone() }])
        }
        _ => Progress::Pending(Vec::new()),
    }
}

fn detach_volumes(plan: &ServerMove, obs: &Observation) -> Progress {
    let mut actions = Vec::new();
    for id in &plan.data_volumes {
        let Some(volume) = obs.volumes.get(id) else { return Progress::Pending(Vec::new()) };
        if volume.attached_to.contains(&plan.source) {
            if volume.status == "in-use" {
                actions.push(Action::DetachVolume { side: Side::Old, server: plan.source.clone(), volume: id.clone() });
            } else {
                return Progress::Pending(Vec::new());
            }
        }
    }
    if actions.is_empty() {
        Progress::Done
    } else {
        Progress::Pending(actions)
    }
}

/// Ports are done when `owned(device_id)` holds for each; else `act` fixes one.
fn ports(
    plan: &ServerMove,
    obs: &Observation,
    owned: impl Fn(&str) -> bool,
    act: impl Fn(String) -> Action,
) -> Progress {
    let mut actions = Vec::new();
    for id in &plan.ports {
        match obs.ports.get(id) {
            None => return Progress::Pending(Vec::new()),
            Some(port) if owned(&port.device_id) => {}
            Some(_) => actions.push(act(id.clone())),
        }
    }
    if actions.is_empty() {
        Progress::Done
    } else {
        Progress::Pending(actions)
    }
}

fn delete_source(plan: &ServerMove, state: &ServerState, obs: &Observation) -> Progress {
    if obs.source.is_absent() {
        return Progress::Done;
    }
    if let Err(why) = may_delete_source(plan, state, obs) {
        return Progress::Broken(why);
    }
    delete_server(Side::Old, &obs.source)
}

fn delete_server(side: Side, server: &Seen<ServerView>) -> Progress {
    match server {
        Seen::Absent => Progress::Done,
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(s) if s.task_state.as_deref() == Some("deleting") => Progress::Pending(Vec::new()),
        Seen::Present(s) => Progress::Pending(vec![Action::DeleteServer { side, server: s.id.clone() }]),
    }
}

fn boot(plan: &ServerMove, state: &ServerState, obs: &Observation, now: i64) -> Progress {
    let (side, server) = rebuild(state, obs);
    match server {
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(s) if (s.is("ACTIVE") || s.is("SHUTOFF")) && s.is_idle() => Progress::Done,
        Seen::Present(s) if s.is("ERROR") => Progress::Broken(format!("the rebuild went to ERROR{}", fault(s))),
        Seen::Present(_) if now - state.since > plan.boot_timeout_secs => {
            Progress::Broken(format!("the rebuild was not ACTIVE after {} s", plan.boot_timeout_secs))
        }
        Seen::Present(_) => Progress::Pending(Vec::new()),
        Seen::Absent if obs.refused.is_some() => {
            Progress::Broken(format!("the boot was refused: {}", obs.refused.as_deref().unwrap_or_default()))
        }
        Seen::Absent => match boot_source(plan, state) {
            Some(source) => Progress::Pending(vec![Action::BootServer { side, source }]),
            None => Progress::Broken("nothing to boot from".into()),
        },
    }
}

fn boot_source(plan: &ServerMove, state: &ServerState) -> Option<BootSource> {
    match plan.strategy {
        Strategy::Snapshot => state.image.as_ref().map(|i| BootSource::Image { id: i.id.clone() }),
        Strategy::Volume => plan.root_volume.clone().map(|id| BootSource::Volume { id }),
        Strategy::Redeploy => plan.image.clone().map(|id| BootSource::Image { id }),
        Strategy::Wait => None,
    }
}

fn attach_volumes(plan: &ServerMove, state: &ServerState, obs: &Observation) -> Progress {
    let (side, server) = rebuild(state, obs);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let mut actions = Vec::new();
    for id in &plan.data_volumes {
        let Some(volume) = obs.volumes.get(id) else { return Progress::Pending(Vec::new()) };
        if volume.attached_to.contains(&server.id) {
            continue;
        }
        if volume.status == "available" {
            actions.push(Action::AttachVolume { side, server: server.id.clone(), volume: id.clone() });
        } else {
            return Progress::Pending(Vec::new());
        }
    }
    if actions.is_empty() {
        Progress::Done
    } else {
        Progress::Pending(actions)
    }
}

fn floating_ips(plan: &ServerMove, state: &ServerState, obs: &Observation) -> Progress {
    let (side, server) = rebuild(state, obs);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let missing: Vec<Action> = plan
        .floating_addresses
        .iter()
        .filter(|address| obs.floating_ips.get(*address) != Some(&Some(server.id.clone())))
        .map(|address| Action::AddFloatingIp { side, server: server.id.clone(), address: address.clone() })
        .collect();
    if missing.is_empty() {
        Progress::Done
    } else {
        Progress::Pending(missing)
    }
}

fn power_state(plan: &ServerMove, state: &ServerState, obs: &Observation) -> Progress {
    let (side, server) = rebuild(state, obs);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let wanted = if plan.was_shutoff { "SHUTOFF" } else { "ACTIVE" };
    if server.is(wanted) && server.is_idle() {
        return Progress::Done;
    }
    if !server.is_idle() {
        return Progress::Pending(Vec::new());
    }
    match (plan.was_shutoff, server.status.as_str()) {
        (true, "ACTIVE") => Progress::Pending(vec![Action::StopServer { side, server: server.id.clone() }]),
        (false, "SHUTOFF") => Progress::Pending(vec![Action::StartServer { side, server: server.id.clone() }]),
        _ => Progress::Broken(format!("the server is {} where {wanted} was expected", server.status)),
    }
}

fn remove_snapshot(plan: &ServerMove, obs: &Observation) -> Progress {
    if plan.keep_snapshot {
        return Progress::Done;
    }
    match &obs.image {
        Seen::Absent => Progress::Done,
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(image) => Progress::Pending(vec![Action::DeleteImage { image: image.id.clone() }]),
    }
}

fn remove_source(plan: &ServerMove, obs: &Observation) -> Progress {
    if plan.keep_source {
        return Progress::Done;
    }
    delete_server(Side::Old, &obs.source)
}

fn delete_with_server(plan: &ServerMove, state: &ServerState, obs: &Observation) -> Progress {
    if plan.deleted_with_server.is_empty() {
        return Progress::Done;
    }
    let (side, server) = rebuild(state, obs);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let Some(flags) = obs.delete_on_termination.get(&server.id) else { return Progress::Pending(Vec::new()) };
    // A volume whose flag the region cannot change (`None`) stays as it is.
    let actions: Vec<Action> = plan
        .deleted_with_server
        .iter()
        .filter(|volume| flags.get(*volume) == Some(&Some(false)))
        .map(|volume| Action::DeleteWithServer { side, server: server.id.clone(), volume: volume.clone() })
        .collect();
    if actions.is_empty() {
        Progress::Done
    } else {
        Progress::Pending(actions)
    }
}

fn fault(server: &ServerView) -> String {
    server.fault.as_deref().map(|f| format!(": {f}")).unwrap_or_default()
}
