/*!
Phase 7, retiring the old Nova once every old host has moved: what still
blocks it (servers left in the old region; `nova-compute` hosts still up,
enabled or holding servers) and what goes: every service the old Nova
still lists and, when asked, the old region's endpoints of Nova's own
catalog services, never those of a shared service.
*/

use std::collections::{BTreeMap, BTreeSet};

use crate::id::{HostName, ProjectId, RegionName, ServerId};
use crate::model::{Catalog, ComputeService, Endpoint, Hypervisor, Interface, ServerStatus, ServerSummary};

/// The catalog service types Nova itself serves: `compute`, and the
/// `compute_legacy` (v2.0) entry some deployments registered beside it.
/// Placement, Glance, Neutron, Cinder and Keystone are shared and stay.
pub const NOVA_SERVICE_TYPES: [&str; 2] = [COMPUTE_TYPE, "compute_legacy"];

/// The catalog type cutover reaches a Nova by.
const COMPUTE_TYPE: &str = "compute";

const COMPUTE: &str = "nova-compute";

/// How many names a refusal spells out of each kind before "and N more".
const NAMED: usize = 5;

/// What was read of the old Nova (all projects' servers, every service,
/// every hypervisor) and the new region's services.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub old_services: &'a [ComputeService],
    pub old_servers: &'a [ServerSummary],
    pub old_hypervisors: &'a [Hypervisor],
    pub new_services: &'a [ComputeService],
}

/// An old service and what to say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub service: ComputeService,
    /// Why it blocks, where its host went, or a warning; empty when
    /// there is nothing to say.
    pub note: String,
    /// A `nova-compute` whose host has not moved: nothing is deleted.
    pub blocks: bool,
}

/// A server still in the old region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLeft {
    pub id: ServerId,
    pub name: String,
    pub project_id: ProjectId,
    pub host: Option<HostName>,
    pub status: ServerStatus,
}

/// An old compute host that has not moved, and why cutover thinks so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLeft {
    pub host: HostName,
    /// `up`, `enabled`, `2 servers`, ... joined with ", ".
    pub reasons: String,
}

/// The decision: what blocks, what goes, in the order it goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Retirement {
    pub region: RegionName,
    /// Servers of any project still in the old region.
    pub servers: Vec<ServerLeft>,
    pub hosts_left: Vec<HostLeft>,
    /// Every old service: `nova-compute` records first, `nova-conductor`
    /// last (the old control plane keeps working while the rest goes).
    pub services: Vec<ServiceRow>,
    /// The old region's endpoints of [`NOVA_SERVICE_TYPES`], when asked.
    pub endpoints: Vec<Endpoint>,
}

impl Retirement {
    /// Whether anything stands in the way.
    pub fn blocked(&self) -> bool {
        !self.servers.is_empty() || !self.hosts_left.is_empty()
    }

    /// Whether there is nothing left to delete.
    pub fn is_done(&self) -> bool {
        self.services.is_empty() && self.endpoints.is_empty()
    }

    /// The one line saying why retiring is refused, naming what blocks.
    pub fn refusal(&self) -> Option<String> {
        if !self.blocked() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.servers.is_empty() {
            let names = named(self.servers.iter().map(|s| format!("{} ({})", s.name, s.id)));
            parts.push(format!("{} still has {}: {names}", self.region, count(self.servers.len(), "server")));
        }
        if !self.hosts_left.is_empty() {
            let names = named(self.hosts_left.iter().map(|h| format!("{} ({})", h.host, h.reasons)));
            let hosts = count(self.hosts_left.len(), "compute host");
            parts.push(format!("{hosts} of {} not moved yet: {names}", self.region));
        }
        Some(format!("refusing to retire the old Nova: {}", parts.join("; ")))
    }
}

/// The endpoints to remove, when asked: Keystone's catalog, and the
/// interface cutover reaches the old Nova through.
#[derive(Debug, Clone, Copy)]
pub struct EndpointsAsked<'a> {
    pub catalog: &'a Catalog,
    pub via: Interface,
}

