/*!
The OpenStack services the simulator serves, and where each lives under the
one base URL.
*/

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    Identity,
    Compute,
    Image,
    Network,
    Volume,
    /// The simulator's own `/sim/` extension.
    Sim,
}

impl ServiceKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ServiceKind::Identity => "identity",
            ServiceKind::Compute => "compute",
            ServiceKind::Image => "image",
            ServiceKind::Network => "network",
            ServiceKind::Volume => "volume",
            ServiceKind::Sim => "sim",
        }
    }

    /// Catalog type and name of the service.
    pub fn catalog_entry(&self) -> (&'static str, &'static str) {
        match self {
            ServiceKind::Identity => ("identity", "keystone"),
            ServiceKind::Compute => ("compute", "nova"),
            ServiceKind::Image => ("image", "glance"),
            ServiceKind::Network => ("network", "neutron"),
            ServiceKind::Volume => ("block-storage", "cinderv3"),
            ServiceKind::Sim => ("sim", "sim"),
        }
    }

    /// Which service a request path belongs to.
    pub fn of_path(path: &str) -> ServiceKind {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        match first {
            "compute" => ServiceKind::Compute,
            "image" => ServiceKind::Image,
            "network" => ServiceKind::Network,
            "volume" => ServiceKind::Volume,
            "sim" => ServiceKind::Sim,
            _ => ServiceKind::Identity,
        }
    }
}

/// URL layout: Keystone at the root (`/v3`), the others under a prefix, as
/// devstack lays them out. Nova has one prefix per region.
pub mod urls {
    pub fn identity(base: &str) -> String {
        format!("{base}/v3")
    }
    pub fn compute(base: &str, region: &str) -> String {
        format!("{base}/compute/{region}/v2.1")
    }
    pub fn image(base: &str) -> String {
        format!("{base}/image")
    }
    pub fn network(base: &str) -> String {
        format!("{base}/network")
    }
    /// Cinder's catalog URL, with Keystone's `$(project_id)s` template.
    pub fn volume(base: &str) -> String {
        format!("{base}/volume/v3/$(project_id)s")
    }
}
