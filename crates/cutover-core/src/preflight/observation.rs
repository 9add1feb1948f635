/*!
What preflight looks at: an [`Observation`] of both regions and the old
region's inventory, gathered by the cloud client, every call's failure kept
as text ([`Gathered`]).
*/

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::RegionName;
use crate::microversion::VersionRange;
use crate::model::{
    AvailabilityZone, ComputeService, Flavor, Hypervisor, Image, Network, Port, Project, ServerSummary, Volume,
};

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
    pub new_region: RegionName,
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
    pub name: RegionName,
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
