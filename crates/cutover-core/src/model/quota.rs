/*!
Nova quotas of one project, or of one user in it: limits by Nova's quota
name (`instances`, `cores`, `ram`, ...), -1 meaning unlimited.
*/

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::{ProjectId, UserId};

/// The limits Nova shows for a project, or for a user in it. Only the keys
/// the region shows at the microversion it was read with are present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaSet {
    pub project_id: ProjectId,
    /// Set for a user's own quotas (`?user_id=`).
    pub user_id: Option<UserId>,
    pub limits: BTreeMap<String, i64>,
}
