/*!
A rollback the operator asks for (`cutover rollback`). [`request`] decides
from the journaled state alone what the request means and returns the
state to journal; what needs the clouds' view is left to the next
[`super::step`], which takes the request up ([`take`]) before any stage:

- a move not started ends at once, rolled back, nothing having changed;
- a move under way turns back by the routes a failure takes (to the source
  while it exists, else restored from its copy);
- a move whose rebuild was verified goes back into the old region: the
  same route with the regions swapped (a fresh snapshot of the rebuild, or
  its root volume, or for `redeploy` the old server if it was kept, else
  the original image);
- a rollback that failed is tried again from the start of its route.
*/

use super::action::Action;
use super::observation::{Observation, Seen};
use super::route::{position, Direction, End, Route, ServerMove, ServerState, Stage, Strategy};
use super::sides::Sides;
use super::turning::turn_back;

/// The reason a server rolled back on request carries.
pub const ON_REQUEST: &str = "rolled back on request";

/// What a request makes of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// Journal this state; the steps that follow carry the request out.
    Recorded(ServerState),
    /// Nothing for cutover to do, and why.
    Nothing(String),
}

/// The rollback of one server, asked at `now`. `actions_sent` says
/// whether the journal holds any action for it (a move with none, still
/// at its first state, has changed nothing in the clouds).
pub fn request(plan: &ServerMove, state: &ServerState, actions_sent: bool, now: i64) -> Requested {
    if plan.strategy == Strategy::Wait {
        return Requested::Nothing("left to its owner, it never leaves the old region".into());
    }
    let mut next = state.clone();
    match (&state.end, state.direction, state.route) {
        (Some(End::RolledBack { .. }), ..) => return Requested::Nothing("already back in the old region".into()),
        (None, ..) if !state.started() && !actions_sent => {
            next.end = Some(End::RolledBack { reason: format!("{ON_REQUEST} before it started") });
            next.since = now;
        }
        // Turning back, or going back, already: its route ends it there.
        (None, Direction::Out, Route::BackToSource | Route::Restore) | (None, Direction::Back, _) => {}
        (Some(End::Failed { .. }), _, Route::BackToSource | Route::Restore) => {
            next.end = None;
            next.at = 0;
            next.since = now;
            next.turn_back_failures = 0;
            next.retry_at = None;
        }
        _ => {
            next.rollback_requested = true;
            next.end = None;
        }
    }
    Requested::Recorded(next)
}

/// What taking a request up left the step to do.
#[derive(Debug, PartialEq)]
pub(crate) enum Taken {
    /// Go on along the (new) route.
    Go,
    /// Not yet: these actions first (none: wait for a clearer observation).
    Wait(Vec<Action>),
}

/// Takes up a recorded request on the observation, at `now`.
pub(crate) fn take(plan: &ServerMove, state: &mut ServerState, obs: &Observation, now: i64) -> Taken {
    let verified = position(plan, Stage::PowerState).is_some_and(|i| state.at > i);
    match (state.direction, state.route) {
        (Direction::Out, Route::Forward) if !verified => {}
        // Turning back already.
        (Direction::Out, _) if state.end.is_none() && state.route != Route::Forward => {
            state.rollback_requested = false;
            return Taken::Go;
        }
        _ => return go_back(plan, state, obs, now),
    }
    let sides = Sides::of(plan, state.direction, obs);
    match sides.source {
        Seen::Unknown => return Taken::Wait(Vec::new()),
        // A delete of the source may be on its way: turn back once it is
        // gone (restored from the copy) or plainly still there.
        Seen::Absent if state.stage(plan) == Some(Stage::DeleteSource) => return Taken::Go,
        Seen::Present(s) if s.is_deleting() => return Taken::Wait(Vec::new()),
        _ => {}
    }
    state.rollback_requested = false;
    turn_back(plan, state, ON_REQUEST.into(), now);
    Taken::Go
}

/// A server whose rebuild was verified goes back into the old region.
fn go_back(plan: &ServerMove, state: &mut ServerState, obs: &Observation, now: i64) -> Taken {
    if plan.strategy == Strategy::Redeploy && state.direction == Direction::Out {
        // The old server, kept stopped (or not deleted yet), is the way back.
        match &obs.source {
            Seen::Unknown => return Taken::Wait(Vec::new()),
            Seen::Present(s) if s.is_deleting() => return Taken::Wait(Vec::new()),
            Seen::Present(_) => {
                restart(state, Direction::Out, Route::BackToSource, now);
                return Taken::Go;
            }
            Seen::Absent => {}
        }
    }
    if plan.strategy == Strategy::Snapshot {
        // A snapshot left by an earlier move back is older than the rebuild
        // now: never a copy to rely on.
        match &obs.back_image {
            Seen::Unknown => return Taken::Wait(Vec::new()),
            Seen::Present(image) => return Taken::Wait(vec![Action::DeleteImage { image: image.id.clone() }]),
            Seen::Absent => {}
        }
    }
    restart(state, Direction::Back, Route::Forward, now);
    state.image = None;
    state.failed_snapshots = 0;
    state.stopped_at = None;
    state.verified_at = None;
    Taken::Go
}

fn restart(state: &mut ServerState, direction: Direction, route: Route, now: i64) {
    state.direction = direction;
    state.route = route;
    state.at = 0;
    state.end = None;
    state.since = now;
    state.reason = Some(ON_REQUEST.into());
    state.rollback_requested = false;
}
