/*!
The [`Driver`] on OpenStack, through `cutover-cloud`: one admin connection
per region, and project-scoped connections for what Nova gives to the
token's project (a booted server).

- `driver`: [`OpenStackDriver`], both regions' connections; `errors`,
  what a failed call is to the engine.
- [`observe`]: the batched observation, one listing per region and kind.
- [`execute`]: each action, safe to repeat.
- [`boot`]: the rebuild's boot request, found first by its metadata.
- [`grants`]: role `cutover` on a project while a boot there runs.
- [`keys`]: the owner's key pair under cutover's user while a boot needs it.
- [`hosts`]: the old hosts as the host machine sees them.
- [`offer`]: what the new region has that the moves need.
- [`tidy`]: what a killed run left behind, removed at the end of the next.
*/

mod boot;
mod driver;
mod errors;
mod execute;
mod grants;
mod hosts;
mod keys;
mod observe;
mod offer;
mod tidy;

use std::collections::BTreeMap;

use async_trait::async_trait;
use cutover_cloud::RegionClient;
use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::host::HostObservation;
use cutover_core::machine::{Action, Observation};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_core::readiness::Offer;

use crate::driver::{Driver, DriverError, NewRegion};
pub use driver::{OpenStackDriver, META_KEY_NAME, META_MIGRATION, META_ORIGINAL_USER, META_RESTORED_FROM, META_SOURCE};
use errors::failed;
pub use keys::CLASH_PREFIX as KEY_CLASH_PREFIX;

#[async_trait]
impl Driver for OpenStackDriver {
    async fn observe(
        &self,
        plan: &Plan,
        servers: &[&ServerPlan],
    ) -> Result<BTreeMap<ServerId, Observation>, DriverError> {
        observe::observe(self, plan, servers).await
    }

    async fn execute(&self, plan: &Plan, server: &ServerPlan, action: &Action) -> Result<(), DriverError> {
        execute::execute(self, plan, server, action).await
    }

    async fn disable_host(&self, _plan: &Plan, host: &HostName, reason: &str) -> Result<(), DriverError> {
        set_compute(&self.old, host, Some(reason)).await
    }

    async fn enable_host(&self, _plan: &Plan, host: &HostName) -> Result<(), DriverError> {
        set_compute(&self.old, host, None).await
    }

    async fn join_aggregates(&self, _plan: &Plan, host: &HostName, aggregates: &[String]) -> Result<(), DriverError> {
        hosts::join_aggregates(self, host, aggregates).await
    }

    async fn set_new_host(
        &self,
        _plan: &Plan,
        host: &HostName,
        disabled_reason: Option<&str>,
    ) -> Result<(), DriverError> {
        set_compute(&self.new, host, disabled_reason).await
    }

    async fn new_region(&self, _plan: &Plan) -> Result<NewRegion, DriverError> {
        hosts::new_region(self).await
    }

    async fn offer(&self, plan: &Plan) -> Offer {
        offer::offer(self, plan).await
    }

    async fn observe_hosts(
        &self,
        _plan: &Plan,
        hosts: &[&HostName],
    ) -> Result<BTreeMap<HostName, HostObservation>, DriverError> {
        hosts::observe_hosts(self, hosts).await
    }

    async fn delete_old_service(&self, _plan: &Plan, host: &HostName) -> Result<(), DriverError> {
        let services = self.old.compute_services().await.map_err(failed)?;
        for service in services.iter().filter(|s| s.host == *host && s.binary == "nova-compute") {
            self.old.delete_compute_service(&service.id).await.map_err(failed)?;
        }
        Ok(())
    }

    async fn tidy(&self, plan: &Plan) -> Result<(), DriverError> {
        tidy::tidy(self, plan).await
    }

    fn keep_records(&self, ledger: cutover_journal::Ledger) {
        self.keys.keep_records(ledger);
    }
}

/// Disables a host's `nova-compute` in `region` with the reason, or with
/// `None` enables it; nothing when it is so already.
async fn set_compute(region: &RegionClient, host: &str, disabled_reason: Option<&str>) -> Result<(), DriverError> {
    let services = region.compute_services().await.map_err(failed)?;
    let service = services
        .into_iter()
        .find(|s| s.host == host && s.binary == "nova-compute")
        .ok_or_else(|| DriverError::refused(format!("{}: no nova-compute service on host {host}", region.region())))?;
    match disabled_reason {
        Some(reason) if service.enabled || service.disabled_reason.as_deref() != Some(reason) => {
            region.disable_service(&service.id, host, "nova-compute", reason).await.map_err(failed)
        }
        None if !service.enabled => region.enable_service(&service.id, host, "nova-compute").await.map_err(failed),
        _ => Ok(()),
    }
}
