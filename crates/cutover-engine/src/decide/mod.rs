/*!
The run's decisions, pure: from the run's state, what was observed and the
time (handed in, never read), which moves start, which wait for room or
are held, what a failed call leads to, when to look again. No I/O, no
clock, no journal: the executor (`crate::run`) observes the clouds,
carries the decisions out and journals them.

- `state`: [`RunState`], what a run decides on; [`Tracked`], one server,
  and its [`Lifecycle`] in the run.
- `admission`: slots, room, readiness; when to count the new region.
- `server`: one server's step and its boot gate.
- `round`: a round of the servers, or of the old hosts, as one
  [`Decision`]: what to journal (`Save`), what to carry out (`Intent`).
- `failures`: retry, hold, or give the stage up to the machine.
- `deadline`: a plan given the moves its journal converted.
*/

mod admission;
mod deadline;
mod failures;
#[cfg(test)]
mod props;
mod round;
mod server;
mod state;
#[cfg(test)]
mod tests;

pub(crate) use deadline::apply_conversions;
pub(crate) use round::{Decision, Intent, Save};
pub(crate) use state::{Counted, Lifecycle, RunState, Tracked};
