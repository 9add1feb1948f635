/*!
Keystone projects and the users holding roles on them: what sync walks to
find every project's (and user's) Nova resources. Keystone is shared, so
either region's connection reads the same answer.
*/

use std::collections::BTreeMap;

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
    #[serde(default)]
    domain_id: String,
}

#[derive(Deserialize)]
struct WireAssignment {
    /// Absent for a group's assignment.
    user: Option<WireUser>,
    scope: WireScope,
}

#[derive(Deserialize)]
struct WireScope {
    project: Option<WireId>,
}

#[derive(Deserialize)]
struct WireUser {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct WireId {
    id: String,
}

impl RegionClient {
    /// Every project of the cloud, each with the users that have a role
    /// directly on it (one listing of all role assignments, not one per
    /// project). Needs an admin token.
    pub async fn projects(&self) -> Result<Vec<Project>> {
        let wire: Vec<WireProject> = self.query(Call::get(ServiceType::Identity, "projects").key("projects")).await?;
        let assignments: Vec<WireAssignment> = self
            .query(
                Call::get(ServiceType::Identity, "role_assignments")
                    .query("include_names", "true")
                    .key("role_assignments"),
            )
            .await?;
        let mut projects: BTreeMap<String, Project> = wire
            .into_iter()
            .map(|p| {
                let project = Project {
                    id: p.id.clone().into(),
                    name: p.name,
                    domain_id: p.domain_id,
                    users: Default::default(),
                };
                (p.id, project)
            })
            .collect();
        for a in assignments {
            if let (Some(user), Some(scope)) = (a.user, a.scope.project) {
                if let Some(project) = projects.get_mut(&scope.id) {
                    project.users.insert(user.id, user.name);
                }
            }
        }
        Ok(projects.into_values().collect())
    }
}
