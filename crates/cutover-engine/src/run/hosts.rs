/*!
The old hosts' round, carried out: hooks that ended are journaled, every
unfinished host observed (one batch), the round decided (`Hosts::decide`),
each new state journaled before the actions, each action's intent before
it and its outcome after (a hook's when it ends). A hook interrupted by a
crash runs again: hooks are idempotent. `Engine::disable` is the one way
a run takes an old host out of scheduling.
*/

use std::collections::BTreeMap;

use cutover_core::id::HostName;
use cutover_core::machine::host::{HookEnd, HostAction, HostObservation, HostState};
use cutover_journal::{HookEndRecord, HookRecord};

use super::{Engine, Round};
use crate::driver::DriverError;
use crate::error::Result;
use crate::hook::{HookReport, HookRequest};
use crate::hosts::{waiting_for_moves, HookRun, HostMoves};

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

impl Engine {
    /// The old hosts' round: hooks that ended are journaled, every
    /// unfinished host observed and stepped (`Hosts::decide`), its new
    /// state journaled, then its actions carried out one by one. `moves`:
    /// each host's planned servers under way. `Ok(true)` when something
    /// changed.
    pub(super) async fn hosts_round(&mut self, moves: &BTreeMap<HostName, HostMoves>, now: i64) -> Result<bool, Round> {
        let mut changed = self.collect_hooks().map_err(Round::Fatal)?;
        let observed = self.observe_hosts(moves).await?;
        let decision = self.hosts.decide(observed, moves, now);
        changed |= decision.changes_state();
        let (_, acted) = self.carry_out(decision).await.map_err(Round::Fatal)?;
        Ok(changed || acted)
    }

    /// Observes, in one batch, the hosts with a hand-off that are not done;
    /// not those only waiting for their servers' moves (they cannot be
    /// empty yet: stepped on their moves alone, not worth their listings),
    /// nor one whose hook runs (waiting for its end).
    async fn observe_hosts(
        &mut self,
        moves: &BTreeMap<HostName, HostMoves>,
    ) -> Result<Vec<(usize, HostObservation)>, Round> {
        let hosts = &self.hosts;
        let open: Vec<usize> = (0..hosts.tracked.len())
            .filter(|&i| {
                let t = &hosts.tracked[i];
                hosts.options.hand_off_for(&t.plan.name).is_some() && !t.state.is_done()
            })
            .collect();
        let only_moves = |i: usize| {
            let t = &hosts.tracked[i];
            waiting_for_moves(t.state.stage, moves.get(&t.plan.name).copied().unwrap_or_default())
        };
        let listed: Vec<&HostName> = open
            .iter()
            .filter(|&&i| !only_moves(i) && !matches!(hosts.tracked[i].hook, HookRun::Running { .. }))
            .map(|&i| &hosts.tracked[i].plan.name)
            .collect();
        let mut seen = match listed.is_empty() {
            true => BTreeMap::new(),
            false => self.driver.observe_hosts(&self.state.plan, &listed).await.map_err(Round::Observe)?,
        };
        let mut observed = Vec::new();
        for i in open {
            match seen.remove(&hosts.tracked[i].plan.name) {
                Some(obs) => observed.push((i, obs)),
                None if only_moves(i) => observed.push((i, HostObservation::default())),
                None => {}
            }
        }
        for (i, obs) in &observed {
            if let Some(n) = obs.listed_servers.present() {
                self.hosts.tracked[*i].listed = Some(*n);
            }
        }
        Ok(observed)
    }

    /// Journals old host `i`'s new state, then takes it.
    pub(super) fn save_host(&mut self, i: usize, state: HostState) -> Result<()> {
        self.journal.save_host_state(&self.hosts.tracked[i].plan.name, &state)?;
        self.wrote();
        let t = &self.hosts.tracked[i];
        if state.stage != t.state.stage {
            tracing::info!(host = %t.plan.name, stage = ?state.stage, "old host");
        }
        if let Some(why) = state.failed.as_ref().filter(|_| t.state.failed.is_none()) {
            tracing::warn!(host = %t.plan.name, "old host stopped: {why}");
        }
        self.hosts.tracked[i].state = state;
        Ok(())
    }

