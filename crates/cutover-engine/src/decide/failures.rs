/*!
What a failed call leads to: the server's next round later (backed off),
or, after too many, the server held where it is, or, when the move has
taken it out of service, the stage given up to the machine, which turns
the move back.
*/

use std::time::Duration;

use cutover_core::machine::Refused;
use tokio::time::Instant;

use super::state::RunState;
use crate::clock::retry_after;

impl RunState {
    /// A failed round for server `i`: retried later; after too many, held
    /// where it is, or, when the move has taken it out of service, given up
    /// to the machine, which turns the move back (a server is never left
    /// down and waiting).
    pub(crate) fn fail(&mut self, i: usize, permanent: bool, why: String, now: Instant) {
        let options = &self.options;
        let t = &mut self.servers[i];
        t.failures += 1;
        let limit = if permanent { options.hold_after_refusals } else { options.hold_after_failures };
        if t.failures >= limit && t.state.exposed(&t.plan) {
            tracing::warn!(server = %t.plan.source, "given up after {} failed rounds: {why}", t.failures);
            let reason = format!("{why} ({} times in a row)", t.failures);
            t.refused = Some(Refused { at: t.state.place(), reason });
            t.failures = 0;
        } else if t.failures >= limit {
            tracing::warn!(server = %t.plan.source, "held after {} failed rounds: {why}", t.failures);
            let why = format!("{why} ({} times in a row)", t.failures);
            t.hold(why, now);
        } else {
            tracing::info!(server = %t.plan.source, "{why}; retrying");
            t.retry_at = Some(now + retry_after(t.failures, options.poll.max));
        }
    }

    /// The wait after a round ending at `now`: the poll interval, or less
    /// when a server's retry comes sooner.
    pub(crate) fn next_wake(&self, poll: Duration, now: Instant) -> Duration {
        self.servers
            .iter()
            .filter(|t| !t.done())
            .filter_map(|t| t.retry_at.filter(|at| *at > now))
            .map(|at| at - now)
            .fold(poll, Duration::min)
    }
}
