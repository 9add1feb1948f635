/*!
A server's move as data: the plan the machine follows ([`ServerMove`], its
[`Strategy`]), the routes of stages a strategy fixes ([`stages`]), and where
a move is along them ([`ServerState`], what the journal keeps).
*/

use serde::{Deserialize, Serialize};

use super::action::Side;
use crate::id::{ImageId, PortId, ServerId, VolumeId};

/// How a server moves: rebuilt from its original image, from a snapshot,
/// from its kept root volume, or left to its owner.
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
    pub source: ServerId,
    pub strategy: Strategy,
    /// The name the snapshot image is created with and found by.
    pub snapshot_name: String,
    /// The source was `SHUTOFF` when planned: the rebuild stays off.
    pub was_shutoff: bool,
    /// The original image (what `redeploy` boots).
    pub image: Option<ImageId>,
    /// The root volume of a boot-from-volume server (strategy `volume`).
    pub root_volume: Option<VolumeId>,
    /// Attached volumes other than the root one: detached, then reattached.
    pub data_volumes: Vec<VolumeId>,
    /// Neutron ports kept across the move (same id, MAC, IPs, floating IPs).
    pub ports: Vec<PortId>,
    /// nova-network floating addresses to add to the rebuilt server.
    pub floating_addresses: Vec<String>,
    /// The source's tags: set on the rebuild after its boot where the
    /// region cannot take them at boot (below 2.52).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Volumes the source took with it when deleted (`delete_on_termination`,
    /// the root or data volumes): so again on the rebuild once it is
    /// verified (until then cutover keeps them off, so that a rollback
    /// deleting the rebuild never deletes a disk).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_with_server: Vec<VolumeId>,
    /// Keep the snapshot after a verified move (else it is deleted).
    pub keep_snapshot: bool,
    /// `redeploy`: keep the old server, stopped, instead of deleting it.
    pub keep_source: bool,
    /// Seconds a boot may take before the move is rolled back.
    pub boot_timeout_secs: i64,
    /// Snapshots that may end `killed` before the move is rolled back.
    pub snapshot_attempts: u32,
    /// Tries at turning the move back before it ends `failed`, its copy
    /// kept: a restore the old region refuses may pass (a host freed, a
    /// quota raised, an outage over).
    #[serde(default = "one")]
    pub restore_attempts: u32,
    /// The wait before the first retry of a failed turn back; each next
    /// one waits twice as long.
    #[serde(default)]
    pub restore_retry_secs: i64,
}

fn one() -> u32 {
    1
}

impl ServerMove {
    /// The name of the snapshot that moves the rebuild back into the old
    /// region: another image than the move's own, which the plan may keep.
    pub fn back_snapshot_name(&self) -> String {
        format!("{}-back", self.snapshot_name)
    }
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
    /// with the rebuild (late: nothing deletes the rebuild after).
    DeleteWithServer,
    /// `redeploy`, last: the ports are the rebuild's, bound where it runs.
    /// The source's delete took from the rebuild the ports the source had
    /// been given by id (Nova unbinds them by the ids it cached).
    RebindPorts,
    /// Turning back: the rebuild made going forward is gone (and a
    /// restored server an earlier attempt left in ERROR).
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
    /// Into the region the move goes to.
    Forward,
    /// Back to the source, which was never deleted.
    BackToSource,
    /// The source is gone: rebuilt where it came from, from its copy (in
    /// the old region; in the new one when a move back fails).
    #[serde(rename = "restore", alias = "restore_in_old")]
    Restore,
}

/// Which way the server goes: out of the old region (the planned move), or
/// back into it (a rollback asked for once its rebuild was verified). The
/// routes are the same both ways, with the regions swapped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Out,
    Back,
}

impl Direction {
    fn is_out(&self) -> bool {
        *self == Direction::Out
    }
}

/// Where a move ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "end")]
pub enum End {
    /// Rebuilt and verified in the new region (or, for `wait`, deleted by
    /// its owner). A move back that failed ends here too, its reason in
    /// [`ServerState::reason`].
    Moved,
    /// In the old region again, after a failure or on request; `reason`
    /// says which.
    RolledBack { reason: String },
    /// Neither moved nor rolled back; `reason` says why and where the copy is.
    Failed { reason: String },
}

