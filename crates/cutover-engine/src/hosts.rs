/*!
The old hosts through a run, as data: each planned host's machine state
(`cutover_core::machine::host`), its hook's record, and the questions the
run asks of them (settled, joining, may bring room). The executor
(`crate::run::hosts`) observes and steps them after the servers' round,
journals each state before its actions and each action's intent and
outcome, and runs the hand-off hooks in the background.
*/

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cutover_core::id::HostName;
use cutover_core::machine::host::{HookEnd, HostMove, HostStage, HostState};
use cutover_core::plan::Plan;
pub use cutover_journal::{HookEndRecord, HookRecord};
use cutover_journal::{HostEntry, Journal};
use tokio::task::JoinSet;

use crate::error::Result;
use crate::hook::{HandOff, HookReport};

/// How the run treats the old hosts.
#[derive(Clone)]
pub struct HostOptions {
    /// Time between the two empty observations a host needs.
    pub empty_interval: Duration,
    /// Time a handed-off host has to join the new region.
    pub rejoin_timeout: Duration,
    /// What hands an empty host off; none: hosts stop at `empty`.
    pub hand_off: Option<Arc<dyn HandOff>>,
    /// Hosts handed off by their own (the plan's `on_empty`).
    pub per_host: BTreeMap<HostName, Arc<dyn HandOff>>,
}

impl HostOptions {
    /// What hands `host` off, if anything.
    pub(crate) fn hand_off_for(&self, host: &str) -> Option<Arc<dyn HandOff>> {
        self.per_host.get(host).or(self.hand_off.as_ref()).cloned()
    }
}

impl Default for HostOptions {
    fn default() -> HostOptions {
        HostOptions {
            empty_interval: Duration::from_secs(60),
            rejoin_timeout: Duration::from_secs(3600),
            hand_off: None,
            per_host: BTreeMap::new(),
        }
    }
}

impl std::fmt::Debug for HostOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostOptions")
            .field("empty_interval", &self.empty_interval)
            .field("rejoin_timeout", &self.rejoin_timeout)
            .field("hand_off", &self.hand_off.is_some())
            .field("per_host", &self.per_host.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One old host as the run tracks it: its machine's state (its stage in
/// the hand-off) and where its hook is.
pub(crate) struct TrackedHost {
    pub(crate) plan: HostMove,
    pub(crate) state: HostState,
    pub(crate) hook: HookRun,
    /// Servers the last observation listed on it (for the report).
    pub(crate) listed: Option<u32>,
}

/// Where an old host's hand-off hook is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HookRun {
    /// Not run (or to be run again).
    NotRun,
    /// Running now, in this process, since `started_at`: `intent` is the
    /// journal's number of its intent, for the outcome written when it ends.
    Running { started_at: i64, intent: i64 },
    /// Started by a run that stopped before it ended: cut short, it runs
    /// again (hooks are idempotent).
    CutShort { started_at: i64 },
    /// Ended, as journaled.
    Ended(HookRecord),
}

impl HookRun {
    /// The hook as the journal has it.
    fn journaled(record: Option<&HookRecord>) -> HookRun {
        match record {
            None => HookRun::NotRun,
            Some(HookRecord { started_at, end: None }) => HookRun::CutShort { started_at: *started_at },
            Some(ended) => HookRun::Ended(ended.clone()),
        }
    }

    /// How it ended, for the host's machine.
    pub(crate) fn end(&self) -> Option<HookEnd> {
        match self {
            HookRun::Ended(record) => record.end.as_ref().map(HookEndRecord::end),
            _ => None,
        }
    }
}

/// Every planned old host, and the hooks running.
pub(crate) struct Hosts {
    pub(crate) tracked: Vec<TrackedHost>,
    pub(crate) options: HostOptions,
    pub(crate) hooks: JoinSet<(usize, HookReport)>,
}

impl Hosts {
    /// The plan's hosts, with what the journal holds of them.
    pub(crate) fn load(
        plan: &Plan,
        journaled: &BTreeMap<HostName, HostEntry>,
        options: HostOptions,
        now: i64,
    ) -> Hosts {
        let reason = disable_reason(plan);
        let tracked = plan
            .hosts
            .iter()
            .map(|host| {
                let entry = journaled.get(&host.name);
                TrackedHost {
                    plan: HostMove {
                        name: host.name.clone(),
                        disable_reason: reason.clone(),
                        empty_interval_secs: options.empty_interval.as_secs() as i64,
                        rejoin_timeout_secs: options.rejoin_timeout.as_secs() as i64,
                        join_reason: join_reason(plan),
                    },
                    state: entry.and_then(|e| e.state.clone()).unwrap_or_else(|| HostState::new(now)),
                    hook: HookRun::journaled(entry.and_then(|e| e.hook.as_ref())),
                    listed: None,
                }
            })
            .collect();
        Hosts { tracked, options, hooks: JoinSet::new() }
    }

