/*!
What `cutover plan` reads of the clouds before it decides anything: every
server of the old region with its rebuild record and what the record does
not keep (task state, sizes, guest OS), the old region's compute hosts,
and what the new region has room for.
*/

use std::collections::{HashMap, HashSet};

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
    /// The inventory keyed for the lookups planning and checking make.
    pub fn index(&self) -> Index<'_> {
        Index {
            inv: self,
            servers: self.servers.iter().map(|s| (s.record.id.as_str(), s)).collect(),
            flavor_names: self.flavors.iter().map(|f| (f.id.as_str(), f.name.as_str())).collect(),
            projects: self.projects.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect(),
            active_images: self
                .images
                .iter()
                .filter(|i| i.status == ImageStatus::Active)
                .map(|i| i.id.as_str())
                .collect(),
            hosts: self.hosts.iter().map(|h| h.as_str()).collect(),
        }
    }
}

/// An [`Inventory`] keyed by id, built once per plan or check: both look
/// a server, flavor or project up for every server, and a cloud of
/// 100,000 servers must not be searched 100,000 times.
pub struct Index<'a> {
    pub inv: &'a Inventory,
    servers: HashMap<&'a str, &'a ObservedServer>,
    flavor_names: HashMap<&'a str, &'a str>,
    projects: HashMap<&'a str, &'a str>,
    active_images: HashSet<&'a str>,
    hosts: HashSet<&'a str>,
}

impl<'a> Index<'a> {
    pub fn server(&self, id: &str) -> Option<&'a ObservedServer> {
        self.servers.get(id).copied()
    }

    /// Whether Glance has `image` and it is active.
    pub fn image_active(&self, image: &str) -> bool {
        self.active_images.contains(image)
    }

    /// A project's name, or its id where Keystone did not tell.
    pub fn project_name<'s>(&self, id: &'s str) -> &'s str
    where
        'a: 's,
    {
        self.projects.get(id).copied().unwrap_or(id)
    }

    /// A flavor's name, when the old region lists it.
    pub fn flavor_name(&self, id: &str) -> Option<&'a str> {
        self.flavor_names.get(id).copied()
    }

    /// Whether `host` is a compute host of the old region.
    pub fn has_host(&self, host: &str) -> bool {
        self.hosts.contains(host)
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
