/*!
What a run decides on ([`RunState`]): the plan, the options, every planned
server as the loop tracks it ([`Tracked`]), the new region as last counted
([`Counted`]); and the plain questions asked of them.
*/

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cutover_core::id::{HostName, ProjectId, ServerId};
use cutover_core::machine::{Refused, ServerMove, ServerState, Side, Strategy};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_core::readiness::Offer;
use cutover_core::room::Load;
use cutover_journal::Notes;
use tokio::time::Instant;

use crate::driver::NewRegion;
use crate::hosts::HostMoves;
use crate::options::{Options, Progress};
use crate::phase::{self, Phase};

/// The new region as last counted.
pub(crate) struct Counted {
    pub(crate) region: NewRegion,
    pub(crate) at: Instant,
    /// Old hosts that had joined the new region when it was counted.
    pub(crate) joined: usize,
}

/// What a run decides on: the plan, the options, every planned server as
/// the loop tracks it, and what the last observations of the new region
/// said. The executor (`crate::run`) changes it only through these
/// decisions and through what it observed and carried out.
pub(crate) struct RunState {
    pub(crate) plan: Arc<Plan>,
    pub(crate) options: Options,
    pub(crate) servers: Vec<Tracked>,
    /// The servers this run works on, when not all (`cutover rollback`),
    /// and those its report is of.
    pub(crate) only: Option<HashSet<usize>>,
    pub(crate) asked: Option<BTreeSet<ServerId>>,
    /// The new region's compute hosts taking servers and their room, as
    /// last counted.
    pub(crate) new_region: Option<Counted>,
    /// Old hosts whose servers wait for room in the new region, and what
    /// they need.
    pub(crate) waiting_for_room: BTreeMap<HostName, Load>,
    /// Moves that found no build slot in the last round: while any waits,
    /// no new move starts (it would only wait too, its server down).
    pub(crate) boots_waiting: usize,
    /// An old host that joined the new region and takes servers there
    /// before it is in its old aggregates: boots wait for it.
    pub(crate) joining_taking: Option<HostName>,
    /// What the new region has that the moves need, read once a run
    /// (not in a rollback run); each move's quota is taken as it starts.
    pub(crate) offer: Option<Offer>,
}

impl RunState {
    /// Whether server `i` is one this run works on.
    pub(crate) fn selected(&self, i: usize) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&i))
    }

    pub(crate) fn planned(&self, i: usize) -> &ServerPlan {
        let (h, s) = self.servers[i].at;
        &self.plan.hosts[h].servers[s]
    }

    /// The picture of the servers this run works on.
    pub(crate) fn progress(&self, elapsed: Duration, journal_writes: u64) -> Progress {
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
            done_this_run: servers.iter().filter(|t| t.done() && !t.ended_before()).count(),
            phases: phase::count(&phases),
            elapsed,
            journal_writes,
        }
    }

    /// Each old host's planned servers under way. A held server is not: its
    /// host is watched like one holding a server cutover does not move.
    pub(crate) fn host_moves(&self) -> BTreeMap<HostName, HostMoves> {
        let mut per_host: BTreeMap<HostName, HostMoves> = BTreeMap::new();
        for t in &self.servers {
            let moves = per_host.entry(t.host.clone()).or_default();
            moves.in_flight += u32::from(!t.done());
            moves.started += u32::from(t.lifecycle.started() || t.plan.strategy == Strategy::Wait);
        }
        per_host
    }

    /// Whether every server this run works on is done (ended or held).
    pub(crate) fn servers_done(&self) -> bool {
        (0..self.servers.len()).all(|i| self.servers[i].done() || !self.selected(i))
    }

    /// The old hosts a server is booting on now: its route rebuilds it in
    /// the old region, it is at that boot, and the run disabled its host
    /// (`disabled`).
    pub(crate) fn hosts_needed(&self, disabled: &BTreeSet<HostName>) -> BTreeSet<HostName> {
        self.servers
            .iter()
            .filter(|t| !t.done() && t.state.booting(&t.plan) == Some(Side::Old) && disabled.contains(&t.host))
            .map(|t| t.host.clone())
            .collect()
    }
}

/// Where one planned server is in this run: what admission, the hosts'
/// machines and the report go by. Its move's own progress is its
/// [`ServerState`]; this says whether the run has let it start, and how
/// it left the run's hands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// Not admitted yet. A `wait` server stays here: it is watched, never
    /// admitted.
    Pending,
    /// Admitted (or under way when the run began): it holds a slot from
    /// its first action until it ends.
    UnderWay,
    /// Its move ended (its state has the end): in this run at `at`, or in
    /// an earlier run (`None`).
    Ended { at: Option<Instant> },
    /// Held where it is since `at`, untouched from here on, and why;
    /// `started` when it was under way before (a move that failed round
    /// after round while its server was still in service).
    Held { why: String, at: Instant, started: bool },
}

impl Lifecycle {
    /// Where a server is as the journal has it: `started` when it has
    /// left its first state (an action sent or a stage taken).
    pub(crate) fn of(state: &ServerState, started: bool) -> Lifecycle {
        match (state.end.is_some(), started) {
            (true, _) => Lifecycle::Ended { at: None },
            (false, true) => Lifecycle::UnderWay,
            (false, false) => Lifecycle::Pending,
        }
    }