    /// Takes up the hosts an earlier run stopped (a failed hook, no
    /// rejoin): the operator runs again having seen why, so the hook runs
    /// again, or the rejoin is waited for again. At a run's start.
    pub(crate) fn take_up_stopped(&mut self, now: i64) {
        for t in self.tracked.iter_mut().filter(|t| self.options.hand_off_for(&t.plan.name).is_some()) {
            let Some(why) = &t.state.failed else { continue };
            tracing::warn!(host = %t.plan.name, "stopped in an earlier run ({why}); trying it again");
            if t.state.stage == HostStage::Empty {
                t.hook = HookRun::NotRun;
            }
            t.state = t.state.retried(now);
        }
    }

    /// Whether the run has nothing more to do for the hosts. A host with
    /// no hand-off is left disabled (the run's start did that). One with a
    /// hand-off must be done, or wait for what this run will not give it:
    /// servers cutover does not move (`moves`: each host's planned servers).
    pub(crate) fn settled(&self, moves: &BTreeMap<HostName, HostMoves>) -> bool {
        self.tracked.iter().all(|t| {
            let moves = moves.get(&t.plan.name).map_or(0, |m| m.in_flight);
            self.options.hand_off_for(&t.plan.name).is_none()
                || t.state.is_done()
                || (t.state.stage == HostStage::Draining && moves == 0 && t.listed.is_some_and(|n| n > 0))
        })
    }

    /// Old hosts that have aggregates to join in the new region and may be
    /// there, not joined yet: handed off, or whose hook has started (the
    /// host may be redeployed already when a run was stopped meanwhile).
    pub(crate) fn joining(&self) -> Vec<&HostName> {
        self.tracked
            .iter()
            .filter(|t| match t.state.stage {
                HostStage::HandedOff => true,
                HostStage::Empty => t.hook != HookRun::NotRun,
                _ => false,
            })
            .filter(|t| t.state.failed.is_none())
            .filter(|t| t.state.aggregates.as_ref().is_some_and(|a| !a.is_empty()))
            .map(|t| &t.plan.name)
            .collect()
    }

    /// Old hosts that have joined the new region.
    pub(crate) fn joined(&self) -> usize {
        self.tracked.iter().filter(|t| matches!(t.state.stage, HostStage::JoinedNew | HostStage::RetiredOld)).count()
    }

    /// Whether an old host may still join the new region in this run,
    /// bringing room: one with a hand-off, not stopped, that is empty,
    /// handed off, or has no planned server left and was not seen holding
    /// others (`moves`: each host's planned servers).
    pub(crate) fn may_add_room(&self, moves: &BTreeMap<HostName, HostMoves>) -> bool {
        self.hooks_running()
            || self.tracked.iter().any(|t| {
                let left = moves.get(&t.plan.name).map_or(0, |m| m.in_flight);
                let on_its_way = match t.state.stage {
                    HostStage::Active | HostStage::Disabled | HostStage::Draining => {
                        left == 0 && t.listed.is_none_or(|n| n == 0)
                    }
                    HostStage::Empty | HostStage::HandedOff => true,
                    HostStage::JoinedNew | HostStage::RetiredOld => false,
                };
                on_its_way && !t.state.is_done() && self.options.hand_off_for(&t.plan.name).is_some()
            })
    }

    pub(crate) fn hooks_running(&self) -> bool {
        !self.hooks.is_empty()
    }
}

/// A host's planned servers, as the host machine counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HostMoves {
    /// Not ended (nor held).
    pub(crate) in_flight: u32,
    /// Under way or ended, and those left to their owners.
    pub(crate) started: u32,
}

/// Whether a host at `stage` is only waiting for its servers' moves: it is
/// stepped on them alone, without listings.
pub(crate) fn waiting_for_moves(stage: HostStage, moves: HostMoves) -> bool {
    matches!(stage, HostStage::Disabled | HostStage::Draining) && moves.in_flight > 0
}

/// The `disabled_reason` every drained old host gets.
pub(crate) fn disable_reason(plan: &Plan) -> String {
    format!("cutover migration {}: moving its servers to {}", plan.migration, plan.clouds.new_region)
}

/// The `disabled_reason` a rejoined host's new `nova-compute` has while it
/// is put into its aggregates.
pub(crate) fn join_reason(plan: &Plan) -> String {
    format!("cutover migration {}: joining its aggregates from {}", plan.migration, plan.clouds.old_region)
}

/// A host's state and hook as the journal keeps them (for the report).
pub fn journaled(journal: &Journal, host: &str) -> Result<(Option<HostState>, Option<HookRecord>)> {
    let entry = journal.hosts()?.remove(host).unwrap_or_default();
    Ok((entry.state, entry.hook))
}
