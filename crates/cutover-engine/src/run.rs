/*!
The reconcile loop. Each round: admit the servers the limits allow,
observe every unfinished one in one batched call, step each machine,
journal the new states and the intents, carry the actions out (bounded,
concurrently), journal their outcomes, wait (short while things change,
longer while nothing does). See docs/journal.md for what is written when
and why a `kill -9` anywhere in between resumes correctly.

Beside the loop: `scheduling`, the old hosts taken out of scheduling
before the first move, and let take servers again while a server is
rebuilt there; `handoff`, each old host's machine stepped after the
servers' round (emptied, handed off, joined to the new region, retired);
`admission`, which moves may start this round (the limits, the new
region's hosts, boots waiting); `rollback`, the rollbacks an operator asks for (`cutover rollback`), which
limit a run to the servers named; `deadline`, when `wait` servers stop
being waited for; `failures`, what a failed call leads to.
*/

mod admission;
mod deadline;
mod failures;
mod handoff;
mod rollback;
mod scheduling;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cutover_cloud::meter::metered;
use cutover_core::machine::{Action, Direction, Observation, Refused, Route, ServerMove, ServerState, Side, Strategy};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_journal::Journal;
use tokio::time::Instant;

use crate::clock::{retry_after, Backoff, Clock, PollPolicy};
use crate::driver::{Driver, DriverError};
use crate::error::{Error, Result};
use crate::hosts::{HostOptions, Hosts};
use crate::limits::{Limits, Slots};
use crate::open::Opened;
use crate::phase::{self, Phase};
use crate::report::Report;
use cutover_journal::Notes;

pub use rollback::RollbackRequest;

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
    /// The old hosts once their servers are gone: empty checks, hand-off.
    pub hosts: HostOptions,
    /// When (Unix seconds) `wait` servers still in the old region stop
    /// being waited for: they are held and reported.
    pub deadline: Option<i64>,
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
            hosts: HostOptions::default(),
            deadline: None,
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
    /// An action given up (a boot the cloud refused for good, or one
    /// failing round after round while the server is out of service),
    /// told to the machine on its next step: it turns the move back, or
    /// tries turning back again later.
    refused: Option<Refused>,
    notes: Notes,
    /// Room in the new region is set aside for it (see `admission`).
    room: bool,
    /// When it ended or was held in this run.
    ended_at: Option<Instant>,
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

/// Whether `state` is at a boot in the new region: what the new region's
/// build limit counts.
fn is_new_boot(plan: &ServerMove, state: &ServerState) -> bool {
    state.booting(plan) == Some(Side::New)
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
    /// The servers this run works on, when not all (`cutover rollback`),
    /// and those its report is of.
    only: Option<HashSet<usize>>,
    asked: Option<BTreeSet<String>>,
    /// Old hosts enabled for a rebuild whose enabling the cloud confirmed
    /// in this run.
    enabled: BTreeSet<String>,
    /// Old hosts the journal says the run took out of scheduling.
    disabled: BTreeSet<String>,
    /// Old hosts the journal says were enabled again for a rebuild (maybe:
    /// written before the call) and not disabled again since.
    enabled_journaled: BTreeSet<String>,
    /// The new region's compute hosts taking servers and their room, as
    /// last counted.
    new_region: Option<admission::Counted>,
    /// Old hosts whose servers wait for room in the new region, and what
    /// they need.
    waiting_for_room: BTreeMap<String, cutover_core::room::Load>,
    /// Moves that found no build slot in the last round: while any waits,
    /// no new move starts (it would only wait too, its server down).
    boots_waiting: usize,
    /// The old hosts' machines (not in a rollback run).
    hosts: Hosts,
    /// An old host that joined the new region and takes servers there
    /// before it is in its old aggregates: boots wait for it.
    joining_taking: Option<String>,
    /// What the new region has that the moves need, read once a run
    /// (not in a rollback run); each move's quota is taken as it starts.
    offer: Option<cutover_core::readiness::Offer>,
}

