/*!
One Nova region's records: its hosts and services, flavors, keypairs,
quotas, server groups, aggregates, servers and, in nova-network regions,
fixed networks and floating IPs. Each region has its own copy, as each Nova
has its own database.
*/

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

/// A compute host: a hypervisor with capacity, and its `nova-compute` service.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub name: String,
    /// Integer id used in URLs before microversion 2.53.
    pub hypervisor_id: u64,
    /// UUID used from 2.53 on.
    pub hypervisor_uuid: String,
    pub vcpus: u32,
    pub memory_mb: u64,
    pub local_gb: u64,
    pub host_ip: String,
    /// The availability zone of an aggregate holding the host, else the default.
    pub availability_zone: Option<String>,
}

/// A row of `os-services`.
#[derive(Debug, Clone, Serialize)]
pub struct ComputeService {
    pub id: u64,
    pub uuid: String,
    pub binary: String,
    pub host: String,
    /// `internal` for control services, else the host's zone.
    pub zone: String,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    /// False when the service stopped reporting (a "service down" fault).
    pub up: bool,
    pub forced_down: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    pub vcpus: u32,
    pub ram_mb: u64,
    pub disk_gb: u64,
    pub ephemeral_gb: u64,
    pub swap_mb: u64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub disabled: bool,
    pub description: Option<String>,
    pub extra_specs: BTreeMap<String, String>,
    /// Projects given access to a private flavor.
    pub access: BTreeSet<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Keypair {
    pub name: String,
    pub user_id: String,
    pub public_key: String,
    pub fingerprint: String,
    /// `ssh` or `x509` (2.2+).
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub id: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerGroup {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    /// `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`.
    pub policy: String,
    pub rules: BTreeMap<String, serde_json::Value>,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub id: u64,
    pub uuid: String,
    pub name: String,
    pub availability_zone: Option<String>,
    pub hosts: BTreeSet<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Nova quota limits; `-1` is unlimited.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct QuotaSet {
    pub instances: i64,
    pub cores: i64,
    pub ram: i64,
    pub key_pairs: i64,
    pub metadata_items: i64,
    pub server_groups: i64,
    pub server_group_members: i64,
    pub injected_files: i64,
    pub injected_file_content_bytes: i64,
    pub injected_file_path_bytes: i64,
    /// nova-network only (and below 2.36 in the API).
    pub floating_ips: i64,
    pub fixed_ips: i64,
    pub security_groups: i64,
    pub security_group_rules: i64,
}

impl Default for QuotaSet {
    fn default() -> QuotaSet {
        // Nova's shipped defaults.
        QuotaSet {
            instances: 10,
            cores: 20,
            ram: 51200,
            key_pairs: 100,
            metadata_items: 128,
            server_groups: 10,
            server_group_members: 10,
            injected_files: 5,
            injected_file_content_bytes: 10240,
            injected_file_path_bytes: 255,
            floating_ips: 10,
            fixed_ips: -1,
            security_groups: 10,
            security_group_rules: 20,
        }
    }
}

/// Nova's `vm_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VmState {
    Building,
    Active,
    Stopped,
    Paused,
    Suspended,
    Shelved,
    ShelvedOffloaded,
    Error,
    Deleted,
    SoftDeleted,
}

impl VmState {
    pub fn as_str(&self) -> &'static str {
        match self {
            VmState::Building => "building",
            VmState::Active => "active",
            VmState::Stopped => "stopped",
            VmState::Paused => "paused",
            VmState::Suspended => "suspended",
            VmState::Shelved => "shelved",
            VmState::ShelvedOffloaded => "shelved_offloaded",
            VmState::Error => "error",
            VmState::Deleted => "deleted",
            VmState::SoftDeleted => "soft-delete",
        }
    }
}

/// Nova's `power_state` numbers as the API shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PowerState {
    NoState = 0,
    Running = 1,
    Paused = 3,
    Shutdown = 4,
    Crashed = 6,
    Suspended = 7,
}

/// A server's network attachment.
#[derive(Debug, Clone, Serialize)]
pub struct Nic {
    /// Neutron port id; `None` in nova-network regions.
    pub port_id: Option<String>,
    pub network_id: String,
    /// Network label as shown in `addresses`.
    pub network_name: String,
    pub mac_address: String,
    pub fixed_ips: Vec<String>,
    /// Floating IPs shown in `addresses` (nova-network) — Neutron ones are
    /// looked up through the port.
    pub floating_ips: Vec<String>,
    /// The user passed this port by id at boot: Nova unbinds it on delete
    /// instead of deleting it.
    pub preserve_on_delete: bool,
    pub tag: Option<String>,
}

