/*!
What a move watches of servers: status, task state, fault, metadata, tags
and the attached volumes' `delete_on_termination`, for every server of a
region in one paged `servers/detail?all_tenants` (admin). Asked at 2.47
where offered (tags need 2.26, `delete_on_termination` 2.3); never at
2.69+, where servers of a down cell come back with their fields missing.
*/

use std::collections::BTreeMap;

use cutover_core::id::{HostName, ProjectId, ServerId, VolumeId};
use cutover_core::microversion::Microversion;
use cutover_core::model::ServerStatus;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

/// One server as a move watches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedServer {
    pub id: ServerId,
    pub name: String,
    pub project_id: ProjectId,
    pub status: ServerStatus,
    pub task_state: Option<String>,
    /// The compute host it is on (admin only; `None` while unscheduled).
    pub host: Option<HostName>,
    /// The fault message of a server in `ERROR`.
    pub fault: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Attached volumes and their `delete_on_termination` (`None` below 2.3).
    pub volumes: Vec<(VolumeId, Option<bool>)>,
    /// Its tags; `None` where the region shows none (below 2.26).
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct WireServer {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tenant_id: String,
    status: String,
    #[serde(rename = "OS-EXT-STS:task_state", default)]
    task_state: Option<String>,
    #[serde(rename = "OS-EXT-SRV-ATTR:host", default)]
    host: Option<String>,
    #[serde(default)]
    fault: Option<WireFault>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    #[serde(rename = "os-extended-volumes:volumes_attached", default)]
    volumes: Vec<WireVolume>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// Where a server runs: its compute host and availability zone (admin).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerPlace {
    #[serde(rename = "OS-EXT-SRV-ATTR:host", default)]
    pub host: Option<String>,
    #[serde(rename = "OS-EXT-AZ:availability_zone", default)]
    pub zone: Option<String>,
}

#[derive(Deserialize)]
struct WireFault {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct WireVolume {
    id: String,
    #[serde(default)]
    delete_on_termination: Option<bool>,
}

impl RegionClient {
    fn watched(&self, s: WireServer) -> Result<WatchedServer> {
        Ok(WatchedServer {
            status: self.parse_status("server", &s.id, &s.status)?,
            id: s.id.into(),
            name: s.name,
            project_id: s.tenant_id.into(),
            task_state: s.task_state.filter(|t| !t.is_empty()),
            host: s.host.filter(|h| !h.is_empty()).map(Into::into),
            fault: s.fault.and_then(|f| f.message),
            metadata: s.metadata,
            volumes: s.volumes.into_iter().map(|v| (v.id.into(), v.delete_on_termination)).collect(),
            tags: s.tags,
        })
    }

    /// Every server of every project, or with `filters` (Nova's own:
    /// `project_id`, `name` as a regex, `host`, `changes-since`, ...).
    pub async fn server_statuses(&self, filters: &[(&str, &str)]) -> Result<Vec<WatchedServer>> {
        // 2.26 shows tags, which a region below 2.52 cannot take at boot.
        let wanted = [Microversion::new(2, 47), Microversion::new(2, 26), Microversion::new(2, 3)];
        let version = self.compute_version(&wanted);
        let mut call = Call::get(ServiceType::Compute, "servers/detail")
            .query("all_tenants", "True")
            .microversion("compute", version)
            .key("servers");
        for (key, value) in filters {
            call = call.query(key, value);
        }
        let wire: Vec<WireServer> = self.list(call).await?;
        wire.into_iter().map(|s| self.watched(s)).collect()
    }

    /// Where server `id` runs; `None` when it does not exist (404).
    pub async fn server_place(&self, id: &str) -> Result<Option<ServerPlace>> {
        let call = Call::get(ServiceType::Compute, format!("servers/{}", segment(id))).key("server");
        match self.query::<ServerPlace, _>(call).await {
            Ok(place) => Ok(Some(ServerPlace {
                host: place.host.filter(|h| !h.is_empty()),
                zone: place.zone.filter(|z| !z.is_empty()),
            })),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether server `id` exists (a deleted one answers 404).
    pub async fn server_exists(&self, id: &str) -> Result<bool> {
        match self.send(Call::get(ServiceType::Compute, format!("servers/{}", segment(id)))).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// `text` as a regex matching itself alone (Nova's `name` filter is a regex).
pub fn exact_name_regex(text: &str) -> String {
    let mut out = String::from("^");
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}
