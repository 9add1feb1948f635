/*!
The Keystone calls cutover's ownership handling needs besides
[`super::projects`]: users, roles by name, role implication rules, and
grants of a role to a user on a project.
*/

use cutover_core::model::User;
use http::Method;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

#[derive(Deserialize)]
struct WireUser {
    id: String,
    name: String,
    #[serde(default)]
    domain_id: String,
}

/// A Keystone role: its id and name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Role {
    pub id: String,
    pub name: String,
}

#[derive(Deserialize)]
struct WireAssignment {
    scope: WireScope,
}

#[derive(Deserialize)]
struct WireScope {
    project: Option<WireId>,
}

#[derive(Deserialize)]
struct WireId {
    id: String,
}

fn grant_path(project_id: &str, user_id: &str, role_id: &str) -> String {
    format!("projects/{}/users/{}/roles/{}", segment(project_id), segment(user_id), segment(role_id))
}

impl RegionClient {
    /// Every Keystone user (every domain, for a cloud admin).
    pub async fn users(&self) -> Result<Vec<User>> {
        let wire: Vec<WireUser> = self.query(Call::get(ServiceType::Identity, "users").key("users")).await?;
        Ok(wire.into_iter().map(|u| User { id: u.id.into(), name: u.name, domain_id: u.domain_id }).collect())
    }

    /// The global role called `name`, if there is one.
    pub async fn role_named(&self, name: &str) -> Result<Option<Role>> {
        let call = Call::get(ServiceType::Identity, "roles").query("name", name).key("roles");
        let roles: Vec<Role> = self.query(call).await?;
        Ok(roles.into_iter().find(|r| r.name == name))
    }

    /// Creates the global role `name`.
    pub async fn create_role(&self, name: &str) -> Result<Role> {
        let call = Call::post(ServiceType::Identity, "roles", &json!({"role": {"name": name}}))?.key("role");
        self.query(call).await
    }

    /// Whether `prior` implies `implied` (Keystone's implied roles).
    pub async fn role_implies(&self, prior: &str, implied: &str) -> Result<bool> {
        let call = Call::get(ServiceType::Identity, format!("roles/{}/implies/{}", segment(prior), segment(implied)));
        match self.send(call).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Makes `prior` imply `implied`; a rule already there is fine.
    pub async fn add_role_implication(&self, prior: &str, implied: &str) -> Result<()> {
        let path = format!("roles/{}/implies/{}", segment(prior), segment(implied));
        match self.send(Call::new(Method::PUT, ServiceType::Identity, path)).await {
            Err(e) if e.is_conflict() => Ok(()),
            other => other,
        }
    }

    /// Grants `role_id` to the user on the project (idempotent in Keystone).
    pub async fn grant_project_role(&self, project_id: &str, user_id: &str, role_id: &str) -> Result<()> {
        let path = grant_path(project_id, user_id, role_id);
        self.send(Call::new(Method::PUT, ServiceType::Identity, path)).await
    }

    /// Revokes the grant; one that is already gone is fine.
    pub async fn revoke_project_role(&self, project_id: &str, user_id: &str, role_id: &str) -> Result<()> {
        let path = grant_path(project_id, user_id, role_id);
        match self.send(Call::delete(ServiceType::Identity, path)).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// The projects on which the user holds `role_id` directly.
    pub async fn projects_with_role(&self, user_id: &str, role_id: &str) -> Result<Vec<String>> {
        let call = Call::get(ServiceType::Identity, "role_assignments")
            .query("user.id", user_id)
            .query("role.id", role_id)
            .key("role_assignments");
        let wire: Vec<WireAssignment> = self.query(call).await?;
        let mut projects: Vec<String> = wire.into_iter().filter_map(|a| a.scope.project.map(|p| p.id)).collect();
        projects.sort();
        projects.dedup();
        Ok(projects)
    }
}
