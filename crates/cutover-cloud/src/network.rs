/*!
Neutron networks, ports and floating IPs, every project's (as an admin
sees them); ports by id in batches, and a port's device (which server owns
it) changed.
*/

use cutover_core::id::PortId;
use cutover_core::model::{FloatingIp, Network, Port};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

/// Ids asked for in one listing (`?id=a&id=b...`), short of URL limits.
const IDS_PER_QUERY: usize = 50;

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

impl WirePort {
    fn into_model(self) -> Port {
        Port {
            id: self.id.into(),
            network_id: self.network_id.into(),
            project_id: self.project_id.into(),
            device_id: self.device_id,
            device_owner: self.device_owner,
            mac_address: self.mac_address,
            subnet_ids: self.fixed_ips.iter().map(|ip| ip.subnet_id.clone().into()).collect(),
            fixed_ips: self.fixed_ips.into_iter().map(|ip| ip.ip_address).collect(),
            security_group_ids: self.security_groups,
        }
    }
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
                id: n.id.into(),
                name: n.name,
                project_id: n.project_id.map(Into::into),
                external: n.external,
                shared: n.shared,
            })
            .collect())
    }

    /// Every port this user sees.
    pub async fn ports(&self) -> Result<Vec<Port>> {
        let wire: Vec<WirePort> = self.list(Call::get(ServiceType::Network, "ports").key("ports")).await?;
        Ok(wire.into_iter().map(WirePort::into_model).collect())
    }

    /// The ports with these ids (those that exist), a few listings for many.
    pub async fn ports_with_ids(&self, ids: &[PortId]) -> Result<Vec<Port>> {
        let mut ports = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let call =
                chunk.iter().fold(Call::get(ServiceType::Network, "ports"), |call, id| call.query("id", id.as_str()));
            let wire: Vec<WirePort> = self.list(call.key("ports")).await?;
            ports.extend(wire.into_iter().map(WirePort::into_model));
        }
        Ok(ports)
    }

    /// Sets which device owns the port (admin; `""` for none).
    pub async fn set_port_device(&self, id: &str, device_id: &str, device_owner: &str) -> Result<()> {
        let body = json!({"port": {"device_id": device_id, "device_owner": device_owner}});
        self.send(Call::put(ServiceType::Network, format!("ports/{}", segment(id)), &body)?).await
    }

    /// Gives the port to a server as Nova does at boot (admin): its
    /// device, its owner (`compute:<zone>`) and, when known, the host it
    /// runs on (`binding:host_id`: Neutron binds the port there).
    pub async fn claim_port(&self, id: &str, device_id: &str, device_owner: &str, host: Option<&str>) -> Result<()> {
        let mut port = json!({"device_id": device_id, "device_owner": device_owner});
        if let Some(host) = host {
            port["binding:host_id"] = json!(host);
        }
        self.send(Call::put(ServiceType::Network, format!("ports/{}", segment(id)), &json!({ "port": port }))?).await
    }

    /// Every floating IP this user sees, with the port it is on.
    pub async fn floating_ips(&self) -> Result<Vec<FloatingIp>> {
        let call = Call::get(ServiceType::Network, "floatingips").key("floatingips");
        let wire: Vec<WireFloatingIp> = self.list(call).await?;
        Ok(wire
            .into_iter()
            .map(|f| FloatingIp {
                id: f.id.into(),
                address: f.floating_ip_address,
                project_id: f.project_id.map(Into::into),
                port_id: f.port_id.map(Into::into),
            })
            .collect())
    }
}
