/*!
The reconcile loop. Each round: admit the servers the limits allow,
observe every unfinished one in one batched call, step each machine,
journal the new states and the intents, carry the actions out (bounded,
concurrently), journal their outcomes, wait (short while things change,
longer while nothing does). See docs/journal.md for what is written when
and why a `kill -9` anywhere in between resumes correctly.
*/

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cutover_core::machine::{Action, Observation, ServerMove, ServerState, Strategy};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_journal::Journal;
use tokio::time::Instant;

use crate::clock::{retry_after, Backoff, Clock, PollPolicy};
use crate::driver::{Driver, DriverError};
use crate::error::{Error, Result};
use crate::limits::{Limits, Slots};
use crate::notes::{self, Notes};
use crate::open::Opened;
use crate::phase::{self, Phase};
use crate::report::{self, Report};

/// How a run behaves; [`Options::default`] is what `cutover run` uses
/// unless told otherwise.
#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    pub poll: PollPolicy,
    /// Driver calls under way at once (over all servers).
    pub calls_in_flight: usize,
    /// A server's actions refused for good this many rounds in a row: the
    /// server is held (left as it is, reported; the next run retries it).
    pub hold_after_refusals: u32,
    /// The same for failures that may pass (timeouts, 5xx).
    pub hold_after_failures: u32,
    /// Observations failing this many times in a row end the run.
    pub observe_attempts: u32,
    /// Crash tests: stop dead right after this many journal writes, as a
    /// `kill -9` would; the run returns [`Error::Halted`].
    pub halt_after_writes: Option<u64>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            limits: Limits::default(),
            poll: PollPolicy::default(),
            calls_in_flight: 16,
            hold_after_refusals: 2,
            hold_after_failures: 8,
            observe_attempts: 30,
            halt_after_writes: None,
        }
    }
}

/// What the display gets after every round.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub total: usize,
    /// Servers that ended (moved, rolled back, failed) or are held.
    pub done: usize,
    /// Of those, the ones that got there during this run (for the rate).
    pub done_this_run: usize,
    pub phases: Vec<(Phase, usize)>,
    pub elapsed: Duration,
    /// Journal writes so far in this run (what the crash tests count).
    pub journal_writes: u64,
}

/// One planned server as the loop tracks it.
struct Tracked {
    /// Where its `ServerPlan` is in the plan: (host, server).
    at: (usize, usize),
    host: String,
    project: String,
    plan: ServerMove,
    state: ServerState,
    /// Holds a slot: it has left (or been admitted to leave) its first state.
    started: bool,
    ended_before: bool,
    failures: u32,
    retry_at: Option<Instant>,
    held: Option<String>,
    /// A boot the cloud refused for good, told to the machine on its next
    /// step (it turns the move back rather than boot again).
    refused: Option<String>,
    notes: Notes,
}

impl Tracked {
    fn done(&self) -> bool {
        self.state.end.is_some() || self.held.is_some()
    }

    fn holds_slot(&self) -> bool {
        self.started && !self.done() && self.plan.strategy != Strategy::Wait
    }

    fn booting(&self) -> bool {
        is_new_boot(&self.plan, &self.state)
    }

    fn phase(&self) -> Phase {
        match &self.held {
            Some(_) if self.state.end.is_none() => Phase::Held,
            _ => Phase::of(&self.plan, &self.state, self.started),
        }
    }
}

/// Whether `state` is at the boot into the new region: what the new
/// region's build limit counts.
fn is_new_boot(plan: &ServerMove, state: &ServerState) -> bool {
    state.route == cutover_core::machine::Route::Forward
        && state.stage(plan) == Some(cutover_core::machine::Stage::Boot)
}

/// A run of one plan: its journal (locked), the driver, the tracked servers.
pub struct Engine {
    plan: Arc<Plan>,
    journal: Journal,
    driver: Arc<dyn Driver>,
    options: Options,
    clock: Clock,
    servers: Vec<Tracked>,
    writes: u64,
    started: Instant,
}

