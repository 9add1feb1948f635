/*!
Scenarios: what a simulated cloud holds when it starts. A YAML file (see
`examples/scenario.yaml`) or a generated one ([`generate`]), turned into a
[`World`](crate::model::World) by [`load`]. References between records are
by name (project `acme`, flavor `m1.small`), resolved by the loader.
*/

mod generate;
mod load;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::TimeModel;
use crate::faults::Faults;
use crate::model::compute::{Networking, QuotaSet};

pub use generate::{generate, GenerateOptions};
pub use load::{load, LoadError};

/// The built-in scenario `cutover sim` starts with when given none.
pub const DEFAULT_SCENARIO: &str = include_str!("default.yaml");

/// The scenario `cutover demo` moves: thirty servers of every kind, and one
/// new host whose spawns fail (see the file's header).
pub const DEMO_SCENARIO: &str = include_str!("demo.yaml");

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Seed for ids, addresses and faults: the same seed gives the same cloud.
    pub seed: u64,
    pub time: Option<TimeModel>,
    /// Role names to create besides `admin`, `member`, `reader` and `service`.
    pub roles: Vec<String>,
    pub domains: Vec<DomainSpec>,
    pub projects: Vec<ProjectSpec>,
    pub users: Vec<UserSpec>,
    pub regions: Vec<RegionSpec>,
    pub networks: Vec<NetworkSpec>,
    /// Neutron routers joining project subnets to external networks;
    /// a floating IP associated by a server's nic needs one.
    pub routers: Vec<RouterSpec>,
    pub security_groups: Vec<SecurityGroupSpec>,
    pub images: Vec<ImageSpec>,
    pub volume_types: Vec<VolumeTypeSpec>,
    pub volumes: Vec<VolumeSpec>,
    /// Neutron floating IPs.
    pub floating_ips: Vec<FloatingIpSpec>,
    pub faults: Faults,
}

impl Scenario {
    pub fn from_yaml(text: &str) -> Result<Scenario, yaml_serde::Error> {
        yaml_serde::from_str(text)
    }

    pub fn builtin() -> Scenario {
        Scenario::from_yaml(DEFAULT_SCENARIO).expect("the built-in scenario parses")
    }

    pub fn demo() -> Scenario {
        Scenario::from_yaml(DEMO_SCENARIO).expect("the demo scenario parses")
    }

