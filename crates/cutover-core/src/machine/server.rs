/*!
The per-server state machine. A move is a route of stages (stop, snapshot,
delete, boot, ...) fixed by its strategy; [`step`] walks the route as far as
the observation shows each stage done and returns the actions that make
the first unfinished stage progress. It never reads a clock: time comes in
with the observation. The stages themselves are in `stages`, the types of a
move in [`super::route`]; a rollback the operator asks for enters through
`request`.
*/

use super::action::Action;
use super::observation::Observation;
use super::request;
use super::stages::{self, Progress};
use super::turning::turn_back;

// The types of a move were defined here once: their paths stay.
pub use super::route::{stages, Direction, End, ImageCopy, Place, Route, ServerMove, ServerState, Stage, Strategy};

/// A step's result: the state to journal and the actions to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub state: ServerState,
    pub actions: Vec<Action>,
}

/// Stages passed, routes switched and requests taken in one step, at most:
/// every route is finite, so a step ends well before; the bound guards
/// against a bug looping forever.
const MAX_MOVES_PER_STEP: usize = 64;

/// Advances `state` as far as `obs` allows, at time `now`.
pub fn step(plan: &ServerMove, state: &ServerState, obs: &Observation, now: i64) -> Step {
    let mut state = state.clone();
    // A refusal breaks the stage it was met at, once: the route taken
    // next may ask the same of the other region.
    let mut refused = obs.refused.as_ref();
    for _ in 0..MAX_MOVES_PER_STEP {
        if state.rollback_requested {
            if let request::Taken::Wait(actions) = request::take(plan, &mut state, obs, now) {
                return Step { state, actions };
            }
        }
        let Some(stage) = state.stage(plan) else { break };
        if let Some(at) = state.retry_at {
            if now < at {
                return Step { state, actions: Vec::new() };
            }
            state.retry_at = None;
            state.since = now;
        }
        let progress = match refused.take() {
            Some(r) if r.at == state.place() => Progress::Broken(r.reason.clone()),
            _ => stages::progress(plan, &mut state, stage, obs, now),
        };
        match progress {
            Progress::Done => {
                state.at += 1;
                state.since = now;
                if state.stage(plan).is_none() {
                    finish(plan, &mut state, now);
                }
            }
            Progress::Pending(actions) => {
                if stage == Stage::Stop && state.stopped_at.is_none() && !actions.is_empty() {
                    state.stopped_at = Some(now);
                }
                return Step { state, actions };
            }
            Progress::Broken(reason) => turn_back(plan, &mut state, reason, now),
        }
    }
    Step { state, actions: Vec::new() }
}

/// Ends the route just walked: where the server is now.
fn finish(plan: &ServerMove, state: &mut ServerState, now: i64) {
    let in_old = match (state.direction, state.route) {
        (Direction::Out, Route::Forward) | (Direction::Back, Route::BackToSource | Route::Restore) => false,
        (Direction::Out, Route::BackToSource | Route::Restore) | (Direction::Back, Route::Forward) => true,
    };
    state.end = Some(match in_old {
        true => End::RolledBack { reason: state.reason.clone().unwrap_or_else(|| "rolled back".into()) },
        false => End::Moved,
    });
    if state.route == Route::Forward && plan.strategy != Strategy::Wait {
        state.verified_at.get_or_insert(now);
    }
}
