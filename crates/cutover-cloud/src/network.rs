/*!
Neutron networks, ports and floating IPs, every project's (as an admin
sees them).
*/

use cutover_core::model::{FloatingIp, Network, Port};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireNetwork {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(rename = "router:external", default)]
    external: bool,
    #[serde(default)]
    shared: bool,
}

#[derive(Deserialize)]
struct WirePort {
    id: String,
    network_id: String,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    device_owner: String,
    #[serde(default)]
    mac_address: String,
    #[serde(default)]
    fixed_ips: Vec<WireFixedIp>,
    #[serde(default)]
    security_groups: Vec<String>,
}

#[derive(Deserialize)]
struct WireFixedIp {
    ip_address: String,
    #[serde(default)]
    subnet_id: String,
}

#[derive(Deserialize)]
struct WireFloatingIp {
    id: String,
    floating_ip_address: String,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    port_id: Option<String>,
}

impl RegionClient {
    /// Every network this user sees.
    pub async fn networks(&self) -> Result<Vec<Network>> {
        let wire: Vec<WireNetwork> = self.list(Call::get(ServiceType::Network, "networks").key("networks")).await?;
        Ok(wire
            .into_iter()
            .map(|n| Network {
                id: n.id,
                name: n.name,
                project_id: n.project_id,
                external: n.external,
                shared: n.shared,
            })
            .collect())
    }

    /// Every port this user sees.
    pub async fn ports(&self) -> Result<Vec<Port>> {
        let wire: Vec<WirePort> = self.list(Call::get(ServiceType::Network, "ports").key("ports")).await?;
        Ok(wire
            .into_iter()
            .map(|p| Port {
                id: p.id,
                network_id: p.network_id,
                project_id: p.project_id,
                device_id: p.device_id,
                device_owner: p.device_owner,
                mac_address: p.mac_address,
                subnet_ids: p.fixed_ips.iter().map(|ip| ip.subnet_id.clone()).collect(),
                fixed_ips: p.fixed_ips.into_iter().map(|ip| ip.ip_address).collect(),
                security_group_ids: p.security_groups,
            })
            .collect())
    }

    /// Every floating IP this user sees, with the port it is on.
    pub async fn floating_ips(&self) -> Result<Vec<FloatingIp>> {
        let call = Call::get(ServiceType::Network, "floatingips").key("floatingips");
        let wire: Vec<WireFloatingIp> = self.list(call).await?;
        Ok(wire
            .into_iter()
            .map(|f| FloatingIp {
                id: f.id,
                address: f.floating_ip_address,
                project_id: f.project_id,
                port_id: f.port_id,
            })
            .collect())
    }

    /// A cheap read that shows Neutron answers through this region's endpoint.
    pub async fn probe_network(&self) -> Result<()> {
        self.send(Call::get(ServiceType::Network, "networks").query("limit", 1)).await
    }
}
