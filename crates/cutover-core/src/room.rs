/*!
Room in the new region: what each of its compute hosts has free, and
whether a set of servers fits there, placed as Nova's default scheduler
would place them (in their zone, on the host with the most free RAM).
*/

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::HostName;
use crate::model::FlavorSizes;

/// vCPUs, RAM and local disk: what servers use and hosts offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Load {
    pub vcpus: u64,
    pub ram_mib: u64,
    pub disk_gib: u64,
}

impl Load {
    /// What a server of these sizes needs of a host; a volume-backed
    /// server's root disk is in Cinder, so only its ephemeral disk counts.
    pub fn of(sizes: FlavorSizes, volume_backed: bool) -> Load {
        let root = if volume_backed { 0 } else { sizes.disk_gib };
        Load { vcpus: u64::from(sizes.vcpus), ram_mib: sizes.ram_mib, disk_gib: root + sizes.ephemeral_gib }
    }

    pub fn add(&mut self, other: Load) {
        self.vcpus += other.vcpus;
        self.ram_mib += other.ram_mib;
        self.disk_gib += other.disk_gib;
    }

    /// `self` less `other`, none of it below zero.
    pub fn less(&self, other: Load) -> Load {
        Load {
            vcpus: self.vcpus.saturating_sub(other.vcpus),
            ram_mib: self.ram_mib.saturating_sub(other.ram_mib),
            disk_gib: self.disk_gib.saturating_sub(other.disk_gib),
        }
    }

    pub fn fits_in(&self, room: &Load) -> bool {
        self.vcpus <= room.vcpus && self.ram_mib <= room.ram_mib && self.disk_gib <= room.disk_gib
    }

    /// The sum of `loads`.
    pub fn sum<'a>(loads: impl IntoIterator<Item = &'a Load>) -> Load {
        loads.into_iter().fold(Load::default(), |mut all, l| {
            all.add(*l);
            all
        })
    }
}

impl fmt::Display for Load {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ram = self.ram_mib as f64 / 1024.0;
        if self.ram_mib.is_multiple_of(1024) {
            write!(f, "{} vCPUs, {ram:.0} GiB RAM, {} GiB disk", self.vcpus, self.disk_gib)
        } else {
            write!(f, "{} vCPUs, {ram:.1} GiB RAM, {} GiB disk", self.vcpus, self.disk_gib)
        }
    }
}

/// One compute host of the new region taking servers, and its free room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoom {
    pub host: HostName,
    pub zone: String,
    pub free: Load,
}

/// What one server needs: its load, in its zone (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub zone: Option<String>,
    pub load: Load,
}

/// The new region's free room, host by host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Room {
    hosts: Vec<HostRoom>,
}

impl Room {
    pub fn new(hosts: Vec<HostRoom>) -> Room {
        Room { hosts }
    }

    /// Free room over every host.
    pub fn total(&self) -> Load {
        Load::sum(self.hosts.iter().map(|h| &h.free))
    }

    /// Whether any of its hosts is in `zone`.
    pub fn has_zone(&self, zone: &str) -> bool {
        self.hosts.iter().any(|h| h.zone == zone)
    }

    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    /// Takes `need` from the host the scheduler would pick: in its zone,
    /// with room for it, the most free RAM (Nova's default weigher). False,
    /// and nothing taken, when no host has room.
    pub fn take(&mut self, need: &Need) -> bool {
        let picked = self
            .hosts
            .iter_mut()
            .filter(|h| need.zone.as_ref().is_none_or(|z| *z == h.zone) && need.load.fits_in(&h.free))
            .max_by(|a, b| a.free.ram_mib.cmp(&b.free.ram_mib).then_with(|| b.host.cmp(&a.host)));
        match picked {
            Some(host) => {
                host.free = host.free.less(need.load);
                true
            }
            None => false,
        }
    }

    /// Takes every one of `needs` or, when one does not fit, none. The
    /// largest go first: what fits that way is what the scheduler can
    /// place whatever order the boots come in, near enough.
    pub fn take_all(&mut self, needs: &[Need]) -> bool {
        let mut trial = self.clone();
        let mut order: Vec<&Need> = needs.iter().collect();
        order.sort_by_key(|n| std::cmp::Reverse((n.load.ram_mib, n.load.vcpus, n.load.disk_gib)));
        if order.into_iter().all(|n| trial.take(n)) {
            *self = trial;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vcpus: u64, ram_gib: u64) -> Load {
        Load { vcpus, ram_mib: ram_gib * 1024, disk_gib: vcpus }
    }

    fn host(name: &str, zone: &str, free: Load) -> HostRoom {
        HostRoom { host: name.into(), zone: zone.into(), free }
    }

    fn need(zone: Option<&str>, load: Load) -> Need {
        Need { zone: zone.map(str::to_string), load }
    }

    #[test]
    fn a_need_goes_to_the_host_with_most_free_ram_in_its_zone() {
        let mut room = Room::new(vec![
            host("a", "nova", load(8, 8)),
            host("b", "nova", load(8, 16)),
            host("c", "fast", load(8, 32)),
        ]);
        assert!(room.take(&need(Some("nova"), load(2, 4))));
        assert_eq!(room.hosts[1].free, Load { vcpus: 6, ram_mib: 12 * 1024, disk_gib: 6 });
        assert!(room.take(&need(None, load(1, 1))));
        assert_eq!(room.hosts[2].free.ram_mib, 31 * 1024, "no zone asked: any host");
        assert!(!room.take(&need(Some("slow"), load(1, 1))), "a zone with no host");
    }

    #[test]
    fn a_need_no_host_can_take_alone_does_not_fit_even_if_the_total_could() {
        let mut room = Room::new(vec![host("a", "nova", load(4, 8)), host("b", "nova", load(4, 8))]);
        assert!(!room.take(&need(None, load(2, 12))));
        assert_eq!(room.total(), Load { vcpus: 8, ram_mib: 16 * 1024, disk_gib: 8 }, "nothing taken");
    }

    #[test]
    fn take_all_is_all_or_nothing() {
        let mut room = Room::new(vec![host("a", "nova", load(4, 8))]);
        let before = room.clone();
        assert!(!room.take_all(&[need(None, load(2, 4)), need(None, load(2, 4)), need(None, load(1, 1))]));
        assert_eq!(room, before);
        assert!(room.take_all(&[need(None, load(2, 4)), need(None, load(2, 4))]));
        assert_eq!(room.total().ram_mib, 0);
    }

    #[test]
    fn take_all_places_the_largest_first() {
        // Smallest first would put 1 GiB on b (most free), then 6 GiB fits
        // nowhere; largest first puts 6 on b, then 1 on a.
        let mut room = Room::new(vec![host("a", "nova", load(4, 5)), host("b", "nova", load(4, 6))]);
        assert!(room.take_all(&[need(None, load(1, 1)), need(None, load(1, 6))]));
    }
}
