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
use cutover_journal::Journal;
use serde::{Deserialize, Serialize};
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

/// The hook as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRecord {
    /// When it was started (the run's clock).
    pub started_at: i64,
    /// How it ended; `None` while it runs, or if a crash cut it short.
    pub end: Option<HookEndRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookEndRecord {
    pub succeeded: bool,
    /// Exit status; `None` when it succeeded or was killed at its timeout.
    pub status: Option<i32>,
    /// The tail of what it printed.
    pub output: String,
    pub secs: u64,
}

impl HookEndRecord {
    fn of(report: &HookReport) -> HookEndRecord {
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

    /// `succeeded`, `exited 2`, `timed out`, with the last line printed.
    pub fn describe(&self) -> String {
        let how = match (self.succeeded, self.status) {
            (true, _) => "succeeded".to_string(),
            (false, Some(code)) => format!("exited {code}"),
            (false, None) => "timed out".to_string(),
        };
        match last_line(&self.output) {
            line if line.is_empty() => how,
            line => format!("{how}: {line}"),
        }
    }

    fn end(&self) -> HookEnd {
        match self.succeeded {
            true => HookEnd::Succeeded,
            false => HookEnd::Failed { status: self.status, output: last_line(&self.output) },
        }
    }
}

fn last_line(output: &str) -> String {
    output.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string()
}

fn state_key(host: &str) -> String {
    format!("host/{host}/state")
}

fn hook_key(host: &str) -> String {
    format!("host/{host}/hook")
}

fn load<T: for<'de> Deserialize<'de>>(journal: &Journal, key: &str) -> Result<Option<T>> {
    Ok(journal.value(key)?.and_then(|text| serde_json::from_str(&text).ok()))
}

fn store<T: Serialize>(journal: &mut Journal, key: &str, value: &T) -> Result<()> {
    let text = serde_json::to_string(value).unwrap_or_default();
    Ok(journal.set_value(key, &text)?)
}

/// One old host as the run tracks it.
pub(crate) struct TrackedHost {
    pub(crate) plan: HostMove,
    pub(crate) state: HostState,
    pub(crate) hook: Option<HookRecord>,
    /// Its hook runs now, in this process.
    running: bool,
    /// Servers the last observation listed on it (for the report).
    pub(crate) listed: Option<u32>,
}

/// Every planned old host, and the hooks running.
pub(crate) struct Hosts {
    pub(crate) tracked: Vec<TrackedHost>,
    options: HostOptions,
    hooks: JoinSet<(usize, HookReport)>,
}

impl Hosts {
    /// The plan's hosts, with what the journal holds of them.
    pub(crate) fn load(plan: &Plan, journal: &Journal, options: HostOptions, now: i64) -> Result<Hosts> {
        let reason = disable_reason(plan);
        let mut tracked = Vec::new();
        for host in &plan.hosts {
            let state = load(journal, &state_key(&host.name))?.unwrap_or_else(|| HostState::new(now));
            let hook: Option<HookRecord> = load(journal, &hook_key(&host.name))?;
            tracked.push(TrackedHost {
                plan: HostMove {
                    name: host.name.clone(),
                    disable_reason: reason.clone(),
                    empty_interval_secs: options.empty_interval.as_secs() as i64,
                    rejoin_timeout_secs: options.rejoin_timeout.as_secs() as i64,
                    join_reason: join_reason(plan),
                },
                state,
                hook,
                running: false,
                listed: None,
            });
        }
        Ok(Hosts { tracked, options, hooks: JoinSet::new() })
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
            .filter(|t| !waiting_for_moves(t.state.stage, moves_of(&t.plan.name)) && !t.running)
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
                store(journal, &state_key(&t.plan.name), &step.state).map_err(HostRound::Fatal)?;
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
        let done = match action {
            HostAction::DisableService { reason, .. } => driver.disable_host(plan, &host, &reason).await,
            HostAction::DeleteOldService { .. } => driver.delete_old_service(plan, &host).await,
            HostAction::DisableNewService { reason, .. } => driver.set_new_host(plan, &host, Some(&reason)).await,
            HostAction::JoinAggregates { aggregates, .. } => {
                tracing::info!(host, aggregates = aggregates.join(", "), "putting the host into its old aggregates");
                driver.join_aggregates(plan, &host, &aggregates).await
            }
            HostAction::EnableNewService { .. } => driver.set_new_host(plan, &host, None).await,
            HostAction::RunHook { .. } => {
                let t = &mut self.tracked[i];
                let Some(hand_off) = self.options.hand_off_for(&host) else { return Ok(false) };
                if t.running {
                    return Ok(false);
                }
                if t.hook.as_ref().is_some_and(|h| h.end.is_none()) {
                    tracing::warn!(host, "its hand-off hook was cut short by the last run's end: running it again");
                }
                let record = HookRecord { started_at: now, end: None };
                store(journal, &hook_key(&host), &record).map_err(HostRound::Fatal)?;
                t.hook = Some(record);
                t.running = true;
                let request = HookRequest {
                    host: host.clone(),
                    old_region: plan.clouds.old_region.clone(),
                    new_region: plan.clouds.new_region.clone(),
                    migration: plan.migration.clone(),
                };
                tracing::info!(host, "handing the empty host off");
                self.hooks.spawn(async move { (i, hand_off.hand_off(&request).await) });
                return Ok(true);
            }
        };
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
        t.running = false;
        let started_at = t.hook.as_ref().map_or(0, |h| h.started_at);
        let record = HookRecord { started_at, end: Some(HookEndRecord::of(&report)) };
        store(journal, &hook_key(&t.plan.name), &record)?;
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

/// Whether a host at `stage` is only waiting for its servers' moves: it is
/// stepped on them alone, without listings.
fn waiting_for_moves(stage: HostStage, moves: HostMoves) -> bool {
    matches!(stage, HostStage::Disabled | HostStage::Draining) && moves.in_flight > 0
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

/// Every host the journal has a state for, in name order.
pub fn stepped(journal: &Journal) -> Result<Vec<String>> {
    Ok(journal
        .values_with_prefix("host/")?
        .into_iter()
        .filter_map(|(key, _)| Some(key.strip_prefix("host/")?.strip_suffix("/state")?.to_string()))
        .collect())
}

/// A host's state and hook as the journal keeps them (for the report).
pub fn journaled(journal: &Journal, host: &str) -> Result<(Option<HostState>, Option<HookRecord>)> {
    Ok((load(journal, &state_key(host))?, load(journal, &hook_key(host))?))
}
