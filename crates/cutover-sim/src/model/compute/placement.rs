/*!
Where servers fit: host usage against the allocation ratios, which hosts the
scheduler may pick, and the availability zones hosts get from aggregates.
*/

use std::collections::BTreeSet;

use super::{ComputeRegion, Flavor, Server, VmState};

/// Placement's allocation ratios for the hosts' inventories: Nova's
/// `initial_{cpu,ram,disk}_allocation_ratio` defaults (4.0, 1.0, 1.0 since
/// Stein; before that the scheduler filters' 16.0, 1.5, 1.0).
pub const CPU_ALLOCATION_RATIO: f64 = 4.0;
pub const RAM_ALLOCATION_RATIO: f64 = 1.0;
pub const DISK_ALLOCATION_RATIO: f64 = 1.0;

/// What one server asks of a host: vCPUs, RAM (MB) and local disk (GB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demand {
    pub vcpus: u64,
    pub ram_mb: u64,
    pub disk_gb: u64,
}

impl Demand {
    /// The flavor's demand; a volume-backed server needs no root disk.
    pub fn of(flavor: &Flavor, volume_backed: bool) -> Demand {
        let root = if volume_backed { 0 } else { flavor.disk_gb };
        Demand { vcpus: flavor.vcpus as u64, ram_mb: flavor.ram_mb, disk_gb: root + flavor.ephemeral_gb }
    }
}

impl ComputeRegion {
    /// The zone of `host`: from an aggregate with an AZ, else the default.
    pub fn host_zone(&self, host: &str) -> String {
        self.aggregates
            .values()
            .find(|a| a.hosts.contains(host) && a.availability_zone.is_some())
            .and_then(|a| a.availability_zone.clone())
            .unwrap_or_else(|| self.default_az.clone())
    }

    /// vCPUs, RAM (MB) and disk (GB) used on `host` by servers placed there.
    /// A volume-backed server's root disk is in Cinder, not on the host, so
    /// only its ephemeral disk counts (as placement counts `DISK_GB`).
    pub fn host_usage(&self, host: &str) -> (u64, u64, u64) {
        self.servers_on_host(host)
            .filter(|s| s.vm_state != VmState::Deleted)
            .filter_map(|s| Some((s, self.flavors.get(&s.flavor_id)?)))
            .fold((0, 0, 0), |(c, r, d), (s, f)| {
                let root = if s.image_id.is_some() { f.disk_gb } else { 0 };
                (c + f.vcpus as u64, r + f.ram_mb, d + root + f.ephemeral_gb)
            })
    }

    /// Whether `host` can take `demand` on top of what is placed there,
    /// within the allocation ratios.
    pub fn host_has_room(&self, host: &str, demand: Demand) -> bool {
        let Some(h) = self.hosts.get(host) else { return false };
        let (cpu, ram, disk) = self.host_usage(host);
        let fits = |used: u64, want: u64, total: u64, ratio: f64| (used + want) as f64 <= total as f64 * ratio;
        fits(cpu, demand.vcpus, h.vcpus as u64, CPU_ALLOCATION_RATIO)
            && fits(ram, demand.ram_mb, h.memory_mb, RAM_ALLOCATION_RATIO)
            && fits(disk, demand.disk_gb, h.local_gb, DISK_ALLOCATION_RATIO)
    }

    /// RAM (MB) still free on `host`, the measure Nova's default RAM weigher
    /// spreads servers by.
    pub fn host_free_ram(&self, host: &str) -> i64 {
        let total = self.hosts.get(host).map_or(0, |h| (h.memory_mb as f64 * RAM_ALLOCATION_RATIO) as i64);
        total - self.host_usage(host).1 as i64
    }

    /// Whether the host's `nova-compute` service is enabled and up, so the
    /// scheduler may pick it.
    pub fn host_schedulable(&self, host: &str) -> bool {
        self.service_of_host(host, "nova-compute").is_some_and(|s| !s.disabled && s.up && !s.forced_down)
    }

    /// Whether the host's `nova-compute` service is disabled.
    pub fn host_disabled(&self, host: &str) -> bool {
        self.service_of_host(host, "nova-compute").is_some_and(|s| s.disabled)
    }

    /// Whether placement leaves disabled hosts out of every request,
    /// forced hosts too: Nova's mandatory `compute_status_filter`
    /// pre-filter, from Train (20.0.0, whose microversions start at 2.73).
    pub fn filters_disabled_in_placement(&self) -> bool {
        self.max_version.is_some_and(|v| v >= super::Microversion::new(2, 73))
    }

    /// Every availability zone with at least one compute host.
    pub fn zones(&self) -> BTreeSet<String> {
        self.hosts.keys().map(|h| self.host_zone(h)).collect()
    }

    /// The zone a server is in: its host's, else the one it asked for.
    pub fn server_zone(&self, server: &Server) -> Option<String> {
        match &server.host {
            Some(h) => Some(self.host_zone(h)),
            None => server.requested_az.clone(),
        }
    }

    /// The zone an aggregate would give `host` if aggregate `skip` were
    /// left out: how Nova checks that a host never sits in two zones.
    pub fn host_zone_without(&self, host: &str, skip: u64) -> Option<String> {
        self.aggregates
            .values()
            .find(|a| a.id != skip && a.hosts.contains(host) && a.availability_zone.is_some())
            .and_then(|a| a.availability_zone.clone())
    }

    /// Recomputes every host's zone (and its compute services' `zone`)
    /// from the aggregates, after aggregates or their hosts changed.
    pub fn refresh_zones(&mut self) {
        let zones: Vec<(String, String)> = self.hosts.keys().map(|h| (h.clone(), self.host_zone(h))).collect();
        for (host, zone) in zones {
            for svc in self.services.values_mut().filter(|s| s.host == host && s.zone != "internal") {
                svc.zone = zone.clone();
            }
            if let Some(h) = self.hosts.get_mut(&host) {
                h.availability_zone = Some(zone);
            }
        }
    }

    /// Forgets a compute host, as deleting its `nova-compute` service does:
    /// the hypervisor goes and the host leaves every aggregate.
    pub fn remove_compute_host(&mut self, host: &str) {
        self.hosts.remove(host);
        for agg in self.aggregates.values_mut() {
            agg.hosts.remove(host);
        }
        self.servers_by_host.remove(host);
    }
}
