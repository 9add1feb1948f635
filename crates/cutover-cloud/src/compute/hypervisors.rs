/*!
`os-hypervisors/detail` (admin): each compute node with its resources and
their use. Asked at 2.53 where offered (UUID ids, paged), never above 2.87:
2.88 dropped the resource figures capacity checks need.
*/

use cutover_core::microversion::Microversion;
use cutover_core::model::{Hypervisor, HypervisorResources, ServiceState, ServiceStatus};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use super::services::id_text;
use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireHypervisor {
    id: serde_json::Value,
    hypervisor_hostname: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    status: String,
    vcpus: Option<u64>,
    vcpus_used: Option<u64>,
    memory_mb: Option<u64>,
    memory_mb_used: Option<u64>,
    local_gb: Option<u64>,
    local_gb_used: Option<u64>,
    running_vms: Option<u64>,
    #[serde(default)]
    service: Option<WireHypervisorService>,
}

#[derive(Deserialize)]
struct WireHypervisorService {
    #[serde(default)]
    host: Option<String>,
}

impl RegionClient {
    /// Every hypervisor of the region, with resources where Nova shows them.
    pub async fn hypervisors(&self) -> Result<Vec<Hypervisor>> {
        let wanted = [Microversion::new(2, 53), Microversion::new(2, 33), Microversion::new(2, 1)];
        let version = self.compute_version(&wanted);
        let call = Call::get(ServiceType::Compute, "os-hypervisors/detail")
            .microversion("compute", version)
            .key("hypervisors");
        let wire: Vec<WireHypervisor> = self.list(call).await?;
        wire.into_iter()
            .map(|h| {
                let id = id_text(&h.id);
                // Absent (an answer without them) reads as neither up nor
                // enabled, as before; present, they must be Nova's values.
                let state =
                    present(&h.state).map(|t| self.parse_status::<ServiceState>("hypervisor", &id, t)).transpose()?;
                let status =
                    present(&h.status).map(|t| self.parse_status::<ServiceStatus>("hypervisor", &id, t)).transpose()?;
                let resources = (|| {
                    Some(HypervisorResources {
                        vcpus: h.vcpus?,
                        vcpus_used: h.vcpus_used?,
                        memory_mib: h.memory_mb?,
                        memory_mib_used: h.memory_mb_used?,
                        local_gib: h.local_gb?,
                        local_gib_used: h.local_gb_used?,
                        running_vms: h.running_vms.unwrap_or(0),
                    })
                })();
                Ok(Hypervisor {
                    id,
                    hostname: h.hypervisor_hostname.into(),
                    service_host: h.service.and_then(|s| s.host).map(Into::into),
                    up: state == Some(ServiceState::Up),
                    enabled: status == Some(ServiceStatus::Enabled),
                    resources,
                })
            })
            .collect()
    }
}

/// A field an answer may leave out (read as empty), when it is there.
fn present(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}
