/*!
`servers/detail` of every project (admin): a summary of each server with
its host, flavor, image, volumes and addresses. Asked at 2.47 where offered,
so the flavor comes with its values and name at boot; below, by id.
*/

use std::collections::BTreeMap;

use cutover_core::microversion::Microversion;
use cutover_core::model::{Address, FlavorRef, FlavorSizes, ServerSummary};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireServer {
    id: String,
    name: String,
    tenant_id: String,
    user_id: String,
    status: String,
    #[serde(rename = "OS-EXT-SRV-ATTR:host", default)]
    host: Option<String>,
    flavor: WireFlavor,
    /// `""` for a server booted from a volume, else `{id, links}`.
    #[serde(default)]
    image: serde_json::Value,
    #[serde(rename = "os-extended-volumes:volumes_attached", default)]
    volumes: Vec<WireVolume>,
    #[serde(default)]
    addresses: BTreeMap<String, Vec<WireAddress>>,
}

#[derive(Deserialize)]
struct WireFlavor {
    id: Option<String>,
    original_name: Option<String>,
    vcpus: Option<u32>,
    ram: Option<u64>,
    disk: Option<u64>,
    ephemeral: Option<u64>,
    swap: Option<u64>,
    extra_specs: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct WireVolume {
    id: String,
}

#[derive(Deserialize)]
struct WireAddress {
    addr: String,
    #[serde(rename = "OS-EXT-IPS:type", default)]
    kind: Option<String>,
    #[serde(rename = "OS-EXT-IPS-MAC:mac_addr", default)]
    mac: Option<String>,
}

impl RegionClient {
    /// Every server of every project in the region, all pages.
    pub async fn servers(&self) -> Result<Vec<ServerSummary>> {
        let version = self.compute_version(&[Microversion::new(2, 47), Microversion::new(2, 1)]);
        let call = Call::get(ServiceType::Compute, "servers/detail")
            .query("all_tenants", "True")
            .microversion("compute", version)
            .key("servers");
        let wire: Vec<WireServer> = self.list(call).await?;
        Ok(wire.into_iter().map(summary).collect())
    }
}

fn summary(s: WireServer) -> ServerSummary {
    let f = s.flavor;
    let sizes = (|| {
        Some(FlavorSizes {
            vcpus: f.vcpus?,
            ram_mib: f.ram?,
            disk_gib: f.disk?,
            ephemeral_gib: f.ephemeral.unwrap_or(0),
            swap_mib: f.swap.unwrap_or(0),
        })
    })();
    let addresses = s
        .addresses
        .into_iter()
        .map(|(label, entries)| {
            let entries = entries
                .into_iter()
                .map(|a| Address { addr: a.addr, kind: a.kind.unwrap_or_else(|| "fixed".into()), mac: a.mac })
                .collect();
            (label, entries)
        })
        .collect();
    ServerSummary {
        id: s.id,
        name: s.name,
        project_id: s.tenant_id,
        user_id: s.user_id,
        host: s.host.filter(|h| !h.is_empty()),
        status: s.status,
        flavor: FlavorRef { id: f.id, original_name: f.original_name, sizes, extra_specs: f.extra_specs },
        image_id: s.image.get("id").and_then(|id| id.as_str()).filter(|id| !id.is_empty()).map(str::to_string),
        volume_ids: s.volumes.into_iter().map(|v| v.id).collect(),
        addresses,
    }
}
