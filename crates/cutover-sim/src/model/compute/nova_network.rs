/*!
nova-network's records in a region without Neutron: fixed networks and
their leases, and floating IPs with their pools and bulk ranges.
*/

use std::collections::BTreeSet;

use serde::Serialize;

use super::ComputeRegion;

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

impl ComputeRegion {
    /// The first free address of a nova-network fixed network (skipping
    /// the network address, the gateway and the broadcast address).
    pub fn free_fixed_ip(&self, network_id: &str) -> Option<String> {
        use crate::model::network::{ipv4, parse_cidr};
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
