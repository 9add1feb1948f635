/*!
Keystone reads beyond authentication: the projects, to name owners in
reports.
*/

use cutover_core::model::Project;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireProject {
    id: String,
    name: String,
}

impl RegionClient {
    /// Every project (admin).
    pub async fn projects(&self) -> Result<Vec<Project>> {
        let wire: Vec<WireProject> = self.list(Call::get(ServiceType::Identity, "projects").key("projects")).await?;
        Ok(wire.into_iter().map(|p| Project { id: p.id, name: p.name }).collect())
    }
}
