/*!
A round decided at once, for the servers and for the old hosts: from what
was observed, a [`Decision`] of what the executor journals (rebuild ids
seen, new states) and which actions it then carries out, in the order it
writes them: a state before its actions' intents.
*/

use std::collections::BTreeMap;

use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::host::{step_host, HostAction, HostObservation, HostState};
use cutover_core::machine::{Action, Observation, ServerState};

use super::server::ServerDecision;
use super::state::RunState;
use crate::hosts::{HostMoves, Hosts};
use crate::limits::Slots;

/// What one round of the servers, or of the old hosts, comes to.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Journaled first, in order.
    pub(crate) saves: Vec<Save>,
    /// Then each action's intent; the calls follow.
    pub(crate) intents: Vec<Intent>,
}

/// A record the executor journals before any call of the round.
#[derive(Debug, PartialEq)]
pub(crate) enum Save {
    /// The id of the server cutover booted for server `server`, first seen
    /// (`None`: the move went back to its source and forgets it).
    RebuildId { server: usize, id: Option<ServerId> },
    /// Server `server`'s new state; its notes are saved with it when the
    /// state is an end.
    State { server: usize, state: ServerState },
    /// Old host `host`'s new state in the hand-off.
    Host { host: usize, state: HostState },
}

/// An action to carry out, its intent journaled first.
#[derive(Debug, PartialEq)]
pub(crate) enum Intent {
    Server { server: usize, action: Action },
    Host { host: usize, action: HostAction },
}

impl Decision {
    /// Whether a state changed (the executor adds whether actions were
    /// taken).
    pub(crate) fn changes_state(&self) -> bool {
        self.saves.iter().any(|s| matches!(s, Save::State { .. } | Save::Host { .. }))
    }
}

impl RunState {
    /// Decides the round of servers `batch` on what was observed of them
    /// (by source id; an unobserved server waits for the next round), at
    /// `now` (the run's clock), within `slots`. A boot that finds no build
    /// slot is dropped and taken again from the saved state next round.
    pub(crate) fn decide(
        &mut self,
        batch: &[usize],
        observed: &BTreeMap<ServerId, Observation>,
        slots: &mut Slots,
        now: i64,
    ) -> Decision {
        let mut decision = Decision::default();
        for &i in batch {
            let Some(observation) = observed.get(&self.servers[i].plan.source) else { continue };
            if let Some(id) = self.rebuild_seen(i, observation) {
                decision.saves.push(Save::RebuildId { server: i, id });
            }
            let step = match self.step_server(i, observation, slots, now) {
                ServerDecision::WaitsForBuild => continue,
                ServerDecision::Step(step) => *step,
            };
            if step.state != self.servers[i].state {
                decision.saves.push(Save::State { server: i, state: step.state });
            }
            decision.intents.extend(step.actions.into_iter().map(|action| Intent::Server { server: i, action }));
        }
        decision
    }
}

impl Hosts {
    /// Decides the old hosts' round: each host observed (`observed`, by
    /// its index) stepped by its machine, told how many of its planned
    /// moves are under way (`moves`) and how its hook ended, at `now`.
    pub(crate) fn decide(
        &self,
        observed: Vec<(usize, HostObservation)>,
        moves: &BTreeMap<HostName, HostMoves>,
        now: i64,
    ) -> Decision {
        let mut decision = Decision::default();
        for (i, mut obs) in observed {
            let t = &self.tracked[i];
            let HostMoves { in_flight, started } = moves.get(&t.plan.name).copied().unwrap_or_default();
            obs.moves_in_flight = in_flight;
            obs.moves_started = started;
            obs.hook = t.hook.end();
            let step = step_host(&t.plan, &t.state, &obs, now);
            if step.state != t.state {
                decision.saves.push(Save::Host { host: i, state: step.state });
            }
            decision.intents.extend(step.actions.into_iter().map(|action| Intent::Host { host: i, action }));
        }
        decision
    }
}
