/*!
A Keystone project, and the users with a role on it: shared by both
regions, so its id is the same on both sides.
*/

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::ProjectId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub domain_id: String,
    /// Users with any role directly on the project (not through a group):
    /// id -> name.
    pub users: BTreeMap<String, String>,
}