impl Engine {
    /// Opens (or creates) the journal of `opened` and loads every server's
    /// state from it.
    pub fn start(
        mut plan: Plan,
        opened: Opened,
        driver: Arc<dyn Driver>,
        options: Options,
        clock: Clock,
    ) -> Result<Engine> {
        let created = !opened.resumes();
        let journal = opened.into_journal(&plan, clock.now())?;
        // One read of everything the journal holds; from here on the run
        // only writes to it.
        let loaded = journal.load()?;
        let mut sent: HashMap<String, usize> = HashMap::new();
        let mut interrupted = 0;
        for action in &loaded.actions {
            interrupted += usize::from(action.outcome.is_none());
            *sent.entry(action.source.clone()).or_default() += 1;
        }
        if interrupted > 0 {
            tracing::info!(
                interrupted,
                "actions were under way when the last run stopped; observing to see what became of them"
            );
        }
        let mut entries: HashMap<String, (ServerMove, ServerState)> =
            loaded.servers.into_iter().map(|e| (e.plan.source.clone(), (e.plan, e.state))).collect();
        deadline::apply_conversions(&mut plan, &entries)?;
        let mut servers = Vec::new();
        for (h, host) in plan.hosts.iter().enumerate() {
            for (s, planned) in host.servers.iter().enumerate() {
                let source = &planned.server.id;
                let (_, state) = entries.remove(source).ok_or_else(|| {
                    Error::Journal(cutover_journal::Error::UnknownServer {
                        path: journal.path().to_path_buf(),
                        server: source.clone(),
                    })
                })?;
                let started = sent.contains_key(source) || state.started();
                servers.push(Tracked {
                    at: (h, s),
                    host: host.name.clone(),
                    project: planned.server.project_id.clone(),
                    plan: plan.server_move(planned),
                    started,
                    room: started && state.end.is_none(),
                    ended_before: state.end.is_some(),
                    state,
                    failures: 0,
                    retry_at: None,
                    held: None,
                    refused: None,
                    notes: loaded.notes.get(source).cloned().unwrap_or_default(),
                    ended_at: None,
                });
            }
        }
        let hosts = Hosts::load(&plan, &loaded.hosts, options.hosts.clone(), clock.now());
        let marked = |f: fn(&cutover_journal::HostEntry) -> bool| -> BTreeSet<String> {
            loaded.hosts.iter().filter(|(_, h)| f(h)).map(|(name, _)| name.clone()).collect()
        };
        let disabled = marked(|h| h.disabled_at.is_some());
        let enabled_journaled = marked(|h| h.enabled_for_rebuild_at.is_some());
        driver.keep_records(journal.ledger()?);
        let mut engine = Engine {
            hosts,
            plan: Arc::new(plan),
            journal,
            driver,
            options,
            clock,
            servers,
            writes: 0,
            started: Instant::now(),
            only: None,
            asked: None,
            enabled: BTreeSet::new(),
            disabled,
            enabled_journaled,
            new_region: None,
            waiting_for_room: BTreeMap::new(),
            boots_waiting: 0,
            joining_taking: None,
            offer: None,
        };
        if created {
            engine.wrote();
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
        if self.only.is_none() {
            self.disable_hosts().await?;
            self.hosts.take_up_stopped(self.clock.now());
        }
        progress(&self.progress());
        let mut backoff = Backoff::new(self.options.poll);
        let mut observe_failures = 0;
        while !self.finished() {
            let outcome = match self.round().await {
                Ok(changed) => self.host_round().await.map(|hosts| changed | hosts),
                Err(e) => Err(e),
            };
            let wait = match outcome {
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
        self.close_hosts().await?;
        self.save_notes()?;
        if let Err(e) = self.driver.tidy(&self.plan).await {
            tracing::warn!("tidying up after the run: {e} (the next run tries again)");
        }
        let held: HashMap<String, String> =
            self.servers.iter().filter_map(|t| Some((t.plan.source.clone(), t.held.clone()?))).collect();
        Report::of_servers(&self.journal, &held, self.asked.as_ref())
    }

    /// Whether server `i` is one this run works on.
    fn selected(&self, i: usize) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&i))
    }

