/*!
Time, as the engine reads it: the clock handed to every `step` (the core
never reads one), and the adaptive poll interval between observations.
*/

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cutover_core::Backoff;
use tokio::time::Instant;

/// Seconds since the Unix epoch: the wall time at `origin`, advanced by
/// tokio's monotonic clock (so a paused test runtime controls it).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    base: i64,
}

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        let base = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        Clock { origin: Instant::now(), base }
    }

    /// A clock reading `base` at `origin` (tests: one clock across a
    /// simulated crash and its resume).
    pub fn starting_at(origin: Instant, base: i64) -> Clock {
        Clock { origin, base }
    }

    pub fn now(&self) -> i64 {
        self.base + Instant::now().saturating_duration_since(self.origin).as_secs() as i64
    }
}

/// How long to wait between observations: `min` while things change,
/// doubling up to `max` while nothing does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    pub min: Duration,
    pub max: Duration,
}

impl Default for PollPolicy {
    fn default() -> PollPolicy {
        PollPolicy { min: Duration::from_secs(1), max: Duration::from_secs(30) }
    }
}

impl PollPolicy {
    /// The waits between observations while nothing changes.
    fn backoff(&self) -> Backoff {
        Backoff::new(self.min, self.max)
    }
}

/// The current interval of a [`PollPolicy`].
#[derive(Debug, Clone, Copy)]
pub struct PollInterval {
    policy: PollPolicy,
    /// Rounds in a row that changed nothing.
    unchanged: u32,
}

impl PollInterval {
    pub fn new(policy: PollPolicy) -> PollInterval {
        PollInterval { policy, unchanged: 0 }
    }

    /// The wait after a round: short again when the round changed
    /// something, else twice the last one (at most `max`).
    pub fn next(&mut self, changed: bool) -> Duration {
        self.unchanged = if changed { 0 } else { self.unchanged.saturating_add(1) };
        self.policy.backoff().delay(self.unchanged).max(self.policy.min)
    }
}

/// The wait before retrying after `failures` failures in a row: 2^n
/// seconds, at most `max` and at most 2^16 seconds whatever `max` is.
pub fn retry_after(failures: u32, max: Duration) -> Duration {
    Backoff::new(Duration::from_secs(1), max).delay(failures.min(16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_backs_off_while_nothing_changes_and_is_short_again_after_a_change() {
        let policy = PollPolicy { min: Duration::from_secs(1), max: Duration::from_secs(10) };
        let mut backoff = PollInterval::new(policy);
        let waits: Vec<u64> = [false, false, false, false, false].iter().map(|c| backoff.next(*c).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 10, 10]);
        assert_eq!(backoff.next(true).as_secs(), 1);
        assert_eq!(retry_after(0, Duration::from_secs(30)).as_secs(), 1);
        assert_eq!(retry_after(3, Duration::from_secs(30)).as_secs(), 8);
        assert_eq!(retry_after(40, Duration::from_secs(30)).as_secs(), 30);
    }
}
