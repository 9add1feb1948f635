/*!
The per-host state machine, beside the per-server one: an old compute host
goes `active → disabled → draining → empty → handed-off → joined-new →
retired-old`. "Empty" is verified, never assumed: both the server list and
the hypervisor must say zero, with nothing in a transitional state, on two
observations a set interval apart, before the operator's hook may
redeploy the host. A host that joins the new region is put into the
aggregates (so the zones) it was in, out of scheduling meanwhile.
*/

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::observation::Seen;
use crate::id::HostName;

/// Where a host is in the cutover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostStage {
    /// Its `nova-compute` still takes new servers.
    Active,
    /// Scheduling is off; none of its servers is under way yet (they wait
    /// for a slot, or for room in the new region).
    Disabled,
    /// Its servers are being moved (`move`) or waited for (`wait`).
    Draining,
    /// Verified empty; the hand-off hook may run.
    Empty,
    /// The hook redeployed it; waiting for it to join the new region.
    HandedOff,
    /// A `nova-compute` of the new region, in its old aggregates; its old
    /// service record goes.
    JoinedNew,
    /// Its old `nova-compute` record is deleted: done.
    RetiredOld,
}

/// What the host machine needs to know of a planned host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostMove {
    pub name: HostName,
    /// The `disabled_reason` its old service gets (names the migration).
    pub disable_reason: String,
    /// Seconds between the two empty observations.
    pub empty_interval_secs: i64,
    /// Seconds the host may take to join the new region after its hook.
    pub rejoin_timeout_secs: i64,
    /// The `disabled_reason` its new `nova-compute` gets while it is put
    /// into its aggregates (names the migration).
    pub join_reason: String,
}

/// A host's progress: what the journal keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostState {
    pub stage: HostStage,
    /// When the host was first seen empty in the current run of empty
    /// observations (reset by any non-empty one).
    pub empty_since: Option<i64>,
    /// When the current stage began.
    pub since: i64,
    /// Why the host stopped (a failed hook, no rejoin); the host is left
    /// where it is, the rest of the run goes on.
    pub failed: Option<String>,
    /// The old region's aggregates it was in, by name: recorded before its
    /// hook runs (the old region may forget the host), joined in the new
    /// region. `None` until recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregates: Option<BTreeSet<String>>,
}

impl HostState {
    pub fn new(now: i64) -> HostState {
        HostState { stage: HostStage::Active, empty_since: None, since: now, failed: None, aggregates: None }
    }

    pub fn is_done(&self) -> bool {
        self.stage == HostStage::RetiredOld || self.failed.is_some()
    }

    /// How a later run takes up a host an earlier one stopped (its hook
    /// failed, it never rejoined): the failure forgotten and the stage's
    /// clock restarted, so that the hook runs again (the caller forgets
    /// its end) or the rejoin is waited for again.
    pub fn retried(&self, now: i64) -> HostState {
        HostState { failed: None, since: now, empty_since: None, ..self.clone() }
    }
}

/// A `nova-compute` service as `os-services` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub enabled: bool,
    pub up: bool,
    pub disabled_reason: Option<String>,
}

/// How the hand-off hook ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookEnd {
    Succeeded,
    /// Exit status, or `None` when killed at its timeout; with its output's tail.
    Failed {
        status: Option<i32>,
        output: String,
    },
}

