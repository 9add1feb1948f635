/*!
`os-services` (admin): which Nova binaries run where, enabled or not, up or
down. Listed at 2.53 where offered (ids are UUIDs there), else at 2.1.
*/

use cutover_core::microversion::Microversion;
use cutover_core::model::ComputeService;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

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
        let version = self.compute_version(&[Microversion::new(2, 53), Microversion::new(2, 1)]);
        let call = Call::get(ServiceType::Compute, "os-services").microversion("compute", version).key("services");
        let wire: Vec<WireService> = self.query(call).await?;
        Ok(wire
            .into_iter()
            .map(|s| ComputeService {
                id: id_text(&s.id),
                up: s.state == "up" && !s.forced_down,
                enabled: s.status == "enabled",
                binary: s.binary,
                host: s.host,
                zone: s.zone,
                disabled_reason: s.disabled_reason,
            })
            .collect())
    }
}

/// An id Nova sends as a number or a string, as text.
pub(crate) fn id_text(id: &serde_json::Value) -> String {
    match id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