    /// The Nova region playing the old environment (the first one listed).
    pub fn old_region(&self) -> Option<&str> {
        self.regions.first().map(|r| r.name.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSpec {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default = "default_domain")]
    pub domain: String,
    #[serde(default)]
    pub description: String,
}

pub(crate) fn default_domain() -> String {
    "Default".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    pub password: String,
    #[serde(default = "default_domain")]
    pub domain: String,
    /// Default project name.
    #[serde(default)]
    pub project: Option<String>,
    /// Role grants: project name to role names.
    #[serde(default)]
    pub roles: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    pub name: String,
    #[serde(default)]
    pub networking: Networking,
    /// Highest Nova microversion, e.g. `"2.90"`; `"2.1"` for an old Nova.
    #[serde(default = "default_max_microversion")]
    pub max_microversion: String,
    #[serde(default = "default_az")]
    pub default_az: String,
    /// Control-plane services (`nova-conductor`, `nova-scheduler`, ...), each
    /// on the `controller` host of the region.
    #[serde(default = "default_control_services")]
    pub control_services: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
    #[serde(default)]
    pub aggregates: Vec<AggregateSpec>,
    #[serde(default)]
    pub flavors: Vec<FlavorSpec>,
    #[serde(default)]
    pub keypairs: Vec<KeypairSpec>,
    #[serde(default)]
    pub quota_defaults: Option<QuotaSet>,
    /// Per-project quota overrides, by project name.
    #[serde(default)]
    pub quotas: BTreeMap<String, QuotaSet>,
    #[serde(default)]
    pub server_groups: Vec<ServerGroupSpec>,
    /// nova-network only.
    #[serde(default)]
    pub fixed_networks: Vec<FixedNetworkSpec>,
    /// nova-network only.
    #[serde(default)]
    pub floating_ip_pools: Vec<FloatingPoolSpec>,
    #[serde(default)]
    pub servers: Vec<ServerSpec>,
    /// Hosts on which every boot fails.
    #[serde(default)]
    pub failing_hosts: Vec<String>,
}

fn default_max_microversion() -> String {
    "2.96".into()
}

fn default_az() -> String {
    "nova".into()
}

fn default_control_services() -> Vec<String> {
    vec!["nova-conductor".into(), "nova-scheduler".into()]
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    pub name: String,
    #[serde(default = "default_vcpus")]
    pub vcpus: u32,
    #[serde(default = "default_memory")]
    pub memory_mb: u64,
    #[serde(default = "default_disk")]
    pub disk_gb: u64,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// The service stopped reporting (state `down`).
    #[serde(default)]
    pub down: bool,
}

fn default_vcpus() -> u32 {
    32
}
fn default_memory() -> u64 {
    131072
}
fn default_disk() -> u64 {
    2000
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateSpec {
    pub name: String,
    #[serde(default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavorSpec {
    pub id: String,
    pub name: String,
    pub vcpus: u32,
    pub ram_mb: u64,
    pub disk_gb: u64,
    #[serde(default)]
    pub ephemeral_gb: u64,
    #[serde(default)]
    pub swap_mb: u64,
    #[serde(default = "yes")]
    pub is_public: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub extra_specs: BTreeMap<String, String>,
    /// Project names with access to a private flavor.
    #[serde(default)]
    pub access: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeypairSpec {
    pub name: String,
    /// Owner user name.
    pub user: String,
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerGroupSpec {
    pub name: String,
    pub project: String,
    pub user: String,
    #[serde(default = "default_policy")]
    pub policy: String,
}

fn default_policy() -> String {
    "anti-affinity".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedNetworkSpec {
    pub label: String,
    pub cidr: String,
    #[serde(default)]
    pub project: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloatingPoolSpec {
    pub name: String,
    /// Every address of this CIDR becomes a floating IP of the pool.
    pub ip_range: String,
    #[serde(default = "default_interface")]
    pub interface: String,
}

fn default_interface() -> String {
    "eth0".into()
}

/// A server already running when the simulator starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub name: String,
    pub project: String,
    pub user: String,
    pub host: String,
    /// Flavor id or name.
    pub flavor: String,
    /// Image name or id; omit for a server booted from `boot_volume`.
    #[serde(default)]
    pub image: Option<String>,
    /// Name of the root volume of a boot-from-volume server.
    #[serde(default)]
    pub boot_volume: Option<String>,
    #[serde(default = "yes")]
    pub boot_volume_delete_on_termination: bool,
    #[serde(default)]
    pub key_name: Option<String>,
    /// Plain text; stored base64-encoded as Nova does.
    #[serde(default)]
    pub user_data: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub server_group: Option<String>,
    #[serde(default = "default_security_groups")]
    pub security_groups: Vec<String>,
    /// `ACTIVE`, `SHUTOFF` or `ERROR`.
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub nics: Vec<NicSpec>,
    /// Data volumes attached after boot.
    #[serde(default)]
    pub volumes: Vec<AttachedVolumeSpec>,
    #[serde(default)]
    pub config_drive: bool,
    #[serde(default)]
    pub personality: Vec<String>,
}

fn default_security_groups() -> Vec<String> {
    vec!["default".into()]
}

fn default_status() -> String {
    "ACTIVE".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NicSpec {
    /// Neutron network name, or nova-network fixed network label.
    pub network: String,
    #[serde(default)]
    pub fixed_ip: Option<String>,
    #[serde(default)]
    pub mac: Option<String>,
    /// The user created the port and passed it by id (Nova keeps it on
    /// delete); otherwise Nova created it.
    #[serde(default)]
    pub user_port: bool,
    /// A floating IP address to associate (Neutron: from `floating_ips`;
    /// nova-network: from a pool of the region).
    #[serde(default)]
    pub floating_ip: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachedVolumeSpec {
    pub volume: String,
    #[serde(default)]
    pub delete_on_termination: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    pub name: String,
    /// Owner project name; `admin` if omitted.
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub external: bool,
    /// A flat provider network on this physical network; when omitted,
    /// external networks are flat on `public`, others vxlan tenant networks.
    #[serde(default)]
    pub physical_network: Option<String>,
    #[serde(default)]
    pub subnets: Vec<SubnetSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    pub name: String,
    pub cidr: String,
    #[serde(default)]
    pub gateway_ip: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterSpec {
    pub name: String,
    /// Owner project name; `admin` if omitted.
    #[serde(default)]
    pub project: Option<String>,
    /// External network name for the gateway (none if omitted).
    #[serde(default)]
    pub external_network: Option<String>,
    /// Subnet names; each gets an interface holding its gateway IP.
    #[serde(default)]
    pub interfaces: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupSpec {
    pub name: String,
    pub project: String,
    #[serde(default)]
    pub description: String,
    /// Ingress TCP ports opened to the world.
    #[serde(default)]
    pub tcp_ports: Vec<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    /// Owner project name; `admin` if omitted.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default = "default_visibility")]
    pub visibility: String,
    #[serde(default = "default_disk_format")]
    pub disk_format: String,
    #[serde(default = "default_container_format")]
    pub container_format: String,
    /// Bytes of (synthetic) image data.
    #[serde(default = "default_image_size")]
    pub size: u64,
    #[serde(default)]
    pub min_disk: u64,
    #[serde(default)]
    pub min_ram: u64,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

fn default_visibility() -> String {
    "public".into()
}
fn default_disk_format() -> String {
    "qcow2".into()
}
fn default_container_format() -> String {
    "bare".into()
}
fn default_image_size() -> u64 {
    4096
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeTypeSpec {
    pub name: String,
    #[serde(default)]
    pub extra_specs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    pub name: String,
    pub project: String,
    pub user: String,
    pub size_gb: u64,
    /// Source image name: the volume is bootable.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub volume_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloatingIpSpec {
    pub address: String,
    /// External network name.
    pub network: String,
    pub project: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenario_loads_with_its_servers_wired() {
        let w = load(&Scenario::builtin(), "http://127.0.0.1:1", None).expect("loads");
        let old = &w.compute["RegionOne"];
        assert_eq!(old.servers.len(), 6);
        assert_eq!(w.compute["RegionTwo"].servers.len(), 0);
        let web1 = old.servers.values().find(|s| s.name == "web-1").unwrap();
        let port = web1.nics[0].port_id.as_ref().unwrap();
        assert_eq!(w.network.ports[port].device_id, web1.id);
        let fip = w.network.floating_ips.values().find(|f| f.floating_ip_address == "172.24.4.10").unwrap();
        assert_eq!(fip.port_id.as_ref(), Some(port));
        let router = &w.network.routers[fip.router_id.as_ref().expect("associated through a router")];
        assert_eq!(router.name, "acme-router");
        let db1 = old.servers.values().find(|s| s.name == "db-1").unwrap();
        assert_eq!(db1.block_devices.len(), 2);
        assert!(db1.block_devices.iter().all(|b| w.volume.volumes[&b.volume_id].status == "in-use"));
        assert_eq!(old.host_zone("old-3"), "az-fast");
    }

    #[test]
    fn demo_scenario_loads_with_one_server_in_the_failing_zone() {
        let w = load(&Scenario::demo(), "http://127.0.0.1:1", None).expect("loads");
        let old = &w.compute["RegionOne"];
        assert_eq!(old.servers.len(), 30);
        let in_fast: Vec<&str> = old
            .servers
            .values()
            .filter(|s| old.host_zone(s.host.as_deref().unwrap_or("")) == "az-fast")
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(in_fast, ["legacy-1"]);
        assert!(w.compute["RegionTwo"].failing_hosts.contains("new-3"));
        // Room for part of the servers only: the old hosts must join RegionTwo.
        let ram_used: u64 = old.hosts.keys().map(|h| old.host_usage(h).1).sum();
        let ram_new: u64 = w.compute["RegionTwo"].hosts.values().map(|h| h.memory_mb).sum();
        assert!(ram_new < ram_used, "RegionTwo has {ram_new} MB of RAM for {ram_used} MB of servers");
        // The nova-network pair: fixed networks alike in both, the pool in the old one only.
        let (old, new) = (&w.compute["RegionThree"], &w.compute["RegionFour"]);
        assert_eq!((old.networking, new.networking), (Networking::NovaNetwork, Networking::NovaNetwork));
        assert_eq!(old.servers.len(), 7);
        let labels = |r: &crate::model::ComputeRegion| {
            r.fixed_networks
                .values()
                .map(|n| (n.label.clone(), n.cidr.clone()))
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(labels(old), labels(new));
        assert_eq!(old.floating_ips.values().filter(|f| f.instance_id.is_some()).count(), 4);
        assert!(new.floating_ips.is_empty(), "cutover sync recreates the pool");
    }

    #[test]
    fn unknown_reference_is_named() {
        let mut s = Scenario::builtin();
        s.regions[0].servers[0].flavor = "m9.huge".into();
        let err = load(&s, "http://127.0.0.1:1", None).err().expect("refused").to_string();
        assert_eq!(err, "region RegionOne, server web-1: unknown flavor 'm9.huge'");
    }

    #[test]
    fn floating_ip_without_a_router_path_is_refused() {
        let mut s = Scenario::builtin();
        s.routers.retain(|r| r.name != "acme-router");
        let err = load(&s, "http://127.0.0.1:1", None).err().expect("refused").to_string();
        assert_eq!(
            err,
            "region RegionOne, server web-1: floating IP 172.24.4.10: no router joins network 'acme-net' to the external network (add one under `routers:`)"
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Scenario::from_yaml("seed: 1\nregoins: []\n").unwrap_err().to_string();
        assert!(err.contains("unknown field `regoins`"), "{err}");
    }

    #[test]
    fn generated_scenarios_are_deterministic_and_load() {
        for networking in [Networking::Neutron, Networking::NovaNetwork] {
            let opts = GenerateOptions { hosts: 7, servers: 120, new_hosts: None, networking, seed: 9 };
            let a = yaml_serde::to_string(&generate(&opts)).unwrap();
            assert_eq!(a, yaml_serde::to_string(&generate(&opts)).unwrap());
            let w = load(&generate(&opts), "http://127.0.0.1:1", None).expect("generated scenario loads");
            let old = &w.compute["RegionOne"];
            assert_eq!(old.servers.len(), 120);
            assert_eq!(old.hosts.len(), 7);
            let shutoff = old.servers.values().filter(|s| s.status() == "SHUTOFF").count();
            let from_volume = old.servers.values().filter(|s| s.image_id.is_none()).count();
            assert!(shutoff > 0 && from_volume > 0, "varied servers: {shutoff} off, {from_volume} from volume");
            let new = &w.compute["RegionTwo"];
            let capacity: u64 = new.hosts.values().map(|h| h.vcpus as u64).sum();
            let needed: u64 = old.servers.values().map(|s| old.flavors[&s.flavor_id].vcpus as u64).sum();
            assert!(capacity >= needed, "by default the new region has room for all");
        }
    }
}
