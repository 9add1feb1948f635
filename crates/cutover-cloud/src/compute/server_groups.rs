/*!
Server groups: every project's listed by an admin (`all_projects`), owners
named from 2.13; created only in the token's project (see
[`crate::scoped`]), with `policy` and `rules` from 2.64 and a `policies`
list below.
*/

use std::collections::BTreeMap;

use cutover_core::id::ServerId;
use cutover_core::microversion::Microversion;
use cutover_core::model::ServerGroup;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

/// `project_id` and `user_id` in the body.
pub const GROUP_OWNERS: Microversion = Microversion::new(2, 13);
/// `policy` and `rules` instead of `policies`.
pub const GROUP_RULES: Microversion = Microversion::new(2, 64);
/// The soft policies.
pub const GROUP_SOFT_POLICIES: Microversion = Microversion::new(2, 15);

#[derive(Deserialize)]
struct WireGroup {
    id: String,
    name: String,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    rules: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    members: Vec<ServerId>,
}

impl WireGroup {
    fn into_model(self) -> ServerGroup {
        // Nova has sent `max_server_per_host` as a number and as a string.
        let max = self.rules.get("max_server_per_host").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        ServerGroup {
            policy: self.policy.or_else(|| self.policies.into_iter().next()).unwrap_or_default(),
            id: self.id.into(),
            name: self.name,
            project_id: self.project_id.map(Into::into),
            user_id: self.user_id.map(Into::into),
            max_server_per_host: max,
            members: self.members,
        }
    }
}

impl RegionClient {
    /// Every project's server groups (admin), at the best of 2.64, 2.13, 2.1:
    /// below 2.13 their owners are `None`.
    pub async fn server_groups(&self) -> Result<Vec<ServerGroup>> {
        let version = self.compute_version(&[GROUP_RULES, GROUP_OWNERS]);
        let call = Call::get(ServiceType::Compute, "os-server-groups")
            .query("all_projects", "True")
            .microversion("compute", version)
            .key("server_groups");
        let wire: Vec<WireGroup> = self.query(call).await?;
        Ok(wire.into_iter().map(WireGroup::into_model).collect())
    }

    /// Creates a group like `group` in the token's project, at the best of
    /// 2.64 and 2.15; returns it as created (with its new id).
    pub async fn create_server_group(&self, group: &ServerGroup) -> Result<ServerGroup> {
        let version = self.compute_version(&[GROUP_RULES, GROUP_SOFT_POLICIES]);
        let body = if version >= GROUP_RULES {
            let mut g = json!({"name": group.name, "policy": group.policy});
            if let Some(max) = group.max_server_per_host {
                g["rules"] = json!({"max_server_per_host": max});
            }
            g
        } else {
            json!({"name": group.name, "policies": [group.policy]})
        };
        let call = Call::post(ServiceType::Compute, "os-server-groups", &json!({"server_group": body}))?
            .microversion("compute", version)
            .key("server_group");
        let created: WireGroup = self.query(call).await?;
        Ok(created.into_model())
    }
}
