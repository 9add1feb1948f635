/*!
Concurrency limits and the admission that keeps them. A move holds a slot
from its first action until it ends; a server starts only when a slot is
free in the total, on its old host and in its project. Builds in the new
region are bounded separately, when a move reaches its boot.
*/

use std::collections::HashMap;

/// How many moves may run at once. `None`: no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Moves in flight in the whole run (`--max-parallel`).
    pub total: Option<usize>,
    /// Moves in flight per old host. Default 5: Nova's own
    /// `max_concurrent_snapshots` per compute host.
    pub per_old_host: usize,
    /// Boots in flight per compute host of the new region. Nova builds at
    /// most 10 at once per host (`max_concurrent_builds`) and queues the
    /// rest; which host a server lands on is known only once Nova schedules
    /// it, so the region as a whole gets this many times its hosts (the
    /// scheduler spreads new servers; a host given more only queues them).
    pub per_new_host: usize,
    /// Moves in flight per project, so one tenant's servers are not all
    /// down at once.
    pub per_project: Option<usize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { total: None, per_old_host: 5, per_new_host: 10, per_project: None }
    }
}

/// The slots taken in one round of the loop.
#[derive(Debug)]
pub(crate) struct Slots {
    limits: Limits,
    /// Boots the new region may have in flight: per host times its hosts.
    builds_limit: usize,
    total: usize,
    by_host: HashMap<String, usize>,
    by_project: HashMap<String, usize>,
    builds: usize,
}

impl Slots {
    /// Slots for a round, with `new_hosts` compute hosts in the new region.
    pub(crate) fn new(limits: Limits, new_hosts: usize) -> Slots {
        let builds_limit = limits.per_new_host * new_hosts.max(1);
        Slots { limits, builds_limit, total: 0, by_host: HashMap::new(), by_project: HashMap::new(), builds: 0 }
    }

    /// Whether one more move on `host` for `project` stays within limits.
    pub(crate) fn admits(&self, host: &str, project: &str) -> bool {
        let under = |limit: Option<usize>, count: usize| limit.is_none_or(|l| count < l);
        under(self.limits.total, self.total)
            && under(Some(self.limits.per_old_host), self.by_host.get(host).copied().unwrap_or(0))
            && under(self.limits.per_project, self.by_project.get(project).copied().unwrap_or(0))
    }

    pub(crate) fn take(&mut self, host: &str, project: &str) {
        self.total += 1;
        *self.by_host.entry(host.to_string()).or_default() += 1;
        *self.by_project.entry(project.to_string()).or_default() += 1;
    }

    pub(crate) fn builds_admit(&self) -> bool {
        self.builds < self.builds_limit
    }

    pub(crate) fn take_build(&mut self) {
        self.builds += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_closes_on_its_own() {
        let limits = Limits { total: Some(3), per_old_host: 2, per_new_host: 1, per_project: Some(2) };
        let mut slots = Slots::new(limits, 1);
        slots.take("h1", "p1");
        assert!(slots.admits("h1", "p2"));
        slots.take("h1", "p2");
        assert!(!slots.admits("h1", "p3"), "host h1 is full");
        assert!(slots.admits("h2", "p1"));
        slots.take("h2", "p1");
        assert!(!slots.admits("h3", "p3"), "the total is full");

        let mut slots = Slots::new(limits, 1);
        slots.take("h1", "p1");
        slots.take("h2", "p1");
        assert!(!slots.admits("h3", "p1"), "project p1 is full");
        assert!(slots.builds_admit());
        slots.take_build();
        assert!(!slots.builds_admit());

        let mut slots = Slots::new(limits, 3);
        for _ in 0..3 {
            assert!(slots.builds_admit(), "one build per new host, three hosts");
            slots.take_build();
        }
        assert!(!slots.builds_admit());
    }
}
