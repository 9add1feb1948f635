/*!
What a Nova region reports about itself: its services (`os-services`,
conductor, scheduler, one `nova-compute` per host) and hypervisors.
*/

use serde::{Deserialize, Serialize};

/// One row of `os-services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeService {
    /// An integer before microversion 2.53, a UUID from it on.
    pub id: String,
    /// `nova-compute`, `nova-conductor`, `nova-scheduler`, ...
    pub binary: String,
    pub host: String,
    pub zone: String,
    /// `status: enabled` (the scheduler may use it).
    pub enabled: bool,
    /// `state: up` (it reports in; not forced down).
    pub up: bool,
    pub disabled_reason: Option<String>,
}

/// One hypervisor (compute node) of a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hypervisor {
    pub id: String,
    pub hostname: String,
    /// The host of its `nova-compute` service (the name `os-services`
    /// uses), which may differ from the hypervisor's own hostname.
    pub service_host: Option<String>,
    pub up: bool,
    pub enabled: bool,
}
