/*!
nova-network's records in a region without Neutron: fixed networks and
floating IPs, and the bulk ranges floating IPs are created from. The
region's methods over them are on `ComputeRegion`, in the parent.
*/

use serde::Serialize;

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
