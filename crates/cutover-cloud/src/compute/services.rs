/*!
`os-services` (admin): which Nova binaries run where, enabled or not, up or
down. Listed at 2.53 where offered (ids are UUIDs there), else at 2.1; a
service is deleted at the same version, by the id it was listed with.
*/

use cutover_core::microversion::Microversion;
use cutover_core::model::{ComputeService, ServiceState, ServiceStatus};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

#[derive(Deserialize)]
struct WireService {
    id: serde_json::Value,
    binary: String,
    host: String,
    #[serde(default)]
    zone: String,
    status: String,
    state: String,
    #[serde(default)]
    disabled_reason: Option<String>,
    #[serde(default)]
    forced_down: bool,
}

impl RegionClient {
    /// Every Nova service of the region.
    pub async fn compute_services(&self) -> Result<Vec<ComputeService>> {
        self.services_where(&[]).await
    }

    /// The `nova-compute` service of `host`, if Nova has one.
    pub async fn compute_service_of(&self, host: &str) -> Result<Option<ComputeService>> {
        let found = self.services_where(&[("binary", "nova-compute"), ("host", host)]).await?;
        // Nova filters exactly; the check keeps a looser API from handing back another host.
        Ok(found.into_iter().find(|s| s.host == host))
    }

    /// Deletes the service `id`, as [`RegionClient::compute_services`]
    /// listed it; `Ok(false)` when it was already gone. Nova refuses (409)
    /// a `nova-compute` whose host still has instances (from Rocky) or
    /// in-progress migrations (from Ussuri), and removes a deleted
    /// compute's host from its aggregates, its compute node and its
    /// resource provider.
    pub async fn delete_compute_service(&self, id: &str) -> Result<bool> {
        let call = Call::delete(ServiceType::Compute, format!("os-services/{}", segment(id)))
            .microversion("compute", self.services_version());
        match self.send(call).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The version services are read and deleted at: ids are UUIDs from
    /// 2.53, integers before, and a delete must name a service the way
    /// the list did.
    fn services_version(&self) -> Microversion {
        self.compute_version(&[Microversion::new(2, 53), Microversion::new(2, 1)])
    }

    async fn services_where(&self, filters: &[(&str, &str)]) -> Result<Vec<ComputeService>> {
        let mut call = Call::get(ServiceType::Compute, "os-services")
            .microversion("compute", self.services_version())
            .key("services");
        for (key, value) in filters {
            call = call.query(key, value);
        }
        let wire: Vec<WireService> = self.query(call).await?;
        wire.into_iter()
            .map(|s| {
                let id = id_text(&s.id);
                let state: ServiceState = self.parse_status("compute service", &id, &s.state)?;
                let status: ServiceStatus = self.parse_status("compute service", &id, &s.status)?;
                Ok(ComputeService {
                    id,
                    up: state == ServiceState::Up && !s.forced_down,
                    enabled: status == ServiceStatus::Enabled,
                    binary: s.binary,
                    host: s.host.into(),
                    zone: s.zone,
                    disabled_reason: s.disabled_reason,
                })
            })
            .collect()
    }
}

/// An id Nova sends as a number or a string, as text.
pub(crate) fn id_text(id: &serde_json::Value) -> String {
    match id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
