/*!
`os-networks` of a nova-network region: Nova's own fixed networks, whose
labels name a server's addresses. Nova answers it below 2.36 only.
*/

use cutover_core::microversion::Microversion;
use cutover_core::model::Network;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use super::services::id_text;
use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireNetwork {
    id: serde_json::Value,
    label: String,
    #[serde(default)]
    project_id: Option<String>,
}

impl RegionClient {
    /// nova-network's fixed networks (admin: all of them).
    pub async fn fixed_networks(&self) -> Result<Vec<Network>> {
        let version = self.compute_version(&[Microversion::new(2, 35), Microversion::new(2, 1)]);
        let call = Call::get(ServiceType::Compute, "os-networks").microversion("compute", version).key("networks");
        let wire: Vec<WireNetwork> = self.query(call).await?;
        Ok(wire
            .into_iter()
            .map(|n| Network {
                id: id_text(&n.id).into(),
                name: n.label,
                project_id: n.project_id.map(Into::into),
                external: false,
                shared: false,
            })
            .collect())
    }
}
