/*!
Turning a move back when a stage breaks: onto the route back to its source
or the one that restores it from its copy, tried again later, or ended
failed. A step does it on a failure, a request for rollback on demand.
*/

use std::time::Duration;

use super::route::{position, Direction, End, Route, ServerMove, ServerState, Stage, Strategy};
use crate::backoff::Backoff;

/// The waits between tries at turning back: the plan's first wait,
/// doubling up to 2^10 times it (a wait below zero is none).
fn restore_backoff(plan: &ServerMove) -> Backoff {
    let first = Duration::from_secs(u64::try_from(plan.restore_retry_secs).unwrap_or(0));
    Backoff::new(first, first.saturating_mul(1 << 10))
}

/// A failure going forward turns the move back. One while turning back
/// walks that route again from its start, later (the old region may take
/// the server then: a host freed, an outage over), up to the plan's
/// attempts; then the move ends failed, saying where the server's disk is
/// and how to try again.
pub(crate) fn turn_back(plan: &ServerMove, state: &mut ServerState, reason: String, now: i64) {
    if plan.strategy == Strategy::Wait {
        state.end = Some(End::Failed { reason });
        return;
    }
    if state.route != Route::Forward {
        state.turn_back_failures += 1;
        if state.turn_back_failures < plan.restore_attempts {
            let wait = restore_backoff(plan).delay(state.turn_back_failures - 1).as_secs();
            state.at = 0;
            state.since = now;
            state.retry_at = Some(now.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX)));
            return;
        }
        let copy = match (&state.image, &plan.root_volume) {
            (Some(image), _) => format!("; the disk is kept in image {}", image.id),
            (None, Some(volume)) => format!("; the disk is kept in volume {volume}"),
            _ => String::new(),
        };
        let turned = state.reason.as_deref().map(|r| format!("{r}; ")).unwrap_or_default();
        let tries = state.turn_back_failures;
        state.end = Some(End::Failed {
            reason: format!(
                "{turned}turning back failed {tries} time(s), last: {reason}{copy}; once that is mended, \
                 `cutover rollback PLAN {}` tries again",
                plan.source
            ),
        });
        return;
    }
    // Past its delete stage the source was seen gone: whatever this
    // observation missed, it is restored from its copy.
    let source_gone = position(plan, Stage::DeleteSource).is_some_and(|i| state.at > i);
    state.route = if source_gone { Route::Restore } else { Route::BackToSource };
    state.at = 0;
    state.since = now;
    state.reason = Some(match state.direction {
        Direction::Out => reason,
        Direction::Back => format!("moving back to the old region failed: {reason}"),
    });
}
