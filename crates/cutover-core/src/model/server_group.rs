/*!
A server group: a project's affinity or anti-affinity policy for its
members. Found across regions by project and name, as its id cannot be kept.
*/

use serde::{Deserialize, Serialize};

use crate::id::{ProjectId, ServerGroupId, ServerId, UserId};

/// A Nova server group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerGroup {
    pub id: ServerGroupId,
    pub name: String,
    /// `None` where the Nova is below 2.13 and does not say.
    pub project_id: Option<ProjectId>,
    pub user_id: Option<UserId>,
    /// `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`.
    pub policy: String,
    /// Nova's one rule (2.64+, anti-affinity only).
    pub max_server_per_host: Option<u64>,
    /// Ids of the member servers.
    pub members: Vec<ServerId>,
}
