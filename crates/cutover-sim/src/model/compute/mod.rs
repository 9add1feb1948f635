/*!
One Nova region's records and the indexes over its servers. Each region has
its own copy, as each Nova has its own database; the records themselves live
in the submodules, re-exported here.
*/

mod actions;
mod nova_network;
mod placement;
mod records;
mod server;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::network::{ipv4, parse_cidr};

pub use actions::{ActionEvent, ActionLog, InstanceAction, Requested};
pub use nova_network::{floating_range, FixedNetwork, NovaFloatingIp};
pub use placement::{Demand, CPU_ALLOCATION_RATIO, DISK_ALLOCATION_RATIO, RAM_ALLOCATION_RATIO};
pub use records::{keypair_fingerprint, Aggregate, ComputeService, Flavor, Host, Keypair, QuotaSet, ServerGroup};
pub use server::{host_id, BlockDevice, Fault, Nic, PowerState, Server, ServerPort, VmState};

/// How a Nova region provides networking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Networking {
    #[default]
    Neutron,
    NovaNetwork,
}

/// A Nova API microversion such as 2.53.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Microversion {
    pub major: u32,
    pub minor: u32,
}

impl Microversion {
    pub const fn new(major: u32, minor: u32) -> Microversion {
        Microversion { major, minor }
    }

    /// Parses `2.53`; `None` for anything else (`latest` is handled by callers).
    pub fn parse(s: &str) -> Option<Microversion> {
        let (a, b) = s.trim().split_once('.')?;
        Some(Microversion { major: a.parse().ok()?, minor: b.parse().ok()? })
    }

    pub fn at_least(&self, minor: u32) -> bool {
        self.minor >= minor
    }
}

impl std::fmt::Display for Microversion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// One Nova region.
#[derive(Debug, Default, Serialize)]
pub struct ComputeRegion {
    pub name: String,
    pub networking: Networking,
    pub min_version: Option<Microversion>,
    pub max_version: Option<Microversion>,
    pub default_az: String,
    pub hosts: BTreeMap<String, Host>,
    pub services: BTreeMap<u64, ComputeService>,
    pub flavors: BTreeMap<String, Flavor>,
    /// Keyed by (user id, keypair name).
    #[serde(serialize_with = "crate::model::values_only")]
    pub keypairs: BTreeMap<(String, String), Keypair>,
    pub quota_defaults: QuotaSet,
    pub quotas: BTreeMap<String, QuotaSet>,
    /// Per-user limits within a project (`?user_id=`), keyed by (project,
    /// user): only the resources set for the user; the rest follow the project.
    #[serde(skip)]
    pub user_quotas: BTreeMap<(String, String), BTreeMap<String, i64>>,
    pub server_groups: BTreeMap<String, ServerGroup>,
    pub aggregates: BTreeMap<u64, Aggregate>,
    /// Servers by id. Add, remove and re-host them through the methods
    /// below so that `servers_by_host` stays right.
    pub servers: BTreeMap<String, Server>,
    /// Index: host name to the ids of servers placed on it.
    #[serde(skip)]
    pub servers_by_host: BTreeMap<String, BTreeSet<String>>,
    /// Index: (created, id) of every live server, so listings in Nova's
    /// default order (newest first) need no per-request sort.
    #[serde(skip)]
    pub servers_by_created: BTreeSet<(DateTime<Utc>, String)>,
    /// Deleted servers (`vm_state` deleted), kept as Nova keeps soft-deleted
    /// rows, for `changes-since` listings.
    pub deleted_servers: BTreeMap<String, Server>,
    /// Every server's instance actions, the deleted ones' included.
    #[serde(skip)]
    pub actions: ActionLog,
    pub fixed_networks: BTreeMap<String, FixedNetwork>,
    pub floating_ips: BTreeMap<u64, NovaFloatingIp>,
    /// nova-network fixed IPs associated with a server: address -> the
    /// server's id. A deleted server's stay associated until nova-network
    /// disassociates them (`TimeModel::fixed_ip_release_secs`).
    pub fixed_ips_in_use: BTreeMap<String, String>,
    /// Hosts on which every boot fails (a fault).
    pub failing_hosts: BTreeSet<String>,
    pub next_id: u64,
}

impl ComputeRegion {
    /// Allocates the next integer id for services, hypervisors, aggregates
    /// and nova-network floating IPs.
    pub fn next_int_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn service_of_host(&self, host: &str, binary: &str) -> Option<&ComputeService> {
        self.services.values().find(|s| s.host == host && s.binary == binary)
    }

    pub fn insert_server(&mut self, mut server: Server) {
        if server.internal_id == 0 {
            server.internal_id = self.next_int_id();
        }
        if let Some(old) = self.servers.get(&server.id) {
            self.servers_by_created.remove(&(old.created, old.id.clone()));
        }
        self.servers_by_created.insert((server.created, server.id.clone()));
        if let Some(host) = &server.host {
            self.servers_by_host.entry(host.clone()).or_default().insert(server.id.clone());
        }
        self.servers.insert(server.id.clone(), server);
    }