/// Everything one host step looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostObservation {
    /// The host's `nova-compute` in the old region.
    pub old_service: Seen<ServiceView>,
    /// Servers the old region lists on the host (`host=`, all projects).
    pub listed_servers: Seen<u32>,
    /// Of those, servers with a task in progress (migrating, deleting, ...).
    pub busy_servers: Seen<u32>,
    /// The old hypervisor's `running_vms`.
    pub running_vms: Seen<u32>,
    /// Planned moves off this host that have not ended yet (from the journal).
    pub moves_in_flight: u32,
    /// Of the planned servers of this host, those under way or ended, and
    /// those left to their owners (watched from the start).
    pub moves_started: u32,
    /// The hand-off hook, once it has ended.
    pub hook: Option<HookEnd>,
    /// The host's `nova-compute` in the new region, and whether the new
    /// region lists a hypervisor for it.
    pub new_service: Seen<ServiceView>,
    pub new_hypervisor: Seen<bool>,
    /// The names of the aggregates listing the host, in each region.
    pub old_aggregates: Seen<BTreeSet<String>>,
    pub new_aggregates: Seen<BTreeSet<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum HostAction {
    /// Disable the old `nova-compute` with the reason.
    DisableService { host: HostName, reason: String },
    /// Run the operator's hand-off hook for the host.
    RunHook { host: HostName },
    /// Delete the host's `nova-compute` record in the old region.
    DeleteOldService { host: HostName },
    /// Disable the host's new `nova-compute` with the reason: no server is
    /// scheduled there before it is in its aggregates.
    DisableNewService { host: HostName, reason: String },
    /// Add the host to the new region's aggregates of these names.
    JoinAggregates { host: HostName, aggregates: Vec<String> },
    /// Enable the new `nova-compute` that cutover disabled.
    EnableNewService { host: HostName },
}

/// A host step's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostStep {
    pub state: HostState,
    pub actions: Vec<HostAction>,
}

/// Advances a host as far as `obs` allows, at time `now`.
pub fn step_host(plan: &HostMove, state: &HostState, obs: &HostObservation, now: i64) -> HostStep {
    let mut state = state.clone();
    if state.is_done() {
        return HostStep { state, actions: Vec::new() };
    }
    loop {
        let (next, actions) = decide(plan, &mut state, obs, now);
        match next {
            Some(stage) if stage != state.stage => {
                state.stage = stage;
                state.since = now;
            }
            _ => return HostStep { state, actions },
        }
        if !actions.is_empty() || state.is_done() {
            return HostStep { state, actions };
        }
    }
}

/// The next stage (if the current one is done) and the actions to take.
/// One match over the stages, kept whole: each arm is a stage's rule, and
/// reading them in order is reading the host's life.
fn decide(
    plan: &HostMove,
    state: &mut HostState,
    obs: &HostObservation,
    now: i64,
) -> (Option<HostStage>, Vec<HostAction>) {
    let host = plan.name.clone();
    if state.stage == HostStage::Empty && state.aggregates.is_none() {
        // Saved with the state, before the hook is asked for.
        state.aggregates = match &obs.old_aggregates {
            Seen::Present(names) => Some(names.clone()),
            Seen::Absent => Some(BTreeSet::new()),
            Seen::Unknown => return (None, Vec::new()),
        };
    }
    match state.stage {
        HostStage::Active => match &obs.old_service {
            Seen::Present(service) if !service.enabled => (Some(HostStage::Disabled), Vec::new()),
            Seen::Present(_) => (None, vec![HostAction::DisableService { host, reason: plan.disable_reason.clone() }]),
            // A host with no service record takes no new servers either.
            Seen::Absent => (Some(HostStage::Disabled), Vec::new()),
            Seen::Unknown => (None, Vec::new()),
        },
        HostStage::Disabled if obs.moves_started > 0 || obs.moves_in_flight == 0 => {
            (Some(HostStage::Draining), Vec::new())
        }
        HostStage::Disabled => (None, Vec::new()),
        HostStage::Draining => match seen_empty(obs) {
            Some(true) => {
                let since = *state.empty_since.get_or_insert(now);
                if now - since >= plan.empty_interval_secs {
                    (Some(HostStage::Empty), Vec::new())
                } else {
                    (None, Vec::new())
                }
            }
            Some(false) => {
                state.empty_since = None;
                (None, Vec::new())
            }
            None => (None, Vec::new()),
        },
        HostStage::Empty => match &obs.hook {
            None => {
                // Already in the new region (a hook a stopped run cut short
                // went through): out of scheduling and into its aggregates
                // before the hook runs again.
                let early = match (&obs.new_service, missing_aggregates(state, obs)) {
                    (Seen::Present(service), Some(missing)) => into_aggregates(plan, service, missing),
                    _ => None,
                };
                let mut actions = early.unwrap_or_default();
                actions.push(HostAction::RunHook { host });
                (None, actions)
            }
            Some(HookEnd::Succeeded) => (Some(HostStage::HandedOff), Vec::new()),
            Some(HookEnd::Failed { status, output }) => {
                let how = status.map_or("timed out".to_string(), |s| format!("exited {s}"));
                state.failed = Some(format!("the hand-off hook {how}: {output}"));
                (None, Vec::new())
            }
        },
        HostStage::HandedOff => {
            let (next, actions) = join(plan, state, obs);
            if next.is_some() || now - state.since <= plan.rejoin_timeout_secs {
                return (next, actions);
            }
            let secs = plan.rejoin_timeout_secs;
            state.failed = Some(match (&obs.new_service, missing_aggregates(state, obs)) {
                (Seen::Present(_), Some(missing)) if !missing.is_empty() => format!(
                    "not in its old aggregates {} in the new region {secs} s after its hook (cutover sync creates \
                     them)",
                    missing.join(", ")
                ),
                _ => format!("not an up, enabled nova-compute of the new region {secs} s after its hook"),
            });
            (None, Vec::new())
        }
        HostStage::JoinedNew => match &obs.old_service {
            Seen::Absent => (Some(HostStage::RetiredOld), Vec::new()),
            Seen::Present(_) => (None, vec![HostAction::DeleteOldService { host }]),
            Seen::Unknown => (None, Vec::new()),
        },
        HostStage::RetiredOld => (None, Vec::new()),
    }
}