impl Engine {
    /// Opens (or creates) the journal of `opened` and loads every server's
    /// state from it.
    pub fn start(
        plan: Plan,
        opened: Opened,
        driver: Arc<dyn Driver>,
        options: Options,
        clock: Clock,
    ) -> Result<Engine> {
        let created = !opened.resumes();
        let journal = opened.into_journal(&plan, clock.now())?;
        let mut sent: HashMap<String, usize> = HashMap::new();
        let mut interrupted = 0;
        for action in journal.actions(None)? {
            interrupted += usize::from(action.outcome.is_none());
            *sent.entry(action.source).or_default() += 1;
        }
        if interrupted > 0 {
            tracing::info!(
                interrupted,
                "actions were under way when the last run stopped; observing to see what became of them"
            );
        }
        let mut entries: HashMap<String, ServerState> =
            journal.servers()?.into_iter().map(|e| (e.plan.source.clone(), e.state)).collect();
        let mut servers = Vec::new();
        for (h, host) in plan.hosts.iter().enumerate() {
            for (s, planned) in host.servers.iter().enumerate() {
                let source = &planned.server.id;
                let state = entries.remove(source).ok_or_else(|| {
                    Error::Journal(cutover_journal::Error::UnknownServer {
                        path: journal.path().to_path_buf(),
                        server: source.clone(),
                    })
                })?;
                servers.push(Tracked {
                    at: (h, s),
                    host: host.name.clone(),
                    project: planned.server.project_id.clone(),
                    plan: plan.server_move(planned),
                    started: sent.contains_key(source) || report::started(&state),
                    ended_before: state.end.is_some(),
                    state,
                    failures: 0,
                    retry_at: None,
                    held: None,
                    refused: None,
                    notes: notes::load(&journal, source)?,
                });
            }
        }
        let mut engine = Engine {
            plan: Arc::new(plan),
            journal,
            driver,
            options,
            clock,
            servers,
            writes: 0,
            started: Instant::now(),
        };
        if created {
            engine.wrote()?;
        }
        Ok(engine)
    }

    /// Runs until every server has ended or is held, or `shutdown`
    /// resolves (after the round under way, so every outcome is written);
    /// then has the driver tidy what a killed run left ([`Driver::tidy`]).
    pub async fn run(
        mut self,
        progress: &mut dyn FnMut(&Progress),
        shutdown: impl Future<Output = ()>,
    ) -> Result<Report> {
        tokio::pin!(shutdown);
        self.disable_hosts().await?;
        progress(&self.progress());
        let mut backoff = Backoff::new(self.options.poll);
        let mut observe_failures = 0;
        while !self.servers.iter().all(Tracked::done) {
            let wait = match self.round().await {
                Ok(changed) => {
                    observe_failures = 0;
                    progress(&self.progress());
                    self.next_wake(backoff.next(changed))
                }
                Err(Round::Observe(source)) => {
                    observe_failures += 1;
                    if source.permanent || observe_failures >= self.options.observe_attempts {
                        return Err(Error::ObserveFailed { attempts: observe_failures, source });
                    }
                    tracing::warn!(attempt = observe_failures, "observing the clouds failed: {source}");
                    retry_after(observe_failures, self.options.poll.max)
                }
                Err(Round::Fatal(error)) => return Err(error),
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut shutdown => {
                    tracing::warn!("stopping: the journal is complete up to here; `cutover run` again resumes");
                    break;
                }
            }
        }
        self.save_notes()?;
        if let Err(e) = self.driver.tidy(&self.plan).await {
            tracing::warn!("tidying up after the run: {e} (the next run tries again)");
        }
        let held: HashMap<String, String> =
            self.servers.iter().filter_map(|t| Some((t.plan.source.clone(), t.held.clone()?))).collect();
        Report::from_journal(&self.journal, &held)
    }

    /// Takes every old host with a server still to move out of
    /// scheduling, once (journaled), before the first move.
    async fn disable_hosts(&mut self) -> Result<()> {
        let reason =
            format!("cutover migration {}: moving its servers to {}", self.plan.migration, self.plan.clouds.new_region);
        for h in 0..self.plan.hosts.len() {
            let host = self.plan.hosts[h].name.clone();
            let unfinished = self.servers.iter().any(|t| t.at.0 == h && t.state.end.is_none());
            if !unfinished || notes::host_disabled(&self.journal, &host)?.is_some() {
                continue;
            }
            let mut failures = 0;
            loop {
                match self.driver.disable_host(&self.plan, &host, &reason).await {
                    Ok(()) => break,
                    Err(source) => {
                        failures += 1;
                        if source.permanent || failures >= self.options.observe_attempts {
                            return Err(Error::DisableHostFailed { host, source });
                        }
                        tokio::time::sleep(retry_after(failures, self.options.poll.max)).await;
                    }
                }
            }
            notes::set_host_disabled(&mut self.journal, &host, self.clock.now())?;
            self.wrote()?;
            tracing::info!(host, "old host taken out of scheduling");
        }
        Ok(())
    }

