/*!
The executor: the reconcile loop and everything in it that touches the
clouds or the journal. Each round: the new region counted when due
(`observe`), the moves the decisions admit (`crate::decide`), every
unfinished server observed in one batched call, the round decided as one
`Decision` (pure), carried out (`carry_out`: the new states and the
intents journaled), the actions made (bounded, concurrently, `act`),
their outcomes journaled; then the old hosts' round the same way
(`hosts`), then a wait (short while things change, longer while nothing
does). See docs/journal.md for what is
written when and why a `kill -9` anywhere in between resumes correctly.

Beside the loop: `scheduling`, the old hosts taken out of scheduling
before the first move, and let take servers again while a server is
rebuilt there; `handoff`, each old host's machine stepped after the
servers' round (emptied, handed off, joined to the new region, retired);
`rollback`, the rollbacks an operator asks for (`cutover rollback`),
which limit a run to the servers named; `deadline`, when `wait` servers
stop being waited for.
*/

mod deadline;
mod handoff;
mod hosts;
mod observe;
mod rollback;
mod scheduling;
pub(crate) mod single;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

use cutover_cloud::meter::metered;
use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::{Action, Refused, ServerMove, ServerState};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_journal::Journal;
use tokio::time::Instant;

use crate::clock::{retry_after, Clock, PollInterval};
use crate::decide::{Decision, Intent, RunState, Save, Tracked};
use crate::driver::{Driver, DriverError};
use crate::error::{Error, Result};
use crate::hosts::Hosts;
use crate::open::Opened;
use crate::report::Report;

pub use crate::options::{Options, Progress};
pub use rollback::RollbackRequest;

