/*!
Taking a compute service out of scheduling: `PUT os-services/{id}` with
`status: disabled` and a reason at 2.53+ (services by UUID), else the
older `PUT os-services/disable-log-reason` naming host and binary; and
back in (`status: enabled`, or `PUT os-services/enable`). Nova keeps no
reason on an enabled service (2.53 refuses one with 400).
*/

use cutover_core::microversion::Microversion;
use openstack_sdk::types::ServiceType;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

/// Services addressed by UUID.
pub const SERVICES_BY_ID: Microversion = Microversion::new(2, 53);

impl RegionClient {
    /// Disables the service `id` (2.53+) or `binary` on `host` (below),
    /// recording `reason`.
    pub async fn disable_service(&self, id: &str, host: &str, binary: &str, reason: &str) -> Result<()> {
        let call = if self.compute_versions().offers(SERVICES_BY_ID) {
            Call::put(
                ServiceType::Compute,
                format!("os-services/{}", segment(id)),
                &json!({"status": "disabled", "disabled_reason": reason}),
            )?
            .microversion("compute", SERVICES_BY_ID)
        } else {
            Call::put(
                ServiceType::Compute,
                "os-services/disable-log-reason",
                &json!({"host": host, "binary": binary, "disabled_reason": reason}),
            )?
            .microversion("compute", Microversion::new(2, 1))
        };
        self.send(call).await
    }

    /// Enables the service `id` (2.53+) or `binary` on `host` (below).
    pub async fn enable_service(&self, id: &str, host: &str, binary: &str) -> Result<()> {
        let call = if self.compute_versions().offers(SERVICES_BY_ID) {
            Call::put(ServiceType::Compute, format!("os-services/{}", segment(id)), &json!({"status": "enabled"}))?
                .microversion("compute", SERVICES_BY_ID)
        } else {
            Call::put(ServiceType::Compute, "os-services/enable", &json!({"host": host, "binary": binary}))?
                .microversion("compute", Microversion::new(2, 1))
        };
        self.send(call).await
    }
}
