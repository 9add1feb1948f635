/*!
The old hosts through a run: each planned host's machine
(`cutover_core::machine::host`) is stepped after the servers' round on one
batched observation, its state journaled before its actions run. The
hand-off hook runs in the background; its start is journaled before it is
called (a hook interrupted by a crash runs again: hooks are idempotent)
and its end before the machine is told. The old aggregates a host joins
in the new region are in its state, journaled before its hook runs.
*/

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cutover_core::machine::host::{step_host, HookEnd, HostAction, HostMove, HostObservation, HostStage, HostState};
use cutover_core::plan::Plan;
pub use cutover_journal::{HookEndRecord, HookRecord};
use cutover_journal::{HostEntry, Journal};
use tokio::task::JoinSet;

use crate::driver::{Driver, DriverError};
use crate::error::Result;
use crate::hook::{HandOff, HookReport, HookRequest};

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
    pub per_host: BTreeMap<String, Arc<dyn HandOff>>,
}

impl HostOptions {
    /// What hands `host` off, if anything.
    fn hand_off_for(&self, host: &str) -> Option<Arc<dyn HandOff>> {
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

/// The hook's end as the journal keeps it.
fn hook_end(report: &HookReport) -> HookEndRecord {
    let status = match &report.end {
        HookEnd::Succeeded => None,
        HookEnd::Failed { status, .. } => *status,
    };
    HookEndRecord {
        succeeded: report.succeeded(),
        status,
        output: report.output.clone(),
        secs: report.duration.as_secs(),
    }
}

/// One old host as the run tracks it.
pub(crate) struct TrackedHost {
    pub(crate) plan: HostMove,
    pub(crate) state: HostState,
    pub(crate) hook: Option<HookRecord>,
    /// Its hook runs now, in this process: the journal's number of its
    /// intent, for the outcome written when it ends.
    running: Option<i64>,
    /// Servers the last observation listed on it (for the report).
    pub(crate) listed: Option<u32>,
}

/// Every planned old host, and the hooks running.
pub(crate) struct Hosts {
    pub(crate) tracked: Vec<TrackedHost>,
    options: HostOptions,
    hooks: JoinSet<(usize, HookReport)>,
    /// Journal writes so far in this run (the run's progress counts them).
    pub(crate) writes: u64,
}

impl Hosts {
    /// The plan's hosts, with what the journal holds of them.
    pub(crate) fn load(plan: &Plan, journaled: &BTreeMap<String, HostEntry>, options: HostOptions, now: i64) -> Hosts {
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
                    hook: entry.and_then(|e| e.hook.clone()),
                    running: None,
                    listed: None,
                }
            })
            .collect();
        Hosts { tracked, options, hooks: JoinSet::new(), writes: 0 }
    }

    /// Takes up the hosts an earlier run stopped (a failed hook, no
    /// rejoin): the operator runs again having seen why, so the hook runs
    /// again, or the rejoin is waited for again. At a run's start.
    pub(crate) fn take_up_stopped(&mut self, now: i64) {
        for t in self.tracked.iter_mut().filter(|t| self.options.hand_off_for(&t.plan.name).is_some()) {
            let Some(why) = &t.state.failed else { continue };
            tracing::warn!(host = t.plan.name, "stopped in an earlier run ({why}); trying it again");
            if t.state.stage == HostStage::Empty {
                t.hook = None;
            }
            t.state = t.state.retried(now);
        }
    }

    /// Whether the run has nothing more to do for the hosts. A host with
    /// no hand-off is left disabled (the run's start did that). One with a
    /// hand-off must be done, or wait for what this run will not give it:
    /// servers cutover does not move (`moves`: each host's planned servers).
    pub(crate) fn settled(&self, moves: &BTreeMap<String, HostMoves>) -> bool {
        self.tracked.iter().all(|t| {
            let moves = moves.get(&t.plan.name).map_or(0, |m| m.in_flight);
            self.options.hand_off_for(&t.plan.name).is_none()
                || t.state.is_done()
                || (t.state.stage == HostStage::Draining && moves == 0 && t.listed.is_some_and(|n| n > 0))
        })
    }

    /// One round: hooks that ended are journaled, every unfinished host
    /// observed and stepped, its actions carried out. `moves`: each host's
    /// planned servers under way. `Ok(true)` when something changed.
    pub(crate) async fn round(
        &mut self,
        plan: &Plan,
        driver: &dyn Driver,
        journal: &mut Journal,
        moves: &BTreeMap<String, HostMoves>,
        now: i64,
    ) -> std::result::Result<bool, HostRound> {
        let mut changed = self.collect_hooks(journal).map_err(HostRound::Fatal)?;
        // Only hosts with a hand-off are taken further than disabled. A
        // host whose servers are still to move cannot be empty yet: it is
        // stepped on its moves alone, not worth its listings; nor is one
        // whose hook runs, waiting for its end.
        let open: Vec<usize> = (0..self.tracked.len())
            .filter(|&i| {
                let t = &self.tracked[i];
                self.options.hand_off_for(&t.plan.name).is_some() && !t.state.is_done()
            })
            .collect();
        let moves_of = |name: &str| moves.get(name).copied().unwrap_or_default();
        let observed: Vec<&str> = open
            .iter()
            .map(|&i| &self.tracked[i])
            .filter(|t| !waiting_for_moves(t.state.stage, moves_of(&t.plan.name)) && t.running.is_none())
            .map(|t| t.plan.name.as_str())
            .collect();
        let mut seen = match observed.is_empty() {
            true => BTreeMap::new(),
            false => driver.observe_hosts(plan, &observed).await.map_err(HostRound::Observe)?,
        };
        for i in open {
            let t = &mut self.tracked[i];
            let HostMoves { in_flight, started } = moves_of(&t.plan.name);
            let mut obs = match seen.remove(&t.plan.name) {
                Some(obs) => obs,
                None if waiting_for_moves(t.state.stage, moves_of(&t.plan.name)) => HostObservation::default(),
                None => continue,
            };
            if obs.listed_servers.present().is_some() {
                t.listed = obs.listed_servers.present().copied();
            }
            obs.moves_in_flight = in_flight;
            obs.moves_started = started;
            obs.hook = t.hook.as_ref().and_then(|h| h.end.as_ref()).map(HookEndRecord::end);
            let step = step_host(&t.plan, &t.state, &obs, now);
            if step.state != t.state {
                journal.save_host_state(&t.plan.name, &step.state).map_err(fatal)?;
                self.writes += 1;
                if step.state.stage != t.state.stage {
                    tracing::info!(host = t.plan.name, stage = ?step.state.stage, "old host");
                }
                if let Some(why) = step.state.failed.as_ref().filter(|_| t.state.failed.is_none()) {
                    tracing::warn!(host = t.plan.name, "old host stopped: {why}");
                }
                t.state = step.state;
                changed = true;
            }
            for action in step.actions {
                changed |= self.act(i, plan, driver, journal, action, now).await?;
            }
        }
        Ok(changed)
    }

    /// Carries out one host action: its intent journaled before, its
    /// outcome after (a hook's when it ends).
    async fn act(
        &mut self,
        i: usize,
        plan: &Plan,
        driver: &dyn Driver,
        journal: &mut Journal,
        action: HostAction,
        now: i64,
    ) -> std::result::Result<bool, HostRound> {
        let host = self.tracked[i].plan.name.clone();
        if let HostAction::RunHook { .. } = action {
            return self.start_hook(i, plan, journal, &action, now).map_err(HostRound::Fatal);
        }
        if let HostAction::DisableService { reason, .. } = &action {
            let done =
                disable(plan, driver, journal, &host, reason, &mut self.writes).await.map_err(HostRound::Fatal)?;
            return Ok(done.map_err(|e| tracing::warn!(host, "{e}")).is_ok());
        }
        let seq = journal.intend_host(&host, &action).map_err(fatal)?;
        self.writes += 1;
        let done = match &action {
            HostAction::DisableService { .. } => unreachable!("disabled above"),
            HostAction::DeleteOldService { .. } => driver.delete_old_service(plan, &host).await,
            HostAction::DisableNewService { reason, .. } => driver.set_new_host(plan, &host, Some(reason)).await,
            HostAction::JoinAggregates { aggregates, .. } => {
                tracing::info!(host, aggregates = aggregates.join(", "), "putting the host into its old aggregates");
                driver.join_aggregates(plan, &host, aggregates).await
            }
            HostAction::EnableNewService { .. } => driver.set_new_host(plan, &host, None).await,
            HostAction::RunHook { .. } => unreachable!("started above"),
        };
        journal.host_outcome(seq, done.clone().map_err(|e| e.message)).map_err(fatal)?;
        self.writes += 1;
        match done {
            Ok(()) => Ok(true),
            // The host machine asks again next round; a lasting refusal
            // shows in the host's stage not moving on.
            Err(e) => {
                tracing::warn!(host, "{e}");
                Ok(false)
            }
        }
    }

    /// Starts the hand-off hook of host `i` in the background, its intent
    /// and start journaled first (a hook cut short by a crash runs again:
    /// hooks are idempotent).
    fn start_hook(
        &mut self,
        i: usize,
        plan: &Plan,
        journal: &mut Journal,
        action: &HostAction,
        now: i64,
    ) -> Result<bool> {
        let host = self.tracked[i].plan.name.clone();
        let Some(hand_off) = self.options.hand_off_for(&host) else { return Ok(false) };
        let t = &mut self.tracked[i];
        if t.running.is_some() {
            return Ok(false);
        }
        if t.hook.as_ref().is_some_and(|h| h.end.is_none()) {
            tracing::warn!(host, "its hand-off hook was cut short by the last run's end: running it again");
        }
        let seq = journal.intend_host(&host, action)?;
        let record = HookRecord { started_at: now, end: None };
        journal.save_hook(&host, &record)?;
        self.writes += 2;
        t.hook = Some(record);
        t.running = Some(seq);
        let request = HookRequest {
            host: host.clone(),
            old_region: plan.clouds.old_region.clone(),
            new_region: plan.clouds.new_region.clone(),
            migration: plan.migration.clone(),
        };
        tracing::info!(host, "handing the empty host off");
        self.hooks.spawn(async move { (i, hand_off.hand_off(&request).await) });
        Ok(true)
    }

    /// Journals the end of every hook that has finished.
    fn collect_hooks(&mut self, journal: &mut Journal) -> Result<bool> {
        let mut changed = false;
        while let Some(joined) = self.hooks.try_join_next() {
            changed |= self.record_end(joined, journal)?;
        }
        Ok(changed)
    }

    fn record_end(
        &mut self,
        joined: std::result::Result<(usize, HookReport), tokio::task::JoinError>,
        journal: &mut Journal,
    ) -> Result<bool> {
        let (i, report) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return Ok(false),
        };
        let t = &mut self.tracked[i];
        let seq = t.running.take();
        let started_at = t.hook.as_ref().map_or(0, |h| h.started_at);
        let record = HookRecord { started_at, end: Some(hook_end(&report)) };
        journal.save_hook(&t.plan.name, &record)?;
        self.writes += 1;
        if let Some(seq) = seq {
            let outcome = if report.succeeded() {
                Ok(())
            } else {
                Err(record.end.as_ref().map(HookEndRecord::describe).unwrap_or_default())
            };
            journal.host_outcome(seq, outcome)?;
            self.writes += 1;
        }
        tracing::info!(host = t.plan.name, "hand-off hook {}: {}", report.outcome(), report.last_line());
        t.hook = Some(record);
        Ok(true)
    }

    /// Old hosts that have aggregates to join in the new region and may be
    /// there, not joined yet: handed off, or whose hook has started (the
    /// host may be redeployed already when a run was stopped meanwhile).
    pub(crate) fn joining(&self) -> Vec<&str> {
        self.tracked
            .iter()
            .filter(|t| match t.state.stage {
                HostStage::HandedOff => true,
                HostStage::Empty => t.hook.is_some(),
                _ => false,
            })
            .filter(|t| t.state.failed.is_none())
            .filter(|t| t.state.aggregates.as_ref().is_some_and(|a| !a.is_empty()))
            .map(|t| t.plan.name.as_str())
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
    pub(crate) fn may_add_room(&self, moves: &BTreeMap<String, HostMoves>) -> bool {
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

/// Takes old host `host` out of scheduling, the one way a run does it (at
/// its start, after a rebuild there, and in the host's machine): intent
/// journaled before the call, outcome after (`writes` counts them). The
/// outer error is the journal's; the inner one the cloud's.
pub(crate) async fn disable(
    plan: &Plan,
    driver: &dyn Driver,
    journal: &mut Journal,
    host: &str,
    reason: &str,
    writes: &mut u64,
) -> Result<std::result::Result<(), DriverError>> {
    let action = HostAction::DisableService { host: host.to_string(), reason: reason.to_string() };
    let seq = journal.intend_host(host, &action)?;
    let done = driver.disable_host(plan, host, reason).await;
    journal.host_outcome(seq, done.clone().map_err(|e| e.message))?;
    *writes += 2;
    Ok(done)
}

/// Whether a host at `stage` is only waiting for its servers' moves: it is
/// stepped on them alone, without listings.
fn waiting_for_moves(stage: HostStage, moves: HostMoves) -> bool {
    matches!(stage, HostStage::Disabled | HostStage::Draining) && moves.in_flight > 0
}

/// A journal write that failed: the run stops there.
fn fatal(error: cutover_journal::Error) -> HostRound {
    HostRound::Fatal(error.into())
}

/// Why a host round did not complete.
pub(crate) enum HostRound {
    Observe(DriverError),
    Fatal(crate::error::Error),
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
