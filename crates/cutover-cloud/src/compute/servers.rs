/*!
`servers/detail` of every project (admin): a summary of each server with
its host, flavor, image, volumes and addresses. Asked at 2.47 where offered,
so the flavor comes with its values and name at boot; below, by id. The
wire shape is shared with [`super::server_records`], which reads more of it.
*/

use std::collections::BTreeMap;

use cutover_core::microversion::Microversion;
use cutover_core::model::{Address, FlavorRef, FlavorSizes, ServerStatus, ServerSummary};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

/// One page of `servers/detail`.
#[derive(Deserialize)]
struct ServersPage {
    servers: Vec<WireServer>,
    #[serde(default)]
    servers_links: Vec<PageLink>,
}

#[derive(Deserialize)]
struct PageLink {
    rel: String,
}

#[derive(Deserialize)]
pub(super) struct WireServer {
    pub id: String,
    pub name: String,
    pub tenant_id: String,
    pub user_id: String,
    pub status: String,
    #[serde(rename = "OS-EXT-SRV-ATTR:host", default)]
    pub host: Option<String>,
    pub flavor: WireFlavor,
    /// `""` for a server booted from a volume, else `{id, links}`.
    #[serde(default)]
    pub image: serde_json::Value,
    #[serde(rename = "os-extended-volumes:volumes_attached", default)]
    pub volumes: Vec<WireVolume>,
    /// In Nova's order (the order of the server's interfaces).
    #[serde(default, deserialize_with = "ordered_addresses")]
    pub addresses: Vec<(String, Vec<WireAddress>)>,
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// 2.26+.
    #[serde(default)]
    pub tags: Vec<String>,
    /// 2.19+.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "OS-EXT-AZ:availability_zone", default)]
    pub availability_zone: Option<String>,
    /// `"True"` or `""` (a bool in some releases).
    #[serde(default)]
    pub config_drive: serde_json::Value,
    /// Absent when the server has none.
    #[serde(default)]
    pub security_groups: Vec<WireGroupName>,
    /// Admin, 2.3+.
    #[serde(rename = "OS-EXT-SRV-ATTR:user_data", default)]
    pub user_data: Option<String>,
    /// Admin, 2.3+.
    #[serde(rename = "OS-EXT-SRV-ATTR:root_device_name", default)]
    pub root_device_name: Option<String>,
    #[serde(rename = "OS-EXT-STS:task_state", default)]
    pub task_state: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WireFlavor {
    pub id: Option<String>,
    pub original_name: Option<String>,
    pub vcpus: Option<u32>,
    pub ram: Option<u64>,
    pub disk: Option<u64>,
    pub ephemeral: Option<u64>,
    pub swap: Option<u64>,
    pub extra_specs: Option<BTreeMap<String, String>>,
}

impl WireFlavor {
    /// The sizes embedded from 2.47.
    pub fn sizes(&self) -> Option<FlavorSizes> {
        Some(FlavorSizes {
            vcpus: self.vcpus?,
            ram_mib: self.ram?,
            disk_gib: self.disk?,
            ephemeral_gib: self.ephemeral.unwrap_or(0),
            swap_mib: self.swap.unwrap_or(0),
        })
    }
}

#[derive(Deserialize)]
pub(super) struct WireVolume {
    pub id: String,
    /// 2.3+.
    #[serde(default)]
    pub delete_on_termination: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct WireAddress {
    pub addr: String,
    #[serde(rename = "OS-EXT-IPS:type", default)]
    pub kind: Option<String>,
    #[serde(rename = "OS-EXT-IPS-MAC:mac_addr", default)]
    pub mac: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WireGroupName {
    pub name: String,
}

/// `addresses` as a list of (label, entries) in the body's order, which a
/// map would lose.
fn ordered_addresses<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<WireAddress>)>, D::Error> {
    struct Ordered;
    impl<'de> serde::de::Visitor<'de> for Ordered {
        type Value = Vec<(String, Vec<WireAddress>)>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of network labels to addresses")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Ordered)
}

impl RegionClient {
    /// Every server of every project in the region, all pages.
    pub async fn servers(&self) -> Result<Vec<ServerSummary>> {
        let version = self.compute_version(&[Microversion::new(2, 47), Microversion::new(2, 1)]);
        let wire = self.server_details(version).await?;
        Ok(wire.into_iter().map(summary).collect())
    }

    /// `servers/detail` of every project at `version`, all pages, each
    /// server with its status parsed.
    pub(super) async fn server_details(&self, version: Microversion) -> Result<Vec<(ServerStatus, WireServer)>> {
        let call = Call::get(ServiceType::Compute, "servers/detail")
            .query("all_tenants", "True")
            .microversion("compute", version);
        let mut servers = Vec::new();
        self.nova_pages(call, |page: ServersPage| {
            // Nova links a next page while a page is full.
            let next = page.servers_links.iter().any(|l| l.rel == "next");
            let last = page.servers.last().map(|s| s.id.clone());
            for s in page.servers {
                servers.push((self.parse_status("server", &s.id, &s.status)?, s));
            }
            Ok(last.filter(|_| next))
        })
        .await?;
        Ok(servers)
    }
}

fn summary((status, s): (ServerStatus, WireServer)) -> ServerSummary {
    let sizes = s.flavor.sizes();
    let f = s.flavor;
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
        id: s.id.into(),
        name: s.name,
        project_id: s.tenant_id.into(),
        user_id: s.user_id.into(),
        host: s.host.filter(|h| !h.is_empty()).map(Into::into),
        status,
        flavor: FlavorRef {
            id: f.id.map(Into::into),
            original_name: f.original_name,
            sizes,
            extra_specs: f.extra_specs,
        },
        image_id: s.image.get("id").and_then(|id| id.as_str()).filter(|id| !id.is_empty()).map(Into::into),
        volume_ids: s.volumes.into_iter().map(|v| v.id.into()).collect(),
        addresses,
        availability_zone: s.availability_zone.filter(|z| !z.is_empty()),
    }
}