/// The snapshot, once Glance has it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageCopy {
    pub id: ImageId,
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
    /// The verified snapshot (of the rebuild, going back); the source may
    /// be deleted only after this.
    pub image: Option<ImageCopy>,
    /// Snapshots that ended `killed`.
    pub failed_snapshots: u32,
    /// When the current stage began (seconds, the observation's clock).
    pub since: i64,
    /// When cutover first stopped the source, and when the rebuild was
    /// verified: the server's downtime. Going back, a stop by cutover also
    /// says the server was running, as it must be again.
    pub stopped_at: Option<i64>,
    pub verified_at: Option<i64>,
    /// Why the move turned back, while it is rolling back.
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Direction::is_out")]
    pub direction: Direction,
    /// The operator asked for a rollback that no step has taken up yet
    /// (see [`super::request`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback_requested: bool,
    /// Turning back failed this many times; the route is walked again
    /// from its start, not before `retry_at`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub turn_back_failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<i64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Where a move is: its direction, route and stage. An action the cloud
/// refused for good breaks the stage it was asked at, and only that one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub direction: Direction,
    pub route: Route,
    pub at: usize,
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
            direction: Direction::Out,
            rollback_requested: false,
            turn_back_failures: 0,
            retry_at: None,
        }
    }

    pub fn place(&self) -> Place {
        Place { direction: self.direction, route: self.route, at: self.at }
    }

    /// Whether the server is out of service because of the move: stopped
    /// or deleted going out and not yet verified where it goes, or on its
    /// way back. An action failing for good here must turn the move back
    /// (or be tried again), never leave it where it is.
    pub fn exposed(&self, plan: &ServerMove) -> bool {
        if self.end.is_some() || plan.strategy == Strategy::Wait {
            return false;
        }
        let verified = stages(plan.strategy, self.route).iter().position(|s| *s == Stage::PowerState);
        let before_verified = verified.is_some_and(|i| self.at <= i);
        match self.route {
            Route::Forward => before_verified && (self.at > 0 || self.stopped_at.is_some()),
            Route::BackToSource | Route::Restore => before_verified,
        }
    }

    /// The current stage (`None` once ended).
    pub fn stage(&self, plan: &ServerMove) -> Option<Stage> {
        if self.end.is_some() {
            return None;
        }
        stages(plan.strategy, self.route).get(self.at).copied()
    }

    /// The region the current stage boots a server in, if it is a boot:
    /// what the build limit of the new region counts, and what an old host
    /// must take servers again for.
    pub fn booting(&self, plan: &ServerMove) -> Option<Side> {
        if self.stage(plan) != Some(Stage::Boot) {
            return None;
        }
        let (from, to) = match self.direction {
            Direction::Out => (Side::Old, Side::New),
            Direction::Back => (Side::New, Side::Old),
        };
        Some(if self.route == Route::Forward { to } else { from })
    }

    /// Whether the move has left its first state: a stop was sent, a stage
    /// passed, it turned back or ended.
    pub fn started(&self) -> bool {
        self.end.is_some()
            || self.at > 0
            || self.stopped_at.is_some()
            || self.route != Route::Forward
            || self.direction != Direction::Out
            || self.rollback_requested
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
            RebindPorts,
        ],
        (Route::Forward, Strategy::Wait) => &[Watch],
        // Turning back, a snapshot is no copy anyone needs any more.
        (Route::BackToSource, Strategy::Snapshot) => {
            &[DeleteTarget, ReclaimPorts, AttachVolumes, FloatingIps, PowerState, RemoveSnapshot, DeleteWithServer]
        }
        (Route::BackToSource, _) => {
            &[DeleteTarget, ReclaimPorts, AttachVolumes, FloatingIps, PowerState, DeleteWithServer]
        }
        (Route::Restore, Strategy::Snapshot) => {
            &[DeleteTarget, Boot, AttachVolumes, FloatingIps, PowerState, RemoveSnapshot, DeleteWithServer]
        }
        (Route::Restore, _) => &[DeleteTarget, Boot, AttachVolumes, FloatingIps, PowerState, DeleteWithServer],
    }
}

/// Where `stage` is on the forward route.
pub(crate) fn position(plan: &ServerMove, stage: Stage) -> Option<usize> {
    stages(plan.strategy, Route::Forward).iter().position(|s| *s == stage)
}
