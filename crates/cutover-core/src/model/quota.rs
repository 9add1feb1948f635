/*!
Nova quotas of one project, or of one user in it: limits by Nova's quota
name (`instances`, `cores`, `ram`, ...), -1 meaning unlimited.
*/

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The limits Nova shows for a project, or for a user in it. Only the keys
/// the region shows at the microversion it was read with are present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaSet {
    pub project_id: String,
    /// Set for a user's own quotas (`?user_id=`).
    pub user_id: Option<String>,
    pub limits: BTreeMap<String, i64>,
}
