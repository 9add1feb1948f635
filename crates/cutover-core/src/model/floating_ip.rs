/*!
A nova-network floating IP as the admin's bulk listing shows it: an
address of a pool, free or allocated to a project.
*/

use serde::{Deserialize, Serialize};

use crate::id::{ProjectId, ServerId};

/// One address of a nova-network floating IP pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolAddress {
    pub address: String,
    pub pool: String,
    /// The host interface Nova plumbs the address on.
    pub interface: String,
    /// The project holding it; `None` when free.
    pub project_id: Option<ProjectId>,
    /// The server it is associated with, if any.
    pub instance_id: Option<ServerId>,
}
