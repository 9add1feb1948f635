/*!
What the engine needs of the clouds, as one trait: observe many servers at
once, carry out one action, take an old host out of scheduling (and back
in for a while, to rebuild a server there on rollback), and see what room
the new region has. The real implementation speaks to OpenStack through `cutover-cloud`; tests may
drive the engine with another.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::host::HostObservation;
use cutover_core::machine::{Action, Observation};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_core::readiness::Offer;
use cutover_core::room::Room;
use cutover_journal::Ledger;

/// Why an action or observation failed, whether trying again may help, and
/// the error underneath (a cloud's or the journal's) when there was one:
/// [`std::error::Error::source`] gives it, typed, to whoever wants more
/// than the one line an operator reads.
#[derive(Debug, Clone)]
pub struct DriverError {
    /// What an operator reads, in reports and the journal.
    pub message: String,
    /// The cloud refused for good (400, 403, 404 on a create's parent, ...):
    /// repeating the same call will not help.
    pub permanent: bool,
    /// Shared, so that a failed call's result can be both journaled and
    /// acted on.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl DriverError {
    /// A refusal repeating will not cure, with no error underneath: the
    /// engine's own, or a driver's that found the clouds unfit.
    pub fn refused(message: impl Into<String>) -> DriverError {
        DriverError { message: message.into(), permanent: true, source: None }
    }

    /// A failure that may pass by itself (a busy resource, a record that
    /// could not be written now).
    pub fn temporary(message: impl Into<String>) -> DriverError {
        DriverError { message: message.into(), permanent: false, source: None }
    }

    /// The same failure, caused by `source`.
    pub fn caused_by(self, source: impl std::error::Error + Send + Sync + 'static) -> DriverError {
        DriverError { source: Some(Arc::new(source)), ..self }
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The new region as admission sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegion {
    /// Compute hosts taking new servers: what the per-host build limit is
    /// multiplied by.
    pub hosts: usize,
    /// The hosts of the enabled `nova-compute` services, up or not yet
    /// (a boot sent now may be scheduled once one is up).
    pub enabled: BTreeSet<HostName>,
    /// Their free room; `None` when the region shows no resource figures
    /// (Nova 2.88+ only in placement): the moves are then paced by the
    /// limits alone, and a boot with no room is refused and rolled back.
    pub room: Option<Room>,
}

#[async_trait]
pub trait Driver: Send + Sync {
    /// One observation per planned server (by source id), from batched
    /// queries: a few calls per region and resource kind, whatever the
    /// number of servers. A server missing from the answer is unobserved.
    async fn observe(
        &self,
        plan: &Plan,
        servers: &[&ServerPlan],
    ) -> Result<BTreeMap<ServerId, Observation>, DriverError>;

    /// Carries out `action` for `server`. Safe to repeat: a create first
    /// looks for what an earlier, interrupted attempt made (by name or by
    /// the `cutover_migration`/`cutover_source` metadata).
    async fn execute(&self, plan: &Plan, server: &ServerPlan, action: &Action) -> Result<(), DriverError>;

    /// Disables the old host's `nova-compute` service with `reason`, so
    /// nothing new is scheduled there while it drains. Idempotent.
    async fn disable_host(&self, plan: &Plan, host: &HostName, reason: &str) -> Result<(), DriverError>;

    /// Enables the old host's `nova-compute` service again, so that Nova's
    /// scheduler may place a server rebuilt in the old region there (it
    /// skips disabled hosts, forced or not). The engine disables the host
    /// again once the rebuild is verified. Idempotent.
    async fn enable_host(&self, plan: &Plan, host: &HostName) -> Result<(), DriverError>;

    /// The new region's compute hosts that take new servers (enabled and
    /// up) and their free room: what admission paces the moves by.
    async fn new_region(&self, plan: &Plan) -> Result<NewRegion, DriverError>;

    /// What the new region has that the moves need (flavors, groups, key
    /// pairs, images, quota), checked before each move starts; a part that
    /// cannot be read is left unknown and unchecked.
    async fn offer(&self, plan: &Plan) -> Offer {
        Offer { region: plan.clouds.new_region.clone(), ..Offer::default() }
    }

    /// What the host machine needs of each old host (both regions'
    /// services and hypervisors, the servers on it), from a few batched
    /// listings; the hook's end and the moves in flight are the engine's
    /// to fill in.
    async fn observe_hosts(
        &self,
        plan: &Plan,
        hosts: &[&HostName],
    ) -> Result<BTreeMap<HostName, HostObservation>, DriverError>;

    /// Adds a host that joined the new region to that region's aggregates
    /// of these names (the ones it was in in the old region). Idempotent;
    /// an aggregate the new region lacks is refused for good.
    async fn join_aggregates(&self, plan: &Plan, host: &HostName, aggregates: &[String]) -> Result<(), DriverError>;

    /// Disables (with the reason) or, with `None`, enables the new
    /// region's `nova-compute` of a host that joined it. Idempotent.
    async fn set_new_host(
        &self,
        plan: &Plan,
        host: &HostName,
        disabled_reason: Option<&str>,
    ) -> Result<(), DriverError>;

    /// Deletes the old region's `nova-compute` record of a host that has
    /// joined the new region. Idempotent.
    async fn delete_old_service(&self, plan: &Plan, host: &HostName) -> Result<(), DriverError>;

    /// Removes what a run killed halfway through an action may have left
    /// that no later step would: grants to cutover's own user, key pair
    /// copies of a boot that was made. The engine calls it when a run ends
    /// (no call of its own under way); a failure is only logged.
    async fn tidy(&self, _plan: &Plan) -> Result<(), DriverError> {
        Ok(())
    }

    /// Gives the driver the run's ledger: a second connection to the
    /// journal for what it must record in the middle of an action (a key
    /// pair copy, before it is made). A driver given none makes nothing it
    /// could not find again after a crash.
    fn keep_records(&self, _ledger: Ledger) {}
}