    /// One round; `Ok(true)` when something changed (a state or an action).
    async fn round(&mut self) -> Result<bool, Round> {
        self.close_hosts().await.map_err(Round::Fatal)?;
        self.pass_deadline().map_err(Round::Fatal)?;
        self.count_new_region().await;
        self.check_joining().await;
        let mut slots = self.admit();
        self.hold_without_room();
        self.boots_waiting = 0;
        let now = Instant::now();
        let batch: Vec<usize> = (0..self.servers.len())
            .filter(|&i| {
                let t = &self.servers[i];
                self.selected(i)
                    && !t.done()
                    && (t.started || t.plan.strategy == Strategy::Wait)
                    && t.retry_at.is_none_or(|at| at <= now)
            })
            .collect();
        if batch.is_empty() {
            return Ok(false);
        }
        let planned: Vec<&ServerPlan> = batch.iter().map(|&i| self.planned(i)).collect();
        let (observed, requests) = metered(self.driver.observe(&self.plan, &planned)).await;
        let observed = observed.map_err(Round::Observe)?;
        let mut calls = Vec::new();
        let mut changed = false;
        for &i in &batch {
            self.servers[i].notes.observed += requests as f64 / batch.len() as f64;
            if let Some(observation) = observed.get(&self.servers[i].plan.source) {
                changed |= self.decide(i, observation, &mut slots, &mut calls).map_err(Round::Fatal)?;
            }
        }
        changed |= !calls.is_empty();
        let calls = self.open_hosts(calls).await.map_err(Round::Fatal)?;
        self.act(calls).await.map_err(Round::Fatal)?;
        Ok(changed)
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
            if !slots.builds_admit() || self.joining_taking.is_some() {
                self.boots_waiting += 1;
                return Ok(false);
            }
            slots.take_build();
        }
        let source = t.plan.source.clone();
        let changed = step.state != t.state;
        if changed {
            self.journal.save(&source, &step.state)?;
            self.wrote();
            self.servers[i].state = step.state;
        }
        for action in step.actions {
            let seq = self.journal.intend(&source, &action)?;
            self.wrote();
            calls.push(Call { server: i, seq, action });
        }
        if self.servers[i].state.end.is_some() {
            self.servers[i].ended_at = Some(Instant::now());
            self.save_notes_of(i)?;
        }
        Ok(changed)
    }

    /// Notes the id of the server cutover booted for `i`, once seen: the
    /// rebuild where the server is going, or where it is restored.
    fn note_rebuild(&mut self, i: usize, observation: &Observation) -> Result<()> {
        let t = &self.servers[i];
        let (into_new, into_old) = (observation.target.present(), observation.restored.present());
        let rebuild = match (t.state.direction, t.state.route) {
            (Direction::Out, Route::Forward) => into_new,
            (Direction::Out, Route::Restore) | (Direction::Back, Route::Forward) => into_old.or(into_new),
            (Direction::Out, Route::BackToSource) => None,
            (Direction::Back, _) => into_new,
        };
        let id = rebuild.map(|s| s.id.clone());
        let back_to_source = t.state.direction == Direction::Out && t.state.route == Route::BackToSource;
        let keep = id.is_none() && !back_to_source;
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
                let (result, requests) = metered(driver.execute(&plan, &plan.hosts[h].servers[s], &call.action)).await;
                (call, result, requests)
            });
        }
        let mut failed: BTreeMap<usize, (u32, bool, String)> = BTreeMap::new();
        let mut succeeded = Vec::new();
        while let Some(joined) = running.join_next().await {
            let (call, result, requests) = match joined {
                Ok(done) => done,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => continue,
            };
            self.servers[call.server].notes.acted += requests as f64;
            self.journal.outcome(call.seq, result.clone().map_err(|e| e.message))?;
            self.wrote();
            match result {
                Ok(()) => succeeded.push(call.server),
                Err(error) if error.permanent && matches!(call.action, Action::BootServer { .. }) => {
                    // A boot refused for good is the move's failure, not a
                    // call to retry: the machine rolls the server back.
                    let t = &mut self.servers[call.server];
                    tracing::warn!(server = t.plan.source, "boot refused: {}", error.message);
                    let reason = format!("the boot was refused: {}", error.message);
                    t.refused = Some(Refused { at: t.state.place(), reason });
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

    /// The picture of the servers this run works on.
    fn progress(&self) -> Progress {
        let servers: Vec<&Tracked> =
            self.servers.iter().enumerate().filter(|(i, _)| self.selected(*i)).map(|(_, t)| t).collect();
        let phases: Vec<Phase> = servers
            .iter()
            .map(|t| match t.phase() {
                Phase::Pending if self.waiting_for_room.contains_key(&t.host) => Phase::WaitingForRoom,
                phase => phase,
            })
            .collect();
        Progress {
            total: servers.len(),
            done: servers.iter().filter(|t| t.done()).count(),
            done_this_run: servers.iter().filter(|t| t.done() && !t.ended_before).count(),
            phases: phase::count(&phases),
            elapsed: self.started.elapsed(),
            journal_writes: self.writes + self.hosts.writes,
        }
    }

    fn planned(&self, i: usize) -> &ServerPlan {
        let (h, s) = self.servers[i].at;
        &self.plan.hosts[h].servers[s]
    }

    fn save_notes_of(&mut self, i: usize) -> Result<()> {
        let t = &self.servers[i];
        self.journal.save_notes(&t.plan.source, &t.notes)?;
        self.wrote();
        Ok(())
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

    /// Counts a journal write (for the progress).
    fn wrote(&mut self) {
        self.writes += 1;
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