    /// One round; `Ok(true)` when something changed (a state or an action).
    async fn round(&mut self) -> Result<bool, Round> {
        let mut slots = self.admit();
        let now = Instant::now();
        let batch: Vec<usize> = (0..self.servers.len())
            .filter(|&i| {
                let t = &self.servers[i];
                !t.done() && (t.started || t.plan.strategy == Strategy::Wait) && t.retry_at.is_none_or(|at| at <= now)
            })
            .collect();
        if batch.is_empty() {
            return Ok(false);
        }
        let planned: Vec<&ServerPlan> = batch.iter().map(|&i| self.planned(i)).collect();
        let observed = self.driver.observe(&self.plan, &planned).await.map_err(Round::Observe)?;
        let mut calls = Vec::new();
        let mut changed = false;
        for &i in &batch {
            self.servers[i].notes.observed += 1.0 / batch.len() as f64;
            if let Some(observation) = observed.get(&self.servers[i].plan.source) {
                changed |= self.decide(i, observation, &mut slots, &mut calls).map_err(Round::Fatal)?;
            }
        }
        changed |= !calls.is_empty();
        self.act(calls).await.map_err(Round::Fatal)?;
        Ok(changed)
    }

    /// Gives free slots to pending servers, in drain order.
    fn admit(&mut self) -> Slots {
        let mut slots = Slots::new(self.options.limits);
        for t in self.servers.iter().filter(|t| t.holds_slot()) {
            slots.take(&t.host, &t.project);
            if t.booting() {
                slots.take_build();
            }
        }
        for t in &mut self.servers {
            if !t.started && !t.done() && t.plan.strategy != Strategy::Wait && slots.admits(&t.host, &t.project) {
                t.started = true;
                slots.take(&t.host, &t.project);
            }
        }
        slots
    }

    /// Steps server `i` on `observation`; journals its new state, then the
    /// intent of each action it asks for (queued in `calls`).
    fn decide(
        &mut self,
        i: usize,
        observation: &Observation,
        slots: &mut Slots,
        calls: &mut Vec<Call>,
    ) -> Result<bool> {
        self.note_rebuild(i, observation)?;
        let now = self.clock.now();
        let refused = self.servers[i].refused.take();
        let t = &self.servers[i];
        let step = match refused {
            Some(why) => {
                let told = Observation { refused: Some(why), ..observation.clone() };
                cutover_core::machine::step(&t.plan, &t.state, &told, now)
            }
            None => cutover_core::machine::step(&t.plan, &t.state, observation, now),
        };
        if is_new_boot(&t.plan, &step.state) && !t.booting() {
            // The step is dropped, not saved: the next round steps again
            // from the saved state, once a build slot is free.
            if !slots.builds_admit() {
                return Ok(false);
            }
            slots.take_build();
        }
        let source = t.plan.source.clone();
        let changed = step.state != t.state;
        if changed {
            self.journal.save(&source, &step.state)?;
            self.wrote()?;
            self.servers[i].state = step.state;
        }
        for action in step.actions {
            let seq = self.journal.intend(&source, &action)?;
            self.wrote()?;
            calls.push(Call { server: i, seq, action });
        }
        if self.servers[i].state.end.is_some() {
            self.save_notes_of(i)?;
        }
        Ok(changed)
    }

    /// Notes the id of the server cutover booted for `i`, once seen.
    fn note_rebuild(&mut self, i: usize, observation: &Observation) -> Result<()> {
        use cutover_core::machine::Route;
        let t = &self.servers[i];
        let rebuild = match t.state.route {
            Route::Forward => observation.target.present(),
            Route::RestoreInOld => observation.restored.present().or(observation.target.present()),
            Route::BackToSource => None,
        };
        let id = rebuild.map(|s| s.id.clone());
        let keep = id.is_none() && t.state.route != Route::BackToSource;
        if keep || id == t.notes.new_id {
            return Ok(());
        }
        self.servers[i].notes.new_id = id;
        self.save_notes_of(i)
    }

