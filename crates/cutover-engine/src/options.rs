/*!
How a run behaves ([`Options`], what `cutover run`'s flags set) and what
it shows after every round ([`Progress`]). Read by the decisions
(`decide`) and the executor (`run`) alike.
*/

use std::time::Duration;

use crate::clock::PollPolicy;
use crate::hosts::HostOptions;
use crate::limits::Limits;
use crate::phase::Phase;

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
