/*!
Preflight: whether a cutover can start. The cloud client gathers an
[`Observation`] of both regions (every call's failure kept as text); here it
becomes a list of [`Check`]s, each ok, warn or fail with a one-line reason.
No I/O: every rule is a function of the observation.

Layout: [`access`] (authentication, catalog, admin rights, shared services,
networking mode, microversions, Nova's services), [`capacity`] (the new
region against the old one's load), [`inventory`] (each old server's
flavor, image, networks and volumes still exist), [`zones`] (the new
region offers the old servers' availability zones).
*/

pub mod access;
pub mod capacity;
pub mod inventory;
#[cfg(test)]
mod tests;
pub mod zones;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::microversion::VersionRange;
use crate::model::{
    AvailabilityZone, ComputeService, Flavor, Hypervisor, Image, Network, Port, Project, ServerSummary, Volume,
};
use crate::plan::zones::ZoneMap;

pub use access::networking_mode;
pub use capacity::AllocationRatios;

/// A gathered value, or why it could not be gathered (one line).
pub type Gathered<T> = Result<T, String>;

/// Everything preflight looks at, gathered by the cloud client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The cloud's name (clouds.yaml entry).
    pub cloud: String,
    /// Who the token speaks for.
    pub scope: Scope,
    pub old: RegionView,
    pub new_region: String,
    /// The new region, or why it cannot be reached (not in the catalog).
    pub new: Gathered<RegionView>,
    /// The old region's servers and what they depend on.
    pub inventory: Inventory,
}

/// The user, project and roles of the token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub user: String,
    pub project: String,
    pub roles: Vec<String>,
}

impl Scope {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case("admin"))
    }
}

/// One region as seen through its own connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionView {
    pub name: String,
    /// Service types with an endpoint in this region's catalog.
    pub catalog: Vec<String>,
    /// Nova's microversions; `None` without a compute endpoint.
    pub compute_versions: Option<VersionRange>,
    /// A small read from Glance, Cinder and Neutron through this region's
    /// endpoints; `None` where the catalog has no endpoint.
    pub image: Option<Gathered<()>>,
    pub volume: Option<Gathered<()>>,
    pub network: Option<Gathered<()>>,
    pub services: Gathered<Vec<ComputeService>>,
    pub hypervisors: Gathered<Vec<Hypervisor>>,
    /// `os-availability-zone`; `None` without a compute endpoint.
    #[serde(default)]
    pub zones: Option<Gathered<Vec<AvailabilityZone>>>,
}

impl RegionView {
    pub fn has(&self, service_type: &str) -> bool {
        self.catalog.iter().any(|s| s == service_type)
    }
}

/// The old region's servers and the resources they refer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub servers: Gathered<Vec<ServerSummary>>,
    pub flavors: Gathered<Vec<Flavor>>,
    pub images: Gathered<Vec<Image>>,
    /// Neutron networks, or nova-network's fixed networks.
    pub networks: Gathered<Vec<Network>>,
    /// Neutron ports (none in a nova-network region).
    pub ports: Gathered<Vec<Port>>,
    pub volumes: Gathered<Vec<Volume>>,
    /// For naming owners; may be empty.
    pub projects: Vec<Project>,
}

/// How a Nova region provides networking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Networking {
    Neutron,
    NovaNetwork,
}

impl fmt::Display for Networking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Networking::Neutron => "Neutron",
            Networking::NovaNetwork => "nova-network",
        })
    }
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        })
    }
}

/// One row of the preflight report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    /// The region it is about; `None` for the cloud as a whole.
    pub region: Option<String>,
    pub status: Status,
    pub reason: String,
}

impl Check {
    pub fn new(name: &str, region: Option<&str>, status: Status, reason: impl Into<String>) -> Check {
        Check { name: name.into(), region: region.map(str::to_string), status, reason: reason.into() }
    }
}

/// The reason of a check that needs an admin's calls, when the user is none.
pub(crate) const NEEDS_ADMIN: &str = "not checked: needs an admin (see the admin check)";

/// Every check, in report order; `zone_map` is the operator's (old zone
/// -> new zone, as `cutover plan` will record it).
pub fn evaluate(obs: &Observation, ratios: AllocationRatios, zone_map: &ZoneMap) -> Vec<Check> {
    let mut checks = access::checks(obs);
    checks.extend(capacity::check(obs, ratios));
    checks.extend(inventory::checks(obs));
    checks.extend(zones::checks(obs, zone_map));
    checks
}

/// Whether any check failed.
pub fn failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

/// `first; and N more` for a list of problems of one kind.
pub(crate) fn summarize(problems: &[String]) -> String {
    match problems {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first}; and {} more", rest.len()),
    }
}