/// A run of one plan: its journal (locked), the driver, what it decides on.
pub struct Engine {
    /// What the run decides on, and the decisions' own bookkeeping.
    state: RunState,
    journal: Journal,
    driver: Arc<dyn Driver>,
    clock: Clock,
    writes: u64,
    started: Instant,
    /// Old hosts enabled for a rebuild whose enabling the cloud confirmed
    /// in this run.
    enabled: BTreeSet<HostName>,
    /// Old hosts the journal says the run took out of scheduling.
    disabled: BTreeSet<HostName>,
    /// Old hosts the journal says were enabled again for a rebuild (maybe:
    /// written before the call) and not disabled again since.
    enabled_journaled: BTreeSet<HostName>,
    /// The old hosts' machines (not in a rollback run).
    hosts: Hosts,
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
        let servers = track(&mut plan, &loaded, journal.path())?;
        let hosts = Hosts::load(&plan, &loaded.hosts, options.hosts.clone(), clock.now());
        let marked = |f: fn(&cutover_journal::HostEntry) -> bool| -> BTreeSet<HostName> {
            loaded.hosts.iter().filter(|(_, h)| f(h)).map(|(name, _)| name.clone()).collect()
        };
        let disabled = marked(|h| h.disabled_at.is_some());
        let enabled_journaled = marked(|h| h.enabled_for_rebuild_at.is_some());
        driver.keep_records(journal.ledger()?);
        let state = RunState {
            plan: Arc::new(plan),
            options,
            servers,
            only: None,
            asked: None,
            new_region: None,
            waiting_for_room: BTreeMap::new(),
            boots_waiting: 0,
            joining_taking: None,
            offer: None,
        };
        let mut engine = Engine {
            state,
            hosts,
            journal,
            driver,
            clock,
            writes: 0,
            started: Instant::now(),
            enabled: BTreeSet::new(),
            disabled,
            enabled_journaled,
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
        if self.state.only.is_none() {
            self.disable_hosts().await?;
            self.hosts.take_up_stopped(self.clock.now());
        }
        progress(&self.state.progress(self.started.elapsed(), self.writes));
        let mut backoff = PollInterval::new(self.state.options.poll);
        let mut observe_failures = 0;
        while !self.finished() {
            let outcome = match self.round().await {
                Ok(changed) => self.host_round().await.map(|hosts| changed | hosts),
                Err(e) => Err(e),
            };
            let wait = match outcome {
                Ok(changed) => {
                    observe_failures = 0;
                    progress(&self.state.progress(self.started.elapsed(), self.writes));
                    self.state.next_wake(backoff.next(changed), Instant::now())
                }
                Err(Round::Observe(source)) => {
                    observe_failures += 1;
                    if source.permanent || observe_failures >= self.state.options.observe_attempts {
                        return Err(Error::ObserveFailed { attempts: observe_failures, source });
                    }
                    tracing::warn!(attempt = observe_failures, "observing the clouds failed: {source}");
                    retry_after(observe_failures, self.state.options.poll.max)
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
        if let Err(e) = self.driver.tidy(&self.state.plan).await {
            tracing::warn!("tidying up after the run: {e} (the next run tries again)");
        }
        let held: HashMap<ServerId, String> = self
            .state
            .servers
            .iter()
            .filter_map(|t| Some((t.plan.source.clone(), t.lifecycle.held()?.to_string())))
            .collect();
        Report::of_servers(&self.journal, &held, self.state.asked.as_ref())
    }

    /// One round; `Ok(true)` when something changed (a state or an action).
    async fn round(&mut self) -> Result<bool, Round> {
        self.close_hosts().await.map_err(Round::Fatal)?;
        self.pass_deadline().map_err(Round::Fatal)?;
        self.count_new_region().await;
        self.check_joining().await;
        let mut slots = self.state.admit(Instant::now());
        let may_add_room = self.hosts.may_add_room(&self.state.host_moves());
        self.state.hold_without_room(self.hosts.joined(), may_add_room, Instant::now());
        self.state.boots_waiting = 0;
        let now = Instant::now();
        let batch: Vec<usize> = (0..self.state.servers.len())
            .filter(|&i| {
                let t = &self.state.servers[i];
                self.state.selected(i) && t.watched() && t.retry_at.is_none_or(|at| at <= now)
            })
            .collect();
        if batch.is_empty() {
            return Ok(false);
        }
        let planned: Vec<&ServerPlan> = batch.iter().map(|&i| self.state.planned(i)).collect();
        let (observed, requests) = metered(self.driver.observe(&self.state.plan, &planned)).await;
        let observed = observed.map_err(Round::Observe)?;
        for &i in &batch {
            self.state.servers[i].notes.observed += requests as f64 / batch.len() as f64;
        }
        let decision = self.state.decide(&batch, &observed, &mut slots, self.clock.now());
        let changed = decision.changes_state();
        let (calls, _) = self.carry_out(decision).await.map_err(Round::Fatal)?;
        let changed = changed || !calls.is_empty();
        let calls = self.open_hosts(calls).await.map_err(Round::Fatal)?;
        self.act(calls).await.map_err(Round::Fatal)?;
        Ok(changed)
    }

    /// Carries a round's decision out: each save journaled, then taken
    /// into the run's state (a server that ended has its notes saved with
    /// it); then each intent: a server's journaled and returned as a call
    /// (made with the round's others, `act`), a host's carried out at once
    /// (`act_on_host`: intent, call, outcome). The flag: whether a host
    /// action was done.
    async fn carry_out(&mut self, decision: Decision) -> Result<(Vec<Call>, bool)> {
        for save in decision.saves {
            match save {
                Save::RebuildId { server, id } => {
                    self.state.servers[server].notes.new_id = id;
                    self.save_notes_of(server)?;
                }
                Save::State { server, state } => {
                    self.journal.save(&self.state.servers[server].plan.source, &state)?;
                    self.wrote();
                    self.state.servers[server].saved(state, Instant::now());
                    if self.state.servers[server].state.end.is_some() {
                        self.save_notes_of(server)?;
                    }
                }
                Save::Host { host, state } => self.save_host(host, state)?,
            }
        }
        let (mut calls, mut acted) = (Vec::new(), false);
        for intent in decision.intents {
            match intent {
                Intent::Server { server, action } => {
                    let seq = self.journal.intend(&self.state.servers[server].plan.source, &action)?;
                    self.wrote();
                    calls.push(Call { server, seq, action });
                }
                Intent::Host { host, action } => acted |= self.act_on_host(host, action, self.clock.now()).await?,
            }
        }
        Ok((calls, acted))
    }

    /// Carries out the round's actions, at most `calls_in_flight` at once,
    /// journaling each outcome as it comes.
    async fn act(&mut self, calls: Vec<Call>) -> Result<()> {
        let permits = Arc::new(tokio::sync::Semaphore::new(self.state.options.calls_in_flight.max(1)));
        let mut running = tokio::task::JoinSet::new();
        for call in calls {
            let (driver, plan, permits) = (self.driver.clone(), self.state.plan.clone(), permits.clone());
            let (h, s) = self.state.servers[call.server].at;
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
            self.state.servers[call.server].notes.acted += requests as f64;
            self.journal.outcome(call.seq, result.clone().map_err(|e| e.message))?;
            self.wrote();
            match result {
                Ok(()) => succeeded.push(call.server),
                Err(error) if error.permanent && matches!(call.action, Action::BootServer { .. }) => {
                    // A boot refused for good is the move's failure, not a
                    // call to retry: the machine rolls the server back.
                    let t = &mut self.state.servers[call.server];
                    tracing::warn!(server = %t.plan.source, "boot refused: {}", error.message);
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
                self.state.servers[i].failures = 0;
            }
        }
        for (i, (_, permanent, why)) in failed {
            self.state.fail(i, permanent, why, Instant::now());
        }
        Ok(())
    }

    fn save_notes_of(&mut self, i: usize) -> Result<()> {
        let t = &self.state.servers[i];
        self.journal.save_notes(&t.plan.source, &t.notes)?;
        self.wrote();
        Ok(())
    }

    /// Writes every unfinished server's notes (its share of observations).
    fn save_notes(&mut self) -> Result<()> {
        for i in 0..self.state.servers.len() {
            if !self.state.servers[i].ended_before() {
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

/// Every planned server as the loop tracks it, from what the journal holds
/// (`plan` given the moves the journal converted at a deadline). A server
/// of the plan the journal lacks is an error naming it.
fn track(plan: &mut Plan, loaded: &cutover_journal::Loaded, path: &std::path::Path) -> Result<Vec<Tracked>> {
    let mut sent: HashMap<&str, usize> = HashMap::new();
    let mut interrupted = 0;
    for action in &loaded.actions {
        interrupted += usize::from(action.outcome.is_none());
        *sent.entry(action.source.as_str()).or_default() += 1;
    }
    if interrupted > 0 {
        tracing::info!(
            interrupted,
            "actions were under way when the last run stopped; observing to see what became of them"
        );
    }
    let mut entries: HashMap<ServerId, (ServerMove, ServerState)> =
        loaded.servers.iter().map(|e| (e.plan.source.clone(), (e.plan.clone(), e.state.clone()))).collect();
    crate::decide::apply_conversions(plan, &entries)?;
    let mut servers = Vec::new();
    for (h, host) in plan.hosts.iter().enumerate() {
        for (s, planned) in host.servers.iter().enumerate() {
            let source = &planned.server.id;
            let (_, state) = entries.remove(source).ok_or_else(|| {
                Error::Journal(cutover_journal::Error::UnknownServer {
                    path: path.to_path_buf(),
                    server: source.to_string(),
                })
            })?;
            let started = sent.contains_key(source.as_str()) || state.started();
            let notes = loaded.notes.get(source).cloned().unwrap_or_default();
            servers.push(Tracked::new((h, s), &host.name, planned, plan.server_move(planned), state, started, notes));
        }
    }
    Ok(servers)
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
