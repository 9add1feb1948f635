/*!
What `cutover plan` reads of the clouds before it decides anything: every
server of the old region with its rebuild record and what the record does
not keep (task state, sizes, guest OS), the old region's compute hosts,
and what the new region has room for.
*/

use serde::{Deserialize, Serialize};

use super::{CloudsRef, ServerRecord};
use crate::id::HostName;
use crate::microversion::Microversion;
use crate::model::{AvailabilityZone, Flavor, FlavorSizes, Hypervisor, Image, ImageStatus, Project, ServerStatus};

/// The old region as a plan sees it, and the new region's hypervisors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub clouds: CloudsRef,
    /// The microversion the old region's servers were read at: below 2.3
    /// it cannot tell user data, below 2.19 descriptions, below 2.26 tags.
    pub old_version: Microversion,
    /// The old region's compute hosts (`nova-compute` services), servers or not.
    pub hosts: Vec<HostName>,
    pub servers: Vec<ObservedServer>,
    pub flavors: Vec<Flavor>,
    /// Glance's images (a `redeploy` needs the original one, active).
    pub images: Vec<Image>,
    pub projects: Vec<Project>,
    pub new_hypervisors: Vec<Hypervisor>,
    /// The new region's availability zones (`None`: not read).
    #[serde(default)]
    pub new_zones: Option<Vec<AvailabilityZone>>,
}

/// One server of the old region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedServer {
    pub record: ServerRecord,
    /// Nova's `OS-EXT-STS:task_state`: a server with a task in progress is
    /// not planned.
    pub task_state: Option<String>,
    /// Its flavor's sizes; `None` when the flavor cannot be resolved.
    pub sizes: Option<FlavorSizes>,
    /// The guest OS (`os_type` of its image or root volume), when known.
    pub os_type: Option<String>,
    /// Why its record is incomplete (e.g. its flavor no longer exists);
    /// such a server is not planned.
    pub problem: Option<String>,
}

impl Inventory {
    /// Whether Glance has `image` and it is active.
    pub fn image_active(&self, image: &str) -> bool {
        self.images.iter().any(|i| i.id == image && i.status == ImageStatus::Active)
    }

    /// A project's name, or its id where Keystone did not tell.
    pub fn project_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.projects.iter().find(|p| p.id == id).map_or(id, |p| p.name.as_str())
    }

    pub fn server(&self, id: &str) -> Option<&ObservedServer> {
        self.servers.iter().find(|s| s.record.id == id)
    }
}

impl ObservedServer {
    /// Why this server cannot be planned now, if it cannot: a state other
    /// than `ACTIVE`/`SHUTOFF`, a task in progress, no host, an incomplete record.
    pub fn unplannable(&self) -> Option<String> {
        let r = &self.record;
        if !matches!(r.status, ServerStatus::Active | ServerStatus::Shutoff) {
            return Some(format!("status {} (only ACTIVE and SHUTOFF servers are moved)", r.status));
        }
        if let Some(task) = &self.task_state {
            return Some(format!("task {task} in progress"));
        }
        if r.host.is_empty() {
            return Some("on no host".into());
        }
        self.problem.clone()
    }
}