    pub fn remove_server(&mut self, id: &str) -> Option<Server> {
        let server = self.servers.remove(id)?;
        self.servers_by_created.remove(&(server.created, server.id.clone()));
        if let Some(host) = &server.host {
            if let Some(ids) = self.servers_by_host.get_mut(host) {
                ids.remove(id);
            }
        }
        Some(server)
    }

    /// Moves a server onto `host` (or off any host), keeping the index right.
    pub fn set_server_host(&mut self, id: &str, host: Option<String>) {
        let Some(server) = self.servers.get_mut(id) else { return };
        if let Some(old) = server.host.take() {
            if let Some(ids) = self.servers_by_host.get_mut(&old) {
                ids.remove(id);
            }
        }
        if let Some(new) = &host {
            self.servers_by_host.entry(new.clone()).or_default().insert(id.to_string());
        }
        server.host = host;
    }

    pub fn servers_on_host<'a>(&'a self, host: &str) -> impl Iterator<Item = &'a Server> + 'a {
        self.servers_by_host.get(host).into_iter().flatten().filter_map(|id| self.servers.get(id))
    }

    pub fn effective_quota(&self, project_id: &str) -> QuotaSet {
        self.quotas.get(project_id).cloned().unwrap_or_else(|| self.quota_defaults.clone())
    }

    /// A user's limits in a project, as `get_user_quotas`: the user's own
    /// settings over the project's.
    pub fn user_quota(&self, project_id: &str, user_id: &str) -> QuotaSet {
        let mut q = self.effective_quota(project_id);
        if let Some(set) = self.user_quotas.get(&(project_id.to_string(), user_id.to_string())) {
            q.apply(set);
        }
        q
    }

    /// Instances, cores and RAM of a project's servers, or of one user's.
    pub fn usage_by(&self, project_id: &str, user_id: Option<&str>) -> (i64, i64, i64) {
        self.servers
            .values()
            .filter(|s| s.project_id == project_id && s.vm_state != VmState::Deleted)
            .filter(|s| user_id.is_none_or(|u| s.user_id == u))
            .fold((0, 0, 0), |(n, c, r), s| match self.flavors.get(&s.flavor_id) {
                Some(f) => (n + 1, c + f.vcpus as i64, r + f.ram_mb as i64),
                None => (n + 1, c, r),
            })
    }
    /// Instances, cores and RAM (MB) used by `project_id`'s servers, as
    /// Nova counts them for quotas and limits.
    pub fn project_usage(&self, project_id: &str) -> (i64, i64, i64) {
        self.usage_by(project_id, None)
    }

    /// Ids of the servers in server group `group_id`, in creation order of
    /// the servers (Nova lists a group's members from its instances).
    pub fn group_members(&self, group_id: &str) -> Vec<String> {
        let mut members: Vec<&Server> = self
            .servers
            .values()
            .filter(|s| s.server_group.as_deref() == Some(group_id) && s.vm_state != VmState::Deleted)
            .collect();
        members.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        members.into_iter().map(|s| s.id.clone()).collect()
    }

    /// A live server or a deleted one's tombstone.
    pub fn server_or_tombstone(&self, id: &str) -> Option<&Server> {
        self.servers.get(id).or_else(|| self.deleted_servers.get(id))
    }

    // nova-network: fixed addresses and floating IPs.

    /// The first free address of a nova-network fixed network (skipping
    /// the network address, the gateway and the broadcast address).
    pub fn free_fixed_ip(&self, network_id: &str) -> Option<String> {
        let net = self.fixed_networks.get(network_id)?;
        let (first, last, _) = parse_cidr(&net.cidr)?;
        (first + 2..last).map(ipv4).find(|ip| !self.fixed_ips_in_use.contains_key(ip))
    }

    /// Adds unallocated floating IPs for `addresses` to `pool`, as one
    /// bulk create; fails without change when one already exists.
    pub fn add_floating_ips(&mut self, addresses: &[String], pool: &str, interface: &str) -> Result<(), String> {
        let existing: BTreeSet<&str> = self.floating_ips.values().map(|f| f.address.as_str()).collect();
        if let Some(dup) = addresses.iter().find(|a| existing.contains(a.as_str())) {
            return Err(dup.clone());
        }
        for address in addresses {
            let id = self.next_int_id();
            let fip = NovaFloatingIp {
                id,
                address: address.clone(),
                pool: pool.to_string(),
                interface: interface.to_string(),
                project_id: None,
                instance_id: None,
                fixed_ip: None,
            };
            self.floating_ips.insert(id, fip);
        }
        Ok(())
    }

    /// Disassociates a nova-network floating IP from its server, if any.
    pub fn disassociate_floating_ip(&mut self, id: u64) {
        let Some(fip) = self.floating_ips.get_mut(&id) else { return };
        let (address, instance) = (fip.address.clone(), fip.instance_id.take());
        fip.fixed_ip = None;
        if let Some(server) = instance.and_then(|i| self.servers.get_mut(&i)) {
            for nic in &mut server.nics {
                nic.floating_ips.retain(|a| *a != address);
            }
        }
    }
}