/// A block device mapping of a server.
#[derive(Debug, Clone, Serialize)]
pub struct BlockDevice {
    pub volume_id: String,
    pub boot_index: Option<i32>,
    pub device_name: String,
    pub delete_on_termination: bool,
    pub tag: Option<String>,
    /// The attachment's id (2.89+).
    pub attachment_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub code: u16,
    pub message: String,
    pub details: String,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Server {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    pub flavor_id: String,
    /// `None` for servers booted from a volume.
    pub image_id: Option<String>,
    pub key_name: Option<String>,
    /// Base64 text, as given at boot.
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
    pub description: Option<String>,
    /// The zone the user asked for, if any.
    pub requested_az: Option<String>,
    pub host: Option<String>,
    pub vm_state: VmState,
    pub task_state: Option<String>,
    pub power_state: PowerState,
    pub nics: Vec<Nic>,
    pub block_devices: Vec<BlockDevice>,
    /// Security group names.
    pub security_groups: Vec<String>,
    pub server_group: Option<String>,
    pub config_drive: bool,
    /// Paths of files injected at boot (personality, below 2.57).
    pub personality: Vec<String>,
    pub access_ipv4: String,
    pub access_ipv6: String,
    pub locked: bool,
    /// Why the server was locked (2.73+).
    pub locked_reason: Option<String>,
    /// `owner` or `admin`: who locked it, so only an admin can lift an
    /// admin's lock.
    pub locked_by: Option<String>,
    pub fault: Option<Fault>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub launched_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    /// Monotonic revision so a completed transition can tell whether a newer
    /// action superseded it.
    pub generation: u64,
    /// Nova's integer database id (for `instance-%08x` names); given by
    /// [`ComputeRegion::insert_server`] when zero.
    pub internal_id: u64,
}

impl Server {
    /// A server record with Nova's defaults, not yet placed or started.
    pub fn new(
        id: String,
        name: String,
        project_id: String,
        user_id: String,
        flavor_id: String,
        now: DateTime<Utc>,
    ) -> Server {
        Server {
            id,
            name,
            project_id,
            user_id,
            flavor_id,
            image_id: None,
            key_name: None,
            user_data: None,
            metadata: BTreeMap::new(),
            tags: BTreeSet::new(),
            description: None,
            requested_az: None,
            host: None,
            vm_state: VmState::Building,
            task_state: Some("scheduling".into()),
            power_state: PowerState::NoState,
            nics: Vec::new(),
            block_devices: Vec::new(),
            security_groups: Vec::new(),
            server_group: None,
            config_drive: false,
            personality: Vec::new(),
            access_ipv4: String::new(),
            access_ipv6: String::new(),
            locked: false,
            locked_reason: None,
            locked_by: None,
            fault: None,
            created: now,
            updated: now,
            launched_at: None,
            terminated_at: None,
            generation: 0,
            internal_id: 0,
        }
    }

    /// The API's `status`, derived from `vm_state` and `task_state` the way
    /// Nova's `common.status_from_state` does.
    pub fn status(&self) -> &'static str {
        let task = self.task_state.as_deref();
        match self.vm_state {
            VmState::Building => "BUILD",
            VmState::Active => match task {
                Some("rebooting") | Some("reboot_pending") | Some("reboot_started") => "REBOOT",
                Some("rebooting_hard") | Some("reboot_pending_hard") | Some("reboot_started_hard") => "HARD_REBOOT",
                Some("rebuilding") | Some("rebuild_block_device_mapping") | Some("rebuild_spawning") => "REBUILD",
                Some("migrating") => "MIGRATING",
                Some("resize_prep") | Some("resize_migrating") | Some("resize_migrated") | Some("resize_finish") => {
                    "RESIZE"
                }
                Some("updating_password") => "PASSWORD",
                _ => "ACTIVE",
            },
            VmState::Stopped => "SHUTOFF",
            VmState::Paused => "PAUSED",
            VmState::Suspended => "SUSPENDED",
            VmState::Shelved => "SHELVED",
            VmState::ShelvedOffloaded => "SHELVED_OFFLOADED",
            VmState::Error => "ERROR",
            VmState::Deleted => "DELETED",
            VmState::SoftDeleted => "SOFT_DELETED",
        }
    }
}

/// A nova-network fixed network.
#[derive(Debug, Clone, Serialize)]
pub struct FixedNetwork {
    pub id: String,
    pub label: String,
    pub cidr: String,
    pub gateway: String,
    /// Project the network is assigned to; `None` for shared.
    pub project_id: Option<String>,
}

/// A nova-network floating IP.
#[derive(Debug, Clone, Serialize)]
pub struct NovaFloatingIp {
    pub id: u64,
    pub address: String,
    pub pool: String,
    pub interface: String,
    pub project_id: Option<String>,
    pub instance_id: Option<String>,
    pub fixed_ip: Option<String>,
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
    pub fixed_networks: BTreeMap<String, FixedNetwork>,
    pub floating_ips: BTreeMap<u64, NovaFloatingIp>,
    /// nova-network fixed IPs leased to servers.
    pub fixed_ips_in_use: BTreeSet<String>,
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

