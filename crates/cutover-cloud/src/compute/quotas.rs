/*!
Nova quotas (`os-quota-sets`): a project's limits, or one user's in it,
read at the highest microversion the region offers up to 2.57 (so the keys
shown are the ones the region takes), and set key by key.
*/

use std::collections::BTreeMap;

use cutover_core::microversion::Microversion;
use cutover_core::model::QuotaSet;
use openstack_sdk::types::ServiceType;
use serde_json::{json, Value};

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

/// 2.36 drops the nova-network keys, 2.57 the injected-file ones: the
/// shape of the answer changes there and nowhere else.
const QUOTA_VERSIONS: [Microversion; 3] = [Microversion::new(2, 57), Microversion::new(2, 36), Microversion::new(2, 1)];

impl RegionClient {
    /// The limits in force for `project` (its own settings over the
    /// defaults), or for `user` in it.
    pub async fn quota_set(&self, project: &str, user: Option<&str>) -> Result<QuotaSet> {
        let version = self.compute_version(&QUOTA_VERSIONS);
        let mut call = Call::get(ServiceType::Compute, format!("os-quota-sets/{}", segment(project)))
            .microversion("compute", version)
            .key("quota_set");
        if let Some(user) = user {
            call = call.query("user_id", user);
        }
        let wire: BTreeMap<String, Value> = self.query(call).await?;
        // `id` and anything not a number (a Nova extension's) is no limit.
        let limits = wire.into_iter().filter_map(|(k, v)| v.as_i64().map(|n| (k, n))).collect();
        Ok(QuotaSet { project_id: project.into(), user_id: user.map(Into::into), limits })
    }

    /// The limit and use of each quota of `project` (`os-quota-sets/{id}/detail`):
    /// `(limit, in_use)`, -1 being no limit. Reserved counts go with use.
    pub async fn quota_usage(&self, project: &str) -> Result<BTreeMap<String, (i64, i64)>> {
        let version = self.compute_version(&QUOTA_VERSIONS);
        let call = Call::get(ServiceType::Compute, format!("os-quota-sets/{}/detail", segment(project)))
            .microversion("compute", version)
            .key("quota_set");
        let wire: BTreeMap<String, Value> = self.query(call).await?;
        let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64).unwrap_or(0);
        Ok(wire
            .into_iter()
            .filter(|(_, v)| v.is_object())
            .map(|(k, v)| {
                let used = number(&v, "in_use") + number(&v, "reserved");
                (k, (v.get("limit").and_then(Value::as_i64).unwrap_or(-1), used))
            })
            .collect())
    }

    /// Sets these limits for `project`, or for `user` in it. Nova checks
    /// each against use and the project's other users' settings.
    pub async fn set_quotas(&self, project: &str, user: Option<&str>, limits: &BTreeMap<String, i64>) -> Result<()> {
        let version = self.compute_version(&QUOTA_VERSIONS);
        let path = format!("os-quota-sets/{}", segment(project));
        let mut call =
            Call::put(ServiceType::Compute, path, &json!({ "quota_set": limits }))?.microversion("compute", version);
        if let Some(user) = user {
            call = call.query("user_id", user);
        }
        self.send(call).await
    }
}
