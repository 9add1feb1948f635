/*!
A Nova region's services and hypervisors, as `os-services` and
`os-hypervisors` show them to an admin.
*/

use serde::{Deserialize, Serialize};

use crate::id::HostName;

/// A row of `os-services`: one binary on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeService {
    /// An integer below microversion 2.53, a UUID from 2.53.
    pub id: String,
    /// `nova-compute`, `nova-scheduler`, `nova-conductor`, `nova-network`, ...
    pub binary: String,
    pub host: HostName,
    pub zone: String,
    pub enabled: bool,
    /// Reporting in (and not forced down).
    pub up: bool,
    pub disabled_reason: Option<String>,
}

/// A compute node. Its resource figures are absent from microversion 2.88.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hypervisor {
    pub id: String,
    pub hostname: HostName,
    /// The host of its `nova-compute` service (the name `os-services`
    /// uses), which may differ from the hypervisor's own hostname.
    pub service_host: Option<HostName>,
    /// The `nova-compute` service's state and status.
    pub up: bool,
    pub enabled: bool,
    pub resources: Option<HypervisorResources>,
}

/// What a hypervisor has and what its servers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HypervisorResources {
    pub vcpus: u64,
    pub vcpus_used: u64,
    pub memory_mib: u64,
    pub memory_mib_used: u64,
    pub local_gib: u64,
    pub local_gib_used: u64,
    pub running_vms: u64,
}
