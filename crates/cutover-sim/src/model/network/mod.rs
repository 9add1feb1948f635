/*!
Neutron's records: networks, subnets, ports, routers, floating IPs and
security groups, with the address bookkeeping that keeps IPs and MACs unique per
network.
*/

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

mod security_groups;

pub use security_groups::{SecurityGroup, SecurityGroupRule};

#[derive(Debug, Clone, Serialize)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub shared: bool,
    /// `router:external`: floating IPs are allocated from it.
    pub external: bool,
    pub admin_state_up: bool,
    pub mtu: u32,
    pub provider_network_type: Option<String>,
    pub provider_physical_network: Option<String>,
    pub provider_segmentation_id: Option<u32>,
    pub description: String,
    pub availability_zones: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision_number: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AllocationPool {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subnet {
    pub id: String,
    pub name: String,
    pub network_id: String,
    pub project_id: String,
    pub cidr: String,
    pub ip_version: u8,
    pub gateway_ip: Option<String>,
    pub allocation_pools: Vec<AllocationPool>,
    pub enable_dhcp: bool,
    pub dns_nameservers: Vec<String>,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision_number: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FixedIp {
    pub subnet_id: String,
    pub ip_address: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Port {
    pub id: String,
    pub name: String,
    pub network_id: String,
    pub project_id: String,
    pub mac_address: String,
    pub fixed_ips: Vec<FixedIp>,
    pub device_id: String,
    pub device_owner: String,
    pub binding_host_id: String,
    pub binding_vif_type: String,
    pub binding_vnic_type: String,
    pub security_groups: Vec<String>,
    pub admin_state_up: bool,
    /// `ACTIVE` when bound to a host, `DOWN` otherwise.
    pub status: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision_number: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FloatingIp {
    pub id: String,
    pub floating_ip_address: String,
    pub floating_network_id: String,
    pub project_id: String,
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub router_id: Option<String>,
    pub status: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision_number: u64,
}

impl FloatingIp {
    /// A new address on `network`, held by `project`, associated with nothing.
    pub fn unassociated(
        id: String,
        address: String,
        network: String,
        project: String,
        now: DateTime<Utc>,
    ) -> FloatingIp {
        FloatingIp {
            id,
            floating_ip_address: address,
            floating_network_id: network,
            project_id: project,
            port_id: None,
            fixed_ip_address: None,
            router_id: None,
            status: "DOWN".into(),
            description: String::new(),
            created_at: now,
            updated_at: now,
            revision_number: 0,
        }
    }
}

/// A router's `external_gateway_info`: its address on the external network
/// is held by the port `port_id` (device owner `network:router_gateway`).
#[derive(Debug, Clone, Serialize)]
pub struct RouterGateway {
    pub network_id: String,
    pub enable_snat: bool,
    pub port_id: String,
}

/// A Neutron router; its interfaces are the ports whose device is the
/// router, with device owner `network:router_interface`.
#[derive(Debug, Clone, Serialize)]
pub struct Router {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub admin_state_up: bool,
    pub description: String,
    pub gateway: Option<RouterGateway>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision_number: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct NetworkStore {
    pub networks: BTreeMap<String, Network>,
    pub subnets: BTreeMap<String, Subnet>,
    pub ports: BTreeMap<String, Port>,
    pub floating_ips: BTreeMap<String, FloatingIp>,
    pub routers: BTreeMap<String, Router>,
    pub security_groups: BTreeMap<String, SecurityGroup>,
    /// Index: (network id, IP address) to the port holding it.
    #[serde(skip)]
    pub ip_owner: BTreeMap<(String, String), String>,
    /// Index: (network id, MAC address) to the port holding it.
    #[serde(skip)]
    pub mac_owner: BTreeMap<(String, String), String>,
    /// Index: device id to its ports, so a server's ports are found fast.
    #[serde(skip)]
    pub ports_by_device: BTreeMap<String, Vec<String>>,
    /// Index: (network id, address) of every floating IP. Add and remove
    /// floating IPs through `insert_floating_ip`/`remove_floating_ip`.
    #[serde(skip)]
    pub floating_addresses: BTreeSet<(String, String)>,
    /// Per subnet, where the next free-address search starts.
    #[serde(skip)]
    pub alloc_cursor: BTreeMap<String, u32>,
    /// `standard-attr-tag` tags of any Neutron resource, by resource id.
    pub tags: BTreeMap<String, Vec<String>>,
}

/// Why an address could not be given to a port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("IP address {ip} already allocated in subnet {subnet_id}")]
    IpInUse { ip: String, subnet_id: String },
    #[error("Unable to complete operation for network {network_id}. The mac address {mac} is in use.")]
    MacInUse { mac: String, network_id: String },
    #[error("No more IP addresses available on network {network_id}.")]
    Exhausted { network_id: String },
    #[error("IP address {ip} is not a valid IP for the specified subnet.")]
    OutOfSubnet { ip: String },
    #[error("IP address {ip} is not a valid IP for any of the subnets on the specified network.")]
    NotOnNetwork { ip: String },
    #[error("Invalid input for operation: Failed to create port on network {network_id}, because fixed_ips included invalid subnet {subnet_id}.")]
    ForeignSubnet { subnet_id: String, network_id: String },
}

impl AddressError {
    /// Neutron's exception class for the error, sent as the error `type`.
    pub fn neutron_type(&self) -> &'static str {
        match self {
            AddressError::IpInUse { .. } => "IpAddressAlreadyAllocated",
            AddressError::MacInUse { .. } => "MacAddressInUse",
            AddressError::Exhausted { .. } => "IpAddressGenerationFailure",
            AddressError::OutOfSubnet { .. } => "InvalidIpForSubnet",
            AddressError::NotOnNetwork { .. } => "InvalidIpForNetwork",
            AddressError::ForeignSubnet { .. } => "InvalidInput",
        }
    }

    /// 409 for addresses taken or used up, 400 for addresses that cannot be.
    pub fn is_conflict(&self) -> bool {
        matches!(self, AddressError::IpInUse { .. } | AddressError::MacInUse { .. } | AddressError::Exhausted { .. })
    }
}

/// One entry of a port's requested `fixed_ips`: a subnet, an address or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedIpRequest {
    pub subnet_id: Option<String>,
    pub ip_address: Option<String>,
}

/// Device owners of ports Neutron deletes together with their network;
/// they do not make a network "in use" (neutron-lib `AUTO_DELETE_PORT_OWNERS`).
pub const AUTO_DELETE_PORT_OWNERS: [&str; 3] =
    ["network:dhcp", "network:router_interface_distributed", "network:floatingip_agent_gateway"];

/// An IPv4 CIDR as first and last address (inclusive) and prefix length.
pub fn parse_cidr(cidr: &str) -> Option<(u32, u32, u8)> {
    let (addr, len) = cidr.split_once('/')?;
    let addr: std::net::Ipv4Addr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    if len > 32 {
        return None;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let first = u32::from(addr) & mask;
    Some((first, first | !mask, len))
}

pub fn ipv4(n: u32) -> String {
    std::net::Ipv4Addr::from(n).to_string()
}

pub fn ipv4_num(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

impl Subnet {
    /// The default allocation pools: the CIDR less network, broadcast and
    /// gateway addresses (a gateway inside the range splits it in two).
    pub fn default_pool(cidr: &str, gateway: Option<&str>) -> Vec<AllocationPool> {
        let Some((first, last, _)) = parse_cidr(cidr) else { return Vec::new() };
        let (start, end) = (first + 1, last.saturating_sub(1));
        if start > end {
            return Vec::new();
        }
        let ranges = match gateway.and_then(ipv4_num) {
            Some(gw) if gw >= start && gw <= end => vec![(start, gw.saturating_sub(1)), (gw + 1, end)],
            _ => vec![(start, end)],
        };
        ranges
            .into_iter()
            .filter(|(lo, hi)| lo <= hi && *lo >= start)
            .map(|(lo, hi)| AllocationPool { start: ipv4(lo), end: ipv4(hi) })
            .collect()
    }

    pub fn contains(&self, ip: &str) -> bool {
        match (parse_cidr(&self.cidr), ipv4_num(ip)) {
            (Some((first, last, _)), Some(n)) => n >= first && n <= last,
            _ => false,
        }
    }
}

impl NetworkStore {
    /// The first free address of the subnet's allocation pools.
    pub fn free_ip(&self, subnet_id: &str) -> Option<String> {
        let subnet = self.subnets.get(subnet_id)?;
        let start_at = self.alloc_cursor.get(subnet_id).copied().unwrap_or(0);
        let in_use = |n: u32| self.ip_in_use(&subnet.network_id, &ipv4(n), None);
        let pools: Vec<(u32, u32)> =
            subnet.allocation_pools.iter().filter_map(|p| Some((ipv4_num(&p.start)?, ipv4_num(&p.end)?))).collect();
        // Scan from the cursor first, then from the start, as addresses free up.
        for from in [start_at, 0] {
            for &(lo, hi) in &pools {
                let mut n = lo.max(from);
                while n <= hi {
                    if !in_use(n) {
                        return Some(ipv4(n));
                    }
                    n += 1;
                }
            }
        }
        None
    }

    /// A random locally administered MAC in OpenStack's `fa:16:3e` prefix,
    /// unique on the network.
    pub fn new_mac(&self, network_id: &str, rng: &mut impl rand::Rng) -> String {
        loop {
            let b: [u8; 3] = rng.random();
            let mac = format!("fa:16:3e:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2]);
            if !self.mac_owner.contains_key(&(network_id.to_string(), mac.clone())) {
                return mac;
            }
        }
    }

    /// Checks that the port's addresses are free, then stores it and
    /// indexes its addresses and device.
    pub fn insert_port(&mut self, port: Port) -> Result<(), AddressError> {
        let net = port.network_id.clone();
        if let Some(owner) = self.mac_owner.get(&(net.clone(), port.mac_address.clone())) {
            if owner != &port.id {
                return Err(AddressError::MacInUse { mac: port.mac_address.clone(), network_id: net });
            }
        }
        for ip in &port.fixed_ips {
            if self.ip_in_use(&net, &ip.ip_address, Some(&port.id)) {
                return Err(AddressError::IpInUse { ip: ip.ip_address.clone(), subnet_id: ip.subnet_id.clone() });
            }
        }
        if let Some(old) = self.ports.get(&port.id).cloned() {
            self.unindex_port(&old);
        }
        self.mac_owner.insert((net.clone(), port.mac_address.clone()), port.id.clone());
        for ip in &port.fixed_ips {
            self.ip_owner.insert((net.clone(), ip.ip_address.clone()), port.id.clone());
            if let (Some(n), Some(s)) = (ipv4_num(&ip.ip_address), self.subnets.get(&ip.subnet_id)) {
                if s.contains(&ip.ip_address) {
                    self.alloc_cursor.insert(ip.subnet_id.clone(), n + 1);
                }
            }
        }
        if !port.device_id.is_empty() {
            self.ports_by_device.entry(port.device_id.clone()).or_default().push(port.id.clone());
        }
        self.ports.insert(port.id.clone(), port);
        Ok(())
    }

    fn unindex_port(&mut self, port: &Port) {
        self.mac_owner.remove(&(port.network_id.clone(), port.mac_address.clone()));
        for ip in &port.fixed_ips {
            self.ip_owner.remove(&(port.network_id.clone(), ip.ip_address.clone()));
        }
        if let Some(ids) = self.ports_by_device.get_mut(&port.device_id) {
            ids.retain(|id| id != &port.id);
            if ids.is_empty() {
                self.ports_by_device.remove(&port.device_id);
            }
        }
    }

    /// Removes a port, freeing its addresses and disassociating its
    /// floating IPs.
    pub fn remove_port(&mut self, port_id: &str) -> Option<Port> {
        let port = self.ports.remove(port_id)?;
        self.unindex_port(&port);
        for fip in self.floating_ips.values_mut().filter(|f| f.port_id.as_deref() == Some(port_id)) {
            fip.port_id = None;
            fip.fixed_ip_address = None;
            fip.router_id = None;
            fip.status = "DOWN".into();
        }
        Some(port)
    }

    /// Changes a port in place (device, binding, addresses), re-checking and
    /// re-indexing its addresses.
    pub fn update_port(
        &mut self,
        port_id: &str,
        change: impl FnOnce(&mut Port),
    ) -> Result<Option<&Port>, AddressError> {
        let Some(mut port) = self.ports.get(port_id).cloned() else { return Ok(None) };
        change(&mut port);
        self.insert_port(port)?;
        Ok(self.ports.get(port_id))
    }

    /// Nova's `_unbind_ports` on a port the user gave a server (its delete,
    /// an interface detach): device and binding cleared by the port's id,
    /// whichever device Neutron says owns it now; a port gone is skipped.
    pub fn unbind_port(&mut self, port_id: &str, now: DateTime<Utc>) {
        let _ = self.update_port(port_id, |p| {
            p.device_id.clear();
            p.device_owner.clear();
            p.binding_host_id.clear();
            p.binding_vif_type = "unbound".into();
            p.status = "DOWN".into();
            p.updated_at = now;
            p.revision_number += 1;
        });
    }

    pub fn ports_of_device(&self, device_id: &str) -> Vec<&Port> {
        self.ports_by_device.get(device_id).into_iter().flatten().filter_map(|id| self.ports.get(id)).collect()
    }

    /// The project's `default` security group.
    pub fn default_security_group(&self, project_id: &str) -> Option<&SecurityGroup> {
        self.security_groups.values().find(|g| g.project_id == project_id && g.name == "default")
    }

    /// Whether an address of the network is held by a port (other than
    /// `except_port`) or by a floating IP allocated from it. Neutron backs
    /// each floating IP with a port; the simulator checks both records.
    pub fn ip_in_use(&self, network_id: &str, ip: &str, except_port: Option<&str>) -> bool {
        let by_port = self
            .ip_owner
            .get(&(network_id.to_string(), ip.to_string()))
            .is_some_and(|owner| Some(owner.as_str()) != except_port);
        by_port || self.floating_addresses.contains(&(network_id.to_string(), ip.to_string()))
    }

    pub fn insert_floating_ip(&mut self, fip: FloatingIp) {
        self.floating_addresses.insert((fip.floating_network_id.clone(), fip.floating_ip_address.clone()));
        self.floating_ips.insert(fip.id.clone(), fip);
    }

    pub fn remove_floating_ip(&mut self, id: &str) -> Option<FloatingIp> {
        let fip = self.floating_ips.remove(id)?;
        self.floating_addresses.remove(&(fip.floating_network_id.clone(), fip.floating_ip_address.clone()));
        Some(fip)
    }

    /// The network's IPv4 subnets, in creation (id) order.
    pub fn subnets_of(&self, network_id: &str) -> Vec<&Subnet> {
        self.subnets.values().filter(|s| s.network_id == network_id && s.ip_version == 4).collect()
    }

    /// A free address on any subnet of the network, as Neutron allocates one
    /// when a port names only its network.
    pub fn free_ip_on_network(&self, network_id: &str) -> Option<FixedIp> {
        self.subnets_of(network_id)
            .into_iter()
            .find_map(|s| self.free_ip(&s.id).map(|ip_address| FixedIp { subnet_id: s.id.clone(), ip_address }))
    }

    /// Turns requested `fixed_ips` into addresses on the network: explicit
    /// addresses are checked against their subnet and against other holders
    /// (`port_id` itself excepted, for updates), subnet-only entries get the
    /// subnet's next free address. No request at all means one address from
    /// the network (none when it has no subnet).
    pub fn resolve_fixed_ips(
        &self,
        network_id: &str,
        requested: Option<&[FixedIpRequest]>,
        port_id: Option<&str>,
    ) -> Result<Vec<FixedIp>, AddressError> {
        let exhausted = || AddressError::Exhausted { network_id: network_id.to_string() };
        let Some(requested) = requested else {
            if self.subnets_of(network_id).is_empty() {
                return Ok(Vec::new());
            }
            return self.free_ip_on_network(network_id).map(|ip| vec![ip]).ok_or_else(exhausted);
        };
        let mut out: Vec<FixedIp> = Vec::new();
        for req in requested {
            let subnet = match (&req.subnet_id, &req.ip_address) {
                (Some(id), _) => match self.subnets.get(id) {
                    Some(s) if s.network_id == network_id => s,
                    _ => {
                        return Err(AddressError::ForeignSubnet {
                            subnet_id: id.clone(),
                            network_id: network_id.to_string(),
                        })
                    }
                },
                (None, Some(ip)) => self
                    .subnets_of(network_id)
                    .into_iter()
                    .find(|s| s.contains(ip))
                    .ok_or_else(|| AddressError::NotOnNetwork { ip: ip.clone() })?,
                (None, None) => continue,
            };
            let fixed = match &req.ip_address {
                Some(ip) => {
                    if !subnet.contains(ip) {
                        return Err(AddressError::OutOfSubnet { ip: ip.clone() });
                    }
                    let taken_here = out.iter().any(|f| &f.ip_address == ip);
                    if taken_here || self.ip_in_use(network_id, ip, port_id) {
                        return Err(AddressError::IpInUse { ip: ip.clone(), subnet_id: subnet.id.clone() });
                    }
                    FixedIp { subnet_id: subnet.id.clone(), ip_address: ip.clone() }
                }
                None => {
                    // An update that keeps the subnet keeps the port's address there.
                    let kept = port_id
                        .and_then(|p| self.ports.get(p))
                        .and_then(|p| p.fixed_ips.iter().find(|f| f.subnet_id == subnet.id))
                        .filter(|f| !out.contains(f));
                    match kept {
                        Some(f) => f.clone(),
                        None => self.free_ip_excluding(&subnet.id, &out).ok_or_else(exhausted)?,
                    }
                }
            };
            out.push(fixed);
        }
        Ok(out)
    }

    fn free_ip_excluding(&self, subnet_id: &str, taken: &[FixedIp]) -> Option<FixedIp> {
        let subnet = self.subnets.get(subnet_id)?;
        subnet
            .allocation_pools
            .iter()
            .find_map(|p| {
                let (lo, hi) = (ipv4_num(&p.start)?, ipv4_num(&p.end)?);
                (lo..=hi).map(ipv4).find(|ip| {
                    !self.ip_in_use(&subnet.network_id, ip, None) && !taken.iter().any(|t| &t.ip_address == ip)
                })
            })
            .map(|ip_address| FixedIp { subnet_id: subnet_id.to_string(), ip_address })
    }

    /// Ports that keep a network from being deleted.
    pub fn network_in_use(&self, network_id: &str) -> bool {
        let ports = self
            .ports
            .values()
            .any(|p| p.network_id == network_id && !AUTO_DELETE_PORT_OWNERS.contains(&p.device_owner.as_str()));
        ports || self.floating_ips.values().any(|f| f.floating_network_id == network_id)
    }

    /// Whether any port holds an address of the subnet.
    pub fn subnet_in_use(&self, subnet_id: &str) -> bool {
        self.ports.values().any(|p| p.fixed_ips.iter().any(|f| f.subnet_id == subnet_id))
    }

    /// A resource's tags (empty when it has none).
    pub fn tags_of(&self, id: &str) -> Vec<String> {
        self.tags.get(id).cloned().unwrap_or_default()
    }
}
