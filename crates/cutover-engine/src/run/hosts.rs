/*!
The old hosts' round, carried out: hooks that ended are journaled, every
unfinished host observed (one batch) and stepped, its new state journaled
before its actions, each action's intent before it and its outcome after
(a hook's when it ends). A hook interrupted by a crash runs again: hooks
are idempotent. `disable` is the one way a run takes an old host out of
scheduling.
*/

use std::collections::BTreeMap;

use cutover_core::id::HostName;
use cutover_core::machine::host::{step_host, HookEnd, HostAction, HostObservation};
use cutover_core::plan::Plan;
use cutover_journal::{HookEndRecord, HookRecord, Journal};

use crate::driver::{Driver, DriverError};
use crate::error::Result;
use crate::hook::{HookReport, HookRequest};
use crate::hosts::{waiting_for_moves, HookRun, HostMoves, Hosts};

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

impl Hosts {
    /// One round: hooks that ended are journaled, every unfinished host
    /// observed and stepped, its actions carried out. `moves`: each host's
    /// planned servers under way. `Ok(true)` when something changed.
    pub(crate) async fn round(
        &mut self,
        plan: &Plan,
        driver: &dyn Driver,
        journal: &mut Journal,
        moves: &BTreeMap<HostName, HostMoves>,
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
        let observed: Vec<&HostName> = open
            .iter()
            .map(|&i| &self.tracked[i])
            .filter(|t| !waiting_for_moves(t.state.stage, moves_of(&t.plan.name)))
            .filter(|t| !matches!(t.hook, HookRun::Running { .. }))
            .map(|t| &t.plan.name)
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
            obs.hook = t.hook.end().map(HookEndRecord::end);
            let step = step_host(&t.plan, &t.state, &obs, now);
            if step.state != t.state {
                journal.save_host_state(&t.plan.name, &step.state).map_err(fatal)?;
                self.writes += 1;
                if step.state.stage != t.state.stage {
                    tracing::info!(host = %t.plan.name, stage = ?step.state.stage, "old host");
                }
                if let Some(why) = step.state.failed.as_ref().filter(|_| t.state.failed.is_none()) {
                    tracing::warn!(host = %t.plan.name, "old host stopped: {why}");
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
            return Ok(done.map_err(|e| tracing::warn!(host = %host, "{e}")).is_ok());
        }
        let seq = journal.intend_host(&host, &action).map_err(fatal)?;
        self.writes += 1;
        let done = match &action {
            HostAction::DisableService { .. } => unreachable!("disabled above"),
            HostAction::DeleteOldService { .. } => driver.delete_old_service(plan, &host).await,
            HostAction::DisableNewService { reason, .. } => driver.set_new_host(plan, &host, Some(reason)).await,
            HostAction::JoinAggregates { aggregates, .. } => {
                tracing::info!(host = %host, aggregates = aggregates.join(", "), "putting the host into its old aggregates");
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
                tracing::warn!(host = %host, "{e}");
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
        match t.hook {
            HookRun::Running { .. } => return Ok(false),
            HookRun::CutShort { .. } => {
                tracing::warn!(host = %host, "its hand-off hook was cut short by the last run's end: running it again");
            }
            HookRun::NotRun | HookRun::Ended(_) => {}
        }
        let intent = journal.intend_host(&host, action)?;
        journal.save_hook(&host, &HookRecord { started_at: now, end: None })?;
        self.writes += 2;
        t.hook = HookRun::Running { started_at: now, intent };
        let request = HookRequest {
            host: host.clone(),
            old_region: plan.clouds.old_region.clone(),
            new_region: plan.clouds.new_region.clone(),
            migration: plan.migration.clone(),
        };
        tracing::info!(host = %host, "handing the empty host off");
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
        // Only a running hook is spawned, so only one can end here.
        let HookRun::Running { started_at, intent } = t.hook else { return Ok(false) };
        let end = hook_end(&report);
        let outcome = if report.succeeded() { Ok(()) } else { Err(end.describe()) };
        let record = HookRecord { started_at, end: Some(end) };
        journal.save_hook(&t.plan.name, &record)?;
        journal.host_outcome(intent, outcome)?;
        self.writes += 2;
        tracing::info!(host = %t.plan.name, "hand-off hook {}: {}", report.outcome(), report.last_line());
        t.hook = HookRun::Ended(record);
        Ok(true)
    }
}

/// Takes old host `host` out of scheduling, the one way a run does it (at
/// its start, after a rebuild there, and in the host's machine): intent
/// journaled before the call, outcome after (`writes` counts them). The
/// outer error is the journal's; the inner one the cloud's.
pub(crate) async fn disable(
    plan: &Plan,
    driver: &dyn Driver,
    journal: &mut Journal,
    host: &HostName,
    reason: &str,
    writes: &mut u64,
) -> Result<std::result::Result<(), DriverError>> {
    let action = HostAction::DisableService { host: host.clone(), reason: reason.to_string() };
    let seq = journal.intend_host(host, &action)?;
    let done = driver.disable_host(plan, host, reason).await;
    journal.host_outcome(seq, done.clone().map_err(|e| e.message))?;
    *writes += 2;
    Ok(done)
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