    /// Under way, ended, or held after it had been: the host machine counts
    /// these as its moves started.
    pub(crate) fn started(&self) -> bool {
        match self {
            Lifecycle::Pending => false,
            Lifecycle::UnderWay | Lifecycle::Ended { .. } => true,
            Lifecycle::Held { started, .. } => *started,
        }
    }

    /// Ended or held: the run has nothing more to do for it.
    pub(crate) fn done(&self) -> bool {
        matches!(self, Lifecycle::Ended { .. } | Lifecycle::Held { .. })
    }

    /// Why it is held, if it is.
    pub(crate) fn held(&self) -> Option<&str> {
        match self {
            Lifecycle::Held { why, .. } => Some(why),
            _ => None,
        }
    }

    /// When it left the run's hands in this run (ended or held).
    fn left_at(&self) -> Option<Instant> {
        match self {
            Lifecycle::Ended { at } => *at,
            Lifecycle::Held { at, .. } => Some(*at),
            Lifecycle::Pending | Lifecycle::UnderWay => None,
        }
    }
}

/// One planned server as the loop tracks it.
pub(crate) struct Tracked {
    /// Where its `ServerPlan` is in the plan: (host, server).
    pub(crate) at: (usize, usize),
    pub(crate) host: HostName,
    pub(crate) project: ProjectId,
    pub(crate) plan: ServerMove,
    pub(crate) state: ServerState,
    pub(crate) lifecycle: Lifecycle,
    /// Room in the new region is set aside for it (see `admission`): from
    /// when admission reserves it until the count after it ends.
    pub(crate) room: bool,
    /// Failed rounds in a row, and when it is tried again after the last.
    pub(crate) failures: u32,
    pub(crate) retry_at: Option<Instant>,
    /// An action given up (a boot the cloud refused for good, or one
    /// failing round after round while the server is out of service),
    /// told to the machine on its next step: it turns the move back, or
    /// tries turning back again later.
    pub(crate) refused: Option<Refused>,
    pub(crate) notes: Notes,
}

impl Tracked {
    /// Server `at` (host, server) of the plan, on `host`, as the journal
    /// has it: its move, its state, whether it has started (an action or
    /// a stage), its notes.
    pub(crate) fn new(
        at: (usize, usize),
        host: &HostName,
        planned: &ServerPlan,
        plan: ServerMove,
        state: ServerState,
        started: bool,
        notes: Notes,
    ) -> Tracked {
        let lifecycle = Lifecycle::of(&state, started);
        Tracked {
            at,
            host: host.clone(),
            project: planned.server.project_id.clone(),
            plan,
            room: lifecycle == Lifecycle::UnderWay,
            lifecycle,
            state,
            failures: 0,
            retry_at: None,
            refused: None,
            notes,
        }
    }

    pub(crate) fn done(&self) -> bool {
        self.lifecycle.done()
    }

    /// Ended in an earlier run: nothing of it changes in this one.
    pub(crate) fn ended_before(&self) -> bool {
        self.lifecycle == Lifecycle::Ended { at: None }
    }

    pub(crate) fn holds_slot(&self) -> bool {
        self.lifecycle == Lifecycle::UnderWay && self.plan.strategy != Strategy::Wait
    }

    /// Not started yet, and a move (not a `wait`).
    pub(crate) fn pending(&self) -> bool {
        self.lifecycle == Lifecycle::Pending && self.plan.strategy != Strategy::Wait
    }

    /// Observed this round: under way, or a `wait` server watched.
    pub(crate) fn watched(&self) -> bool {
        !self.done() && (self.lifecycle.started() || self.plan.strategy == Strategy::Wait)
    }

    pub(crate) fn booting(&self) -> bool {
        is_new_boot(&self.plan, &self.state)
    }

    /// Takes the state the run saved for it; its move ends with it if the
    /// state has an end.
    pub(crate) fn saved(&mut self, state: ServerState, now: Instant) {
        if state.end.is_some() && !self.done() {
            self.lifecycle = Lifecycle::Ended { at: Some(now) };
        }
        self.state = state;
    }

    /// Holds it where it is, untouched from here on.
    pub(crate) fn hold(&mut self, why: String, now: Instant) {
        let started = self.lifecycle.started();
        self.lifecycle = Lifecycle::Held { why, at: now, started };
    }

    /// Whether what this move takes in the new region shows in a count
    /// made at `at`: it ended before then (or never was admitted).
    pub(crate) fn counted_in_room(&self, at: Instant) -> bool {
        !self.room || self.lifecycle.left_at().is_some_and(|left| left <= at)
    }

    pub(crate) fn phase(&self) -> Phase {
        match &self.lifecycle {
            Lifecycle::Held { .. } if self.state.end.is_none() => Phase::Held,
            lifecycle => Phase::of(&self.plan, &self.state, lifecycle.started()),
        }
    }
}

/// Whether `state` is at a boot in the new region: what the new region's
/// build limit counts.
pub(crate) fn is_new_boot(plan: &ServerMove, state: &ServerState) -> bool {
    state.booting(plan) == Some(Side::New)
}
