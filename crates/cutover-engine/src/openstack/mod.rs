/*!
The [`Driver`] on OpenStack, through `cutover-cloud`: one admin connection
per region, and project-scoped connections for what Nova gives to the
token's project (a booted server).

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
mod execute;
mod grants;
mod hosts;
mod keys;
mod observe;
mod offer;
mod tidy;

use std::collections::BTreeMap;

use async_trait::async_trait;
use cutover_cloud::{Error as CloudError, Profile, RegionClient, RetryPolicy};
use cutover_core::machine::host::HostObservation;
use cutover_core::machine::{Action, Observation, Side};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_core::preflight::networking_mode;
use cutover_core::readiness::Offer;

use crate::driver::{Driver, DriverError, NewRegion};
use grants::Grants;
pub use keys::CLASH_PREFIX as KEY_CLASH_PREFIX;

/// Metadata on every server cutover boots: the run it belongs to.
pub const META_MIGRATION: &str = "cutover_migration";
/// On a rebuild in the new region (and on the snapshot): the source's id.
pub const META_SOURCE: &str = "cutover_source";
/// On a rebuild in the old region after a failed move: the source's id.
pub const META_RESTORED_FROM: &str = "cutover_restored_from";
/// The source's owner, whom the rebuild cannot belong to.
pub const META_ORIGINAL_USER: &str = "cutover_original_user";
/// The keypair the source was booted with (the rebuild names it too,
/// unless cutover's user has another key under that name).
pub const META_KEY_NAME: &str = "cutover_key_name";

/// The real driver: both regions of one cloud.
pub struct OpenStackDriver {
    old: RegionClient,
    new: RegionClient,
    grants: Grants,
    keys: keys::KeyCopies,
}

impl OpenStackDriver {
    /// Connects to both regions as the profile's (admin) user.
    pub async fn connect(
        profile: &Profile,
        old_region: &str,
        new_region: &str,
        retry: RetryPolicy,
    ) -> Result<OpenStackDriver, CloudError> {
        let (old, new) = tokio::try_join!(
            RegionClient::connect(profile, old_region, retry.clone()),
            RegionClient::connect(profile, new_region, retry.clone()),
        )?;
        Ok(OpenStackDriver::new(old, new, profile, retry))
    }

    /// A driver over connections already made (admin tokens).
    pub fn new(old: RegionClient, new: RegionClient, profile: &Profile, retry: RetryPolicy) -> OpenStackDriver {
        OpenStackDriver { old, new, grants: Grants::new(profile, retry), keys: keys::KeyCopies::default() }
    }

    /// Why the plan cannot run between these regions, if it cannot: they
    /// differ in networking mode (nova-network and Neutron), which no
    /// strategy moves across yet. Asked before anything changes.
    pub async fn networking_mismatch(&self) -> Option<String> {
        let (old, new) = tokio::join!(self.old.compute_services(), self.new.compute_services());
        let mode = |region: &RegionClient,
                    services: cutover_cloud::Result<Vec<cutover_core::model::ComputeService>>| {
            let services = services.map_err(|e| e.to_string());
            networking_mode(&services, region.has_network()).ok()
        };
        match (mode(&self.old, old), mode(&self.new, new)) {
            (Some(old), Some(new)) if old != new => Some(format!(
                "{} runs {old} and {} runs {new}: cutover cannot move servers between networking modes; \
                 nothing was changed",
                self.old.region(),
                self.new.region()
            )),
            _ => None,
        }
    }

    fn region(&self, side: Side) -> &RegionClient {
        match side {
            Side::Old => &self.old,
            Side::New => &self.new,
        }
    }
}

#[async_trait]
impl Driver for OpenStackDriver {
    async fn observe(
        &self,
        plan: &Plan,
        servers: &[&ServerPlan],
    ) -> Result<BTreeMap<String, Observation>, DriverError> {
        observe::observe(self, plan, servers).await
    }

    async fn execute(&self, plan: &Plan, server: &ServerPlan, action: &Action) -> Result<(), DriverError> {
        execute::execute(self, plan, server, action).await
    }

    async fn disable_host(&self, _plan: &Plan, host: &str, reason: &str) -> Result<(), DriverError> {
        set_compute(&self.old, host, Some(reason)).await
    }

    async fn enable_host(&self, _plan: &Plan, host: &str) -> Result<(), DriverError> {
        set_compute(&self.old, host, None).await
    }

    async fn join_aggregates(&self, _plan: &Plan, host: &str, aggregates: &[String]) -> Result<(), DriverError> {
        hosts::join_aggregates(self, host, aggregates).await
    }

    async fn set_new_host(&self, _plan: &Plan, host: &str, disabled_reason: Option<&str>) -> Result<(), DriverError> {
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
        hosts: &[&str],
    ) -> Result<BTreeMap<String, HostObservation>, DriverError> {
        hosts::observe_hosts(self, hosts).await
    }

    async fn delete_old_service(&self, _plan: &Plan, host: &str) -> Result<(), DriverError> {
        let services = self.old.compute_services().await.map_err(failed)?;
        for service in services.iter().filter(|s| s.host == host && s.binary == "nova-compute") {
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
        .ok_or_else(|| permanent(format!("{}: no nova-compute service on host {host}", region.region())))?;
    match disabled_reason {
        Some(reason) if service.enabled || service.disabled_reason.as_deref() != Some(reason) => {
            region.disable_service(&service.id, host, "nova-compute", reason).await.map_err(failed)
        }
        None if !service.enabled => region.enable_service(&service.id, host, "nova-compute").await.map_err(failed),
        _ => Ok(()),
    }
}

/// A failed call as the engine needs it: the cloud's refusal (a 4xx) is
/// permanent; no answer, 429 and 5xx (after the client's own retries) may
/// pass, and so may a 409 an action did not expect (the resource is busy
/// with something else: its state changes by itself).
pub(crate) fn failed(e: CloudError) -> DriverError {
    let permanent = match &e {
        CloudError::Call(call) => call.status.is_some_and(|s| s.is_client_error() && !matches!(s.as_u16(), 409 | 429)),
        CloudError::Auth { .. } | CloudError::AuthUnavailable { .. } => false,
        _ => true,
    };
    DriverError { message: e.to_string(), permanent }
}

pub(crate) fn permanent(message: String) -> DriverError {
    DriverError { message, permanent: true }
}