    /// Carries out one host action: its intent journaled before, its
    /// outcome after (a hook's when it ends). `Ok(true)` when it was done
    /// (or its hook started).
    pub(super) async fn act_on_host(&mut self, i: usize, action: HostAction, now: i64) -> Result<bool> {
        let host = self.hosts.tracked[i].plan.name.clone();
        let plan = self.state.plan.clone();
        let done = match &action {
            HostAction::RunHook { .. } => return self.start_hook(i, &action, now),
            HostAction::DisableService { reason, .. } => {
                let done = self.disable(&host, reason).await?;
                return Ok(done.map_err(|e| tracing::warn!(host = %host, "{e}")).is_ok());
            }
            HostAction::DeleteOldService { .. } => {
                let seq = self.intend_host(&host, &action)?;
                (seq, self.driver.delete_old_service(&plan, &host).await)
            }
            HostAction::DisableNewService { reason, .. } => {
                let seq = self.intend_host(&host, &action)?;
                (seq, self.driver.set_new_host(&plan, &host, Some(reason)).await)
            }
            HostAction::JoinAggregates { aggregates, .. } => {
                let seq = self.intend_host(&host, &action)?;
                tracing::info!(host = %host, aggregates = aggregates.join(", "), "putting the host into its old aggregates");
                (seq, self.driver.join_aggregates(&plan, &host, aggregates).await)
            }
            HostAction::EnableNewService { .. } => {
                let seq = self.intend_host(&host, &action)?;
                (seq, self.driver.set_new_host(&plan, &host, None).await)
            }
        };
        let (seq, done) = done;
        self.journal.host_outcome(seq, done.clone().map_err(|e| e.message))?;
        self.wrote();
        // The host machine asks again next round; a lasting refusal shows
        // in the host's stage not moving on.
        Ok(done.map_err(|e| tracing::warn!(host = %host, "{e}")).is_ok())
    }

    fn intend_host(&mut self, host: &HostName, action: &HostAction) -> Result<i64> {
        let seq = self.journal.intend_host(host, action)?;
        self.wrote();
        Ok(seq)
    }

    /// Takes old host `host` out of scheduling, the one way a run does it
    /// (at its start, after a rebuild there, and in the host's machine):
    /// intent journaled before the call, outcome after. The outer error
    /// is the journal's; the inner one the cloud's, logged here.
    pub(super) async fn disable(
        &mut self,
        host: &HostName,
        reason: &str,
    ) -> Result<std::result::Result<(), DriverError>> {
        let action = HostAction::DisableService { host: host.clone(), reason: reason.to_string() };
        let seq = self.intend_host(host, &action)?;
        let done = self.driver.disable_host(&self.state.plan, host, reason).await;
        self.journal.host_outcome(seq, done.clone().map_err(|e| e.message))?;
        self.wrote();
        Ok(done)
    }

    /// Starts the hand-off hook of host `i` in the background, its intent
    /// and start journaled first (a hook cut short by a crash runs again:
    /// hooks are idempotent).
    fn start_hook(&mut self, i: usize, action: &HostAction, now: i64) -> Result<bool> {
        let host = self.hosts.tracked[i].plan.name.clone();
        let Some(hand_off) = self.hosts.options.hand_off_for(&host) else { return Ok(false) };
        match self.hosts.tracked[i].hook {
            HookRun::Running { .. } => return Ok(false),
            HookRun::CutShort { .. } => {
                tracing::warn!(host = %host, "its hand-off hook was cut short by the last run's end: running it again");
            }
            HookRun::NotRun | HookRun::Ended(_) => {}
        }
        let intent = self.intend_host(&host, action)?;
        self.journal.save_hook(&host, &HookRecord { started_at: now, end: None })?;
        self.wrote();
        self.hosts.tracked[i].hook = HookRun::Running { started_at: now, intent };
        let plan = &self.state.plan;
        let request = HookRequest {
            host: host.clone(),
            old_region: plan.clouds.old_region.clone(),
            new_region: plan.clouds.new_region.clone(),
            migration: plan.migration.clone(),
        };
        tracing::info!(host = %host, "handing the empty host off");
        self.hosts.hooks.spawn(async move { (i, hand_off.hand_off(&request).await) });
        Ok(true)
    }

    /// Journals the end of every hook that has finished.
    fn collect_hooks(&mut self) -> Result<bool> {
        let mut changed = false;
        while let Some(joined) = self.hosts.hooks.try_join_next() {
            changed |= self.record_end(joined)?;
        }
        Ok(changed)
    }

    fn record_end(&mut self, joined: std::result::Result<(usize, HookReport), tokio::task::JoinError>) -> Result<bool> {
        let (i, report) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return Ok(false),
        };
        let t = &self.hosts.tracked[i];
        // Only a running hook is spawned, so only one can end here.
        let HookRun::Running { started_at, intent } = t.hook else { return Ok(false) };
        let host = t.plan.name.clone();
        let end = hook_end(&report);
        let outcome = if report.succeeded() { Ok(()) } else { Err(end.describe()) };
        let record = HookRecord { started_at, end: Some(end) };
        self.journal.save_hook(&host, &record)?;
        self.wrote();
        self.journal.host_outcome(intent, outcome)?;
        self.wrote();
        tracing::info!(host = %host, "hand-off hook {}: {}", report.outcome(), report.last_line());
        self.hosts.tracked[i].hook = HookRun::Ended(record);
        Ok(true)
    }
}
