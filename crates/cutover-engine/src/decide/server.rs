/*!
One observed server's decision this round: its machine stepped (told of a
refusal when there was one), its boot in the new region gated by the build
slots and by a joining host that would take it; and the rebuild's id, when
the observation first shows it.
*/

use cutover_core::id::ServerId;
use cutover_core::machine::{step, Direction, Observation, Route, Step};

use super::state::{is_new_boot, RunState};
use crate::limits::Slots;

/// What the decisions make of one observed server.
#[derive(Debug)]
pub(crate) enum ServerDecision {
    /// Its step reaches a boot in the new region and no build slot is free
    /// (or a host joining the new region would take it): the step is
    /// dropped, not saved, and taken again from the saved state next round.
    WaitsForBuild,
    /// Its machine's step: the state to save (when changed), the actions.
    Step(Box<Step>),
}

impl RunState {
    /// Steps server `i` on `observation` at `now` (the run's clock), told of
    /// the refusal it was given, if any (taken: it is told once).
    pub(crate) fn step_server(
        &mut self,
        i: usize,
        observation: &Observation,
        slots: &mut Slots,
        now: i64,
    ) -> ServerDecision {
        let refused = self.servers[i].refused.take();
        let t = &self.servers[i];
        let stepped = match refused {
            Some(why) => step(&t.plan, &t.state, &Observation { refused: Some(why), ..observation.clone() }, now),
            None => step(&t.plan, &t.state, observation, now),
        };
        if is_new_boot(&t.plan, &stepped.state) && !t.booting() {
            if !slots.builds_admit() || self.joining_taking.is_some() {
                self.boots_waiting += 1;
                return ServerDecision::WaitsForBuild;
            }
            slots.take_build();
        }
        ServerDecision::Step(Box::new(stepped))
    }

    /// The id of the server cutover booted for `i` when `observation` shows
    /// another than the one noted (the rebuild where the server is going,
    /// or where it is restored; `Some(None)` once a move back to the source
    /// forgets it); `None` when the note stands.
    pub(crate) fn rebuild_seen(&self, i: usize, observation: &Observation) -> Option<Option<ServerId>> {
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
        (!keep && id != t.notes.new_id).then_some(id)
    }
}