/// A handed-off host joining the new region: as soon as its `nova-compute`
/// is listed (before it reports up, when Nova would start to place servers
/// there), it is put into the aggregates it had, disabled meanwhile if it
/// came enabled; then enabled again. Joined when it is up, enabled, with a
/// hypervisor and in them all. A new service disabled for another reason
/// (the operator's) is waited for.
fn join(plan: &HostMove, state: &HostState, obs: &HostObservation) -> (Option<HostStage>, Vec<HostAction>) {
    let host = plan.name.clone();
    let Seen::Present(service) = &obs.new_service else { return (None, Vec::new()) };
    let Some(missing) = missing_aggregates(state, obs) else { return (None, Vec::new()) };
    if let Some(actions) = into_aggregates(plan, service, missing) {
        return (None, actions);
    }
    let ours = service.disabled_reason.as_deref() == Some(plan.join_reason.as_str());
    match (service.enabled, ours) {
        (false, true) => (None, vec![HostAction::EnableNewService { host }]),
        (true, _) if service.up && obs.new_hypervisor == Seen::Present(true) => {
            (Some(HostStage::JoinedNew), Vec::new())
        }
        _ => (None, Vec::new()),
    }
}

/// The recorded aggregates the new region does not list the host in;
/// `None` when that was not observed.
fn missing_aggregates(state: &HostState, obs: &HostObservation) -> Option<Vec<String>> {
    let wanted = state.aggregates.clone().unwrap_or_default();
    match (&obs.new_aggregates, wanted.is_empty()) {
        (_, true) => Some(Vec::new()),
        (Seen::Present(there), false) => Some(wanted.difference(there).cloned().collect()),
        (Seen::Absent, false) => Some(wanted.into_iter().collect()),
        (Seen::Unknown, false) => None,
    }
}

/// Out of scheduling (if it is in) and into the `missing` aggregates;
/// `None` when it is in them all.
fn into_aggregates(plan: &HostMove, service: &ServiceView, missing: Vec<String>) -> Option<Vec<HostAction>> {
    if missing.is_empty() {
        return None;
    }
    let host = plan.name.clone();
    let mut actions = Vec::new();
    if service.enabled {
        actions.push(HostAction::DisableNewService { host: host.clone(), reason: plan.join_reason.clone() });
    }
    actions.push(HostAction::JoinAggregates { host, aggregates: missing });
    Some(actions)
}

/// `Some(true)` when every source says the host holds nothing; `None` when
/// something was not observed (decide nothing then).
fn seen_empty(obs: &HostObservation) -> Option<bool> {
    let listed = *obs.listed_servers.present()?;
    let busy = *obs.busy_servers.present()?;
    let running = *obs.running_vms.present()?;
    Some(obs.moves_in_flight == 0 && listed == 0 && busy == 0 && running == 0)
}
