/*!
What a Nova region reports about itself: its services (`os-services`) and
hypervisors, read at 2.53 where offered (service and hypervisor ids are
UUIDs from there) and at 2.1 otherwise; the fields used are in both.
*/

use cutover_core::microversion::Microversion;
use cutover_core::model::{ComputeService, Hypervisor};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

const VERSIONS: [Microversion; 2] = [Microversion::new(2, 53), Microversion::new(2, 1)];

/// Hypervisor lists are paged (`limit`, `marker`, `hypervisors_links`) from 2.33.
const PAGED_HYPERVISORS: Microversion = Microversion::new(2, 33);

#[derive(Deserialize)]
struct WireService {
    id: serde_json::Value,
    binary: String,
    host: String,
    #[serde(default)]
    zone: Option<String>,
    status: String,
    state: String,
    #[serde(default)]
    disabled_reason: Option<String>,
    /// From 2.11; a forced-down service already reports `state: down`.
    #[serde(default)]
    forced_down: bool,
}

#[derive(Deserialize)]
struct WireHypervisor {
    id: serde_json::Value,
    hypervisor_hostname: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    service: Option<WireHypervisorService>,
}

#[derive(Deserialize)]
struct WireHypervisorService {
    #[serde(default)]
    host: Option<String>,
}

/// An id that is a number before 2.53 and a string from it.
fn id_text(id: serde_json::Value) -> String {
    match id {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

impl RegionClient {
    /// Every service of the region: control services and one
    /// `nova-compute` per host. A region without a compute endpoint is an
    /// [`crate::Error::NoEndpoint`].
    pub async fn compute_services(&self) -> Result<Vec<ComputeService>> {
        self.require_service(&ServiceType::Compute)?;
        let version = self.compute_version(&VERSIONS);
        let call = Call::get(ServiceType::Compute, "os-services").microversion("compute", version).key("services");
        let wire: Vec<WireService> = self.query(call).await?;
        Ok(wire
            .into_iter()
            .map(|s| ComputeService {
                id: id_text(s.id),
                up: s.state == "up" && !s.forced_down,
                enabled: s.status == "enabled",
                binary: s.binary,
                host: s.host,
                zone: s.zone.unwrap_or_default(),
                disabled_reason: s.disabled_reason,
            })
            .collect())
    }

    /// Every hypervisor of the region, with the host of its `nova-compute`.
    pub async fn hypervisors(&self) -> Result<Vec<Hypervisor>> {
        let version = self.compute_version(&VERSIONS);
        let call = Call::get(ServiceType::Compute, "os-hypervisors/detail")
            .microversion("compute", version)
            .key("hypervisors");
        let wire: Vec<WireHypervisor> =
            if version >= PAGED_HYPERVISORS { self.list(call).await? } else { self.query(call).await? };
        Ok(wire
            .into_iter()
            .map(|h| Hypervisor {
                id: id_text(h.id),
                service_host: h.service.and_then(|s| s.host),
                up: h.state.as_deref() == Some("up"),
                enabled: h.status.as_deref() == Some("enabled"),
                hostname: h.hypervisor_hostname,
            })
            .collect())
    }
}