/// Decides what retiring `region` means now; `endpoints` when the old
/// region's compute endpoints are to go too.
pub fn assess(region: &str, observed: Observed<'_>, endpoints: Option<EndpointsAsked<'_>>) -> Retirement {
    let mut servers_on: BTreeMap<&str, usize> = BTreeMap::new();
    for server in observed.old_servers {
        if let Some(host) = &server.host {
            *servers_on.entry(host.as_str()).or_default() += 1;
        }
    }
    let joined_new: BTreeSet<&str> =
        observed.new_services.iter().filter(|s| s.binary == COMPUTE).map(|s| s.host.as_str()).collect();
    let mut hosts_left = Vec::new();
    let mut services: Vec<ServiceRow> = observed
        .old_services
        .iter()
        .map(|service| {
            let mut row = ServiceRow { service: service.clone(), note: String::new(), blocks: false };
            if service.binary == COMPUTE {
                let vms = running_vms(observed.old_hypervisors, &service.host);
                let reasons = not_moved(service, servers_on.get(service.host.as_str()).copied().unwrap_or(0), vms);
                if reasons.is_empty() {
                    row.note = if joined_new.contains(service.host.as_str()) {
                        "its host is a compute of the new region".to_string()
                    } else {
                        "down and disabled".to_string()
                    };
                } else {
                    row.note = format!("not moved: {reasons}");
                    row.blocks = true;
                    hosts_left.push(HostLeft { host: service.host.clone(), reasons });
                }
            } else if service.up {
                row.note = "still up: stop it, or it registers again when it restarts".to_string();
            }
            row
        })
        .collect();
    services.sort_by_key(|row| (order(&row.service.binary), row.service.binary.clone(), row.service.host.clone()));
    hosts_left.sort_by(|a, b| a.host.cmp(&b.host));
    let mut servers: Vec<ServerLeft> = observed
        .old_servers
        .iter()
        .map(|s| ServerLeft {
            id: s.id.clone(),
            name: s.name.clone(),
            project_id: s.project_id.clone(),
            host: s.host.clone(),
            status: s.status,
        })
        .collect();
    servers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Retirement {
        region: region.into(),
        servers,
        hosts_left,
        services,
        endpoints: endpoints.map(|asked| nova_endpoints(asked.catalog, region, asked.via)).unwrap_or_default(),
    }
}

/// The endpoints of `region` that belong to Nova's own catalog services,
/// in the order they go: the `compute` endpoint of the interface `via`
/// that cutover reaches the old Nova through last, so that a retire cut
/// short (killed, a delete refused) still finds the old Nova to list on
/// its next run, and with no endpoint left it finds nothing to list.
pub fn nova_endpoints(catalog: &Catalog, region: &str, via: Interface) -> Vec<Endpoint> {
    let kind = |e: &Endpoint| catalog.service(&e.service_id).map(|s| s.kind.as_str());
    let mut endpoints: Vec<Endpoint> = catalog
        .endpoints_in(region)
        .filter(|e| kind(e).is_some_and(|k| NOVA_SERVICE_TYPES.contains(&k)))
        .cloned()
        .collect();
    let reached = |e: &Endpoint| kind(e) == Some(COMPUTE_TYPE) && e.interface == via;
    endpoints.sort_by_cached_key(|e| (reached(e), e.service_id.clone(), e.interface, e.id.clone()));
    endpoints
}

/// Why an old compute host still counts as in use: it reports in, it
/// takes new servers, or something runs on it.
fn not_moved(service: &ComputeService, servers: usize, running_vms: u64) -> String {
    let mut reasons = Vec::new();
    if service.up {
        reasons.push("up".to_string());
    }
    if service.enabled {
        reasons.push("enabled".to_string());
    }
    if servers > 0 {
        reasons.push(count(servers, "server"));
    } else if running_vms > 0 {
        reasons.push(format!("its hypervisor runs {}", count(running_vms as usize, "VM")));
    }
    reasons.join(", ")
}

fn running_vms(hypervisors: &[Hypervisor], host: &str) -> u64 {
    hypervisors
        .iter()
        .filter(|h| h.service_host.as_deref().unwrap_or(&h.hostname) == host)
        .filter_map(|h| h.resources.map(|r| r.running_vms))
        .sum()
}

fn order(binary: &str) -> u8 {
    match binary {
        COMPUTE => 0,
        "nova-conductor" => 2,
        _ => 1,
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The first few names, then how many more.
fn named(names: impl ExactSizeIterator<Item = String>) -> String {
    let total = names.len();
    let mut shown: Vec<String> = names.take(NAMED).collect();
    if total > NAMED {
        shown.push(format!("and {} more", total - NAMED));
    }
    shown.join(", ")
}

#[cfg(test)]
#[path = "retire_tests.rs"]
mod tests;