    /// The zone of `host`: from an aggregate with an AZ, else the default.
    pub fn host_zone(&self, host: &str) -> String {
        self.aggregates
            .values()
            .find(|a| a.hosts.contains(host) && a.availability_zone.is_some())
            .and_then(|a| a.availability_zone.clone())
            .unwrap_or_else(|| self.default_az.clone())
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

    /// The first free address of a nova-network fixed network (skipping
    /// the network address, the gateway and the broadcast address).
    pub fn free_fixed_ip(&self, network_id: &str) -> Option<String> {
        use crate::model::network::{ipv4, parse_cidr};
        let net = self.fixed_networks.get(network_id)?;
        let (first, last, _) = parse_cidr(&net.cidr)?;
        (first + 2..last).map(ipv4).find(|ip| !self.fixed_ips_in_use.contains(ip))
    }

    pub fn effective_quota(&self, project_id: &str) -> QuotaSet {
        self.quotas.get(project_id).cloned().unwrap_or_else(|| self.quota_defaults.clone())
    }
    /// Instances, cores and RAM (MB) used by `project_id`'s servers, as
    /// Nova counts them for quotas and limits.
    pub fn project_usage(&self, project_id: &str) -> (i64, i64, i64) {
        self.servers.values().filter(|s| s.project_id == project_id && s.vm_state != VmState::Deleted).fold(
            (0, 0, 0),
            |(n, c, r), s| match self.flavors.get(&s.flavor_id) {
                Some(f) => (n + 1, c + f.vcpus as i64, r + f.ram_mb as i64),
                None => (n + 1, c, r),
            },
        )
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

/// Nova's keypair fingerprint: the MD5 of the decoded key blob, as
/// colon-separated hex; `None` when the text is not an OpenSSH public key
/// (Nova answers 400 "Keypair data is invalid").
pub fn keypair_fingerprint(public_key: &str) -> Option<String> {
    use base64::Engine as _;
    use md5::Digest as _;
    let mut words = public_key.split_whitespace();
    let kind = words.next()?;
    let blob = base64::engine::general_purpose::STANDARD.decode(words.next()?).ok()?;
    // The blob starts with the key type as a length-prefixed string.
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    if blob.get(4..4 + len)? != kind.as_bytes() {
        return None;
    }
    let digest = md5::Md5::digest(&blob);
    Some(digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
}

/// The addresses of a nova-network floating range as `nova-manage` and
/// `os-floating-ips-bulk` expand it: a single address, or the host
/// addresses of a CIDR (no network or broadcast address); a CIDR of
/// fewer than four addresses is refused.
pub fn floating_range(ip_range: &str) -> Result<Vec<String>, String> {
    use crate::model::network::{ipv4, ipv4_num, parse_cidr};
    if let Some(n) = ipv4_num(ip_range) {
        return Ok(vec![ipv4(n)]);
    }
    let (first, last, len) = parse_cidr(ip_range).ok_or_else(|| format!("invalid IPNetwork {ip_range}"))?;
    if len > 30 {
        return Err(format!("/{len} should be specified as single address(es) not in cidr format"));
    }
    Ok((first + 1..last).map(ipv4).collect())
}

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

    /// A live server or a deleted one's tombstone.
    pub fn server_or_tombstone(&self, id: &str) -> Option<&Server> {
        self.servers.get(id).or_else(|| self.deleted_servers.get(id))
    }
}

/// Nova's `hostId`: SHA-224 of project id and host name, so that servers of
/// one project on one host share it without revealing the host.
pub fn host_id(project_id: &str, host: Option<&str>) -> String {
    use sha2::Digest as _;
    match host {
        Some(h) if !h.is_empty() => {
            sha2::Sha224::digest(format!("{project_id}{h}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
        }
        _ => String::new(),
    }
}

/// What Nova puts on a Neutron port it creates for a server.
pub struct ServerPort<'a> {
    pub id: String,
    pub network_id: String,
    pub project_id: &'a str,
    pub mac_address: String,
    pub fixed_ips: Vec<crate::model::network::FixedIp>,
    pub server_id: &'a str,
    /// The server's availability zone (`device_owner` is `compute:<az>`).
    pub zone: &'a str,
    /// The host the port is bound to; `None` until the server spawns.
    pub host: Option<&'a str>,
    pub security_groups: Vec<String>,
    pub now: DateTime<Utc>,
}

impl ServerPort<'_> {
    /// The port record: owned by the server, `ACTIVE` once bound to a host
    /// (the VIF is plugged), `DOWN` before.
    pub fn build(self) -> crate::model::network::Port {
        let bound = self.host.is_some();
        crate::model::network::Port {
            id: self.id,
            name: String::new(),
            network_id: self.network_id,
            project_id: self.project_id.to_string(),
            mac_address: self.mac_address,
            fixed_ips: self.fixed_ips,
            device_id: self.server_id.to_string(),
            device_owner: format!("compute:{}", self.zone),
            binding_host_id: self.host.unwrap_or_default().to_string(),
            binding_vif_type: if bound { "ovs" } else { "unbound" }.into(),
            binding_vnic_type: "normal".into(),
            security_groups: self.security_groups,
            admin_state_up: true,
            status: if bound { "ACTIVE" } else { "DOWN" }.into(),
            description: String::new(),
            created_at: self.now,
            updated_at: self.now,
            revision_number: 1,
        }
    }
}
