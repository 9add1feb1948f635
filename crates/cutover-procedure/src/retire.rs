/*!
Retire (design phase 7): once every old host has moved, what the old Nova
still lists (its services and, when asked, the old region's compute
endpoints) is assessed by [`assess`] (what blocks and what goes is decided
in `cutover_core::retire`) and deleted by [`Retire::carry_out`].
*/

use cutover_cloud::{Profile, RegionClient};
use cutover_core::model::{Endpoint, Interface};
use cutover_core::retire::{self, EndpointsAsked, Observed, Retirement, ServiceRow};

use crate::{connect, Result};

/// Both regions' Nova as observed, and the retirement decided from them.
pub struct Retire {
    new: RegionClient,
    /// `None` when the catalog offers no Nova in the old region.
    old: Option<RegionClient>,
    pub retirement: Retirement,
}

/// Connects, observes and decides: nothing is changed. Keystone is reached
/// through the new region (the old one may have lost its last endpoint to
/// an earlier `--endpoints` run); the old region's endpoints are assessed
/// only when `endpoints` asks for them.
pub async fn assess(profile: &Profile, old_region: &str, new_region: &str, endpoints: bool) -> Result<Retire> {
    let new = connect(profile, new_region, "").await?;
    let catalog = if endpoints { Some(new.keystone_catalog().await?) } else { None };
    let old = if has_compute(&new, old_region) { Some(connect(profile, old_region, "").await?) } else { None };
    // The old Nova is listed through this interface: its endpoint goes last.
    let via = Interface::parse(new.interface()).unwrap_or(Interface::Public);
    let asked = catalog.as_ref().map(|catalog| EndpointsAsked { catalog, via });
    let retirement = match &old {
        Some(old) => {
            let (services, servers, hypervisors, new_services) =
                tokio::try_join!(old.compute_services(), old.servers(), old.hypervisors(), new.compute_services())?;
            let observed = Observed {
                old_services: &services,
                old_servers: &servers,
                old_hypervisors: &hypervisors,
                new_services: &new_services,
            };
            retire::assess(old_region, observed, asked)
        }
        None => {
            let observed = Observed { old_services: &[], old_servers: &[], old_hypervisors: &[], new_services: &[] };
            retire::assess(old_region, observed, asked)
        }
    };
    Ok(Retire { new, old, retirement })
}

/// Whether the token's catalog offers `region`'s Nova.
fn has_compute(client: &RegionClient, region: &str) -> bool {
    client.catalog().iter().any(|e| e.region == region && retire::NOVA_SERVICE_TYPES.contains(&e.service_type.as_str()))
}

/// What one deletion was about.
pub enum Target<'a> {
    Service(&'a ServiceRow),
    Endpoint(&'a Endpoint),
}

/// How one deletion went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    AlreadyGone,
    Failed,
    /// An endpoint kept because a service of the old Nova is left.
    Kept,
}

impl Deleted {
    /// The word the report prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Deleted::Deleted => "deleted",
            Deleted::AlreadyGone => "already gone",
            Deleted::Failed => "failed",
            Deleted::Kept => "kept",
        }
    }

    /// Whether the thing is still there though it was to go.
    pub fn is_failure(self) -> bool {
        matches!(self, Deleted::Failed | Deleted::Kept)
    }
}

/// One deletion: what, how it went, and why when it did not.
pub struct Deletion<'a> {
    pub target: Target<'a>,
    pub outcome: Deleted,
    /// A failure's reason, else what was said of the service before.
    pub detail: String,
}

impl Retire {
    /// Whether the catalog offers a Nova in the old region to list.
    pub fn old_listed(&self) -> bool {
        self.old.is_some()
    }

    /// Deletes the services, then (when every service went) the endpoints:
    /// while a service is left the old Nova must stay reachable for the
    /// next run. One failure does not stop the others.
    pub async fn carry_out(&self) -> Vec<Deletion<'_>> {
        let r = &self.retirement;
        let mut done = Vec::with_capacity(r.services.len() + r.endpoints.len());
        for row in &r.services {
            // `old` is there whenever services were listed.
            let result = match &self.old {
                Some(old) => old.delete_compute_service(&row.service.id).await,
                None => Ok(false),
            };
            let (outcome, detail) = outcome_of(result);
            let detail = if detail.is_empty() { row.note.clone() } else { detail };
            done.push(Deletion { target: Target::Service(row), outcome, detail });
        }
        let services_failed = done.iter().any(|d| d.outcome.is_failure());
        for endpoint in &r.endpoints {
            let (outcome, detail) = if services_failed {
                (Deleted::Kept, "kept while a service of the old Nova is left: run retire again".to_string())
            } else {
                outcome_of(self.new.delete_endpoint(&endpoint.id).await)
            };
            done.push(Deletion { target: Target::Endpoint(endpoint), outcome, detail });
        }
        done
    }
}

fn outcome_of(result: cutover_cloud::Result<bool>) -> (Deleted, String) {
    match result {
        Ok(true) => (Deleted::Deleted, String::new()),
        Ok(false) => (Deleted::AlreadyGone, String::new()),
        Err(e) => (Deleted::Failed, e.to_string()),
    }
}
