/*!
How long to wait before trying again, defined once for all of cutover: a
first wait, doubling after each failure, at most a cap, for a bounded
number of retries. The cloud client's loops sleep through its
[`Backoff::delays`]; the pure decisions, which cannot sleep, compute a
"retry at" time from [`Backoff::delay`].
*/

use std::time::Duration;

/// Exponential backoff: the wait before retry `n` (counted from 0) is
/// `first` × 2ⁿ, at most `max`; after `retries` retries, none is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry.
    pub first: Duration,
    /// The longest wait, however many failures came before.
    pub max: Duration,
    /// Retries after the first attempt; [`Backoff::delays`] ends after them.
    pub retries: u32,
}

impl Backoff {
    /// A backoff from `first` up to `max` with no bound on the retries:
    /// for a caller that counts its own (the engine's rounds).
    pub const fn new(first: Duration, max: Duration) -> Backoff {
        Backoff { first, max, retries: u32::MAX }
    }

    /// The same waits, for at most `retries` retries.
    pub const fn retries(self, retries: u32) -> Backoff {
        Backoff { retries, ..self }
    }

    /// The wait before retry `n` (0 for the first retry). Past the bound
    /// on retries it goes on at the cap: whoever asks counts.
    pub fn delay(&self, n: u32) -> Duration {
        self.first.saturating_mul(2u32.saturating_pow(n)).min(self.max)
    }

    /// The waits before each retry, in order, then nothing: an attempt
    /// failing once they are spent is the last.
    pub fn delays(&self) -> Delays {
        Delays { backoff: *self, next: 0 }
    }
}

/// The waits of a [`Backoff`], one per retry (an iterator, so that an
/// async retry loop such as `backon`'s can sleep through them).
#[derive(Debug, Clone)]
pub struct Delays {
    backoff: Backoff,
    next: u32,
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.next >= self.backoff.retries {
            return None;
        }
        let wait = self.backoff.delay(self.next);
        self.next += 1;
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_waits_double_from_the_first_up_to_the_cap() {
        let backoff = Backoff::new(ms(250), Duration::from_secs(3));
        let waits: Vec<u128> = (0..6).map(|n| backoff.delay(n).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 3000, 3000]);
    }

    #[test]
    fn the_retries_are_bounded() {
        let backoff = Backoff::new(ms(10), ms(50)).retries(4);
        assert_eq!(backoff.delays().collect::<Vec<_>>(), [ms(10), ms(20), ms(40), ms(50)]);
        assert_eq!(Backoff::new(ms(10), ms(50)).retries(0).delays().next(), None);
    }

    #[test]
    fn a_long_run_of_failures_stays_at_the_cap_without_overflowing() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(backoff.delay(40), Duration::from_secs(30));
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(30));
    }
}