    /// Carries out the round's actions, at most `calls_in_flight` at once,
    /// journaling each outcome as it comes.
    async fn act(&mut self, calls: Vec<Call>) -> Result<()> {
        let permits = Arc::new(tokio::sync::Semaphore::new(self.options.calls_in_flight.max(1)));
        let mut running = tokio::task::JoinSet::new();
        for call in calls {
            let (driver, plan, permits) = (self.driver.clone(), self.plan.clone(), permits.clone());
            let (h, s) = self.servers[call.server].at;
            running.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let result = driver.execute(&plan, &plan.hosts[h].servers[s], &call.action).await;
                (call, result)
            });
        }
        let mut failed: BTreeMap<usize, (u32, bool, String)> = BTreeMap::new();
        let mut succeeded = Vec::new();
        while let Some(joined) = running.join_next().await {
            let (call, result) = match joined {
                Ok(done) => done,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => continue,
            };
            self.journal.outcome(call.seq, result.clone().map_err(|e| e.message))?;
            self.wrote()?;
            match result {
                Ok(()) => succeeded.push(call.server),
                Err(error) if error.permanent && matches!(call.action, Action::BootServer { .. }) => {
                    // A boot refused for good is the move's failure, not a
                    // call to retry: the machine rolls the server back.
                    tracing::warn!(server = self.servers[call.server].plan.source, "boot refused: {}", error.message);
                    self.servers[call.server].refused = Some(error.message);
                }
                Err(error) => {
                    let entry = failed.entry(call.server).or_insert((0, false, String::new()));
                    entry.0 += 1;
                    entry.1 |= error.permanent;
                    entry.2 = format!("{} failed: {}", action_name(&call.action), error.message);
                }
            }
        }
        for i in succeeded {
            if !failed.contains_key(&i) {
                self.servers[i].failures = 0;
            }
        }
        for (i, (_, permanent, why)) in failed {
            self.fail(i, permanent, why);
        }
        Ok(())
    }

    /// A failed round for server `i`: retried later, held after too many.
    fn fail(&mut self, i: usize, permanent: bool, why: String) {
        let options = &self.options;
        let t = &mut self.servers[i];
        t.failures += 1;
        let limit = if permanent { options.hold_after_refusals } else { options.hold_after_failures };
        if t.failures >= limit {
            tracing::warn!(server = t.plan.source, "held after {} failed rounds: {why}", t.failures);
            t.held = Some(format!("{why} ({} times in a row)", t.failures));
        } else {
            tracing::info!(server = t.plan.source, "{why}; retrying");
            t.retry_at = Some(Instant::now() + retry_after(t.failures, options.poll.max));
        }
    }

    /// The wait after a round: the poll interval, or less when a server's
    /// retry comes sooner.
    fn next_wake(&self, poll: Duration) -> Duration {
        let now = Instant::now();
        self.servers
            .iter()
            .filter(|t| !t.done())
            .filter_map(|t| t.retry_at.filter(|at| *at > now))
            .map(|at| at - now)
            .fold(poll, Duration::min)
    }

    fn progress(&self) -> Progress {
        let phases: Vec<Phase> = self.servers.iter().map(Tracked::phase).collect();
        Progress {
            total: self.servers.len(),
            done: self.servers.iter().filter(|t| t.done()).count(),
            done_this_run: self.servers.iter().filter(|t| t.done() && !t.ended_before).count(),
            phases: phase::count(&phases),
            elapsed: self.started.elapsed(),
            journal_writes: self.writes,
        }
    }

    fn planned(&self, i: usize) -> &ServerPlan {
        let (h, s) = self.servers[i].at;
        &self.plan.hosts[h].servers[s]
    }

    fn save_notes_of(&mut self, i: usize) -> Result<()> {
        let t = &self.servers[i];
        notes::save(&mut self.journal, &t.plan.source, &t.notes)?;
        self.wrote()
    }

    /// Writes every unfinished server's notes (its share of observations).
    fn save_notes(&mut self) -> Result<()> {
        for i in 0..self.servers.len() {
            if !self.servers[i].ended_before {
                self.save_notes_of(i)?;
            }
        }
        Ok(())
    }

    /// Counts a journal write; the crash tests stop dead after the Nth.
    fn wrote(&mut self) -> Result<()> {
        self.writes += 1;
        match self.options.halt_after_writes {
            Some(n) if self.writes >= n => Err(Error::Halted(self.writes)),
            _ => Ok(()),
        }
    }
}

/// An action of a round, its intent written.
struct Call {
    server: usize,
    seq: i64,
    action: cutover_core::machine::Action,
}

/// How a round can fail: the observation (retried) or for good.
enum Round {
    Observe(DriverError),
    Fatal(Error),
}

/// The action's kind as the journal spells it (`create_image`).
fn action_name(action: &cutover_core::machine::Action) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_string))
        .unwrap_or_default()
}
