/*!
A flavor with everything that makes two regions' flavors the same: sizes,
extra specs, visibility, the projects a private flavor is shared with.
*/

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::id::{FlavorId, ProjectId};

/// A Nova flavor. Servers refer to it by id, so the id is its identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flavor {
    pub id: FlavorId,
    pub name: String,
    pub vcpus: u32,
    pub ram_mib: u64,
    pub disk_gib: u64,
    pub ephemeral_gib: u64,
    pub swap_mib: u64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    /// From microversion 2.55; `None` where the cloud cannot tell.
    pub description: Option<String>,
    pub extra_specs: BTreeMap<String, String>,
    /// Projects a private flavor is shared with (empty for public ones).
    pub access: BTreeSet<ProjectId>,
}

impl Flavor {
    /// A public flavor of these sizes, with Nova's defaults for the rest
    /// (no ephemeral disk or swap, rxtx 1.0, no description, specs or access).
    pub fn public(id: &str, name: &str, vcpus: u32, ram_mib: u64, disk_gib: u64) -> Flavor {
        Flavor {
            id: id.into(),
            name: name.into(),
            vcpus,
            ram_mib,
            disk_gib,
            ephemeral_gib: 0,
            swap_mib: 0,
            rxtx_factor: 1.0,
            is_public: true,
            description: None,
            extra_specs: BTreeMap::new(),
            access: BTreeSet::new(),
        }
    }
}
