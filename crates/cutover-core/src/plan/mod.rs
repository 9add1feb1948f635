/*!
The plan: what `cutover plan` writes, the operator reads and edits, and
`cutover run` applies. A YAML file; these types are its schema. Hosts are
listed in drain order, each with its servers, each server with its
strategy, the rule that chose it, its guest-impact warnings, and the record
of everything needed to rebuild it.
*/

pub mod check;
pub mod inventory;
pub mod planner;
pub mod record;
pub mod rules;
#[cfg(test)]
mod tests;
pub mod zones;

use serde::{Deserialize, Serialize};

pub use record::{FixedIp, FixedNetworkRecord, FloatingIpRecord, GroupRef, PortRecord, ServerRecord, VolumeRecord};

use crate::id::{HostName, ProjectId, RegionName, ServerId};
use crate::machine::{ServerMove, Strategy};
use crate::model::ServerStatus;
use crate::room::Load;

/// The plan file's schema version.
pub const PLAN_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub version: u32,
    /// Carried by every resource cutover creates (`cutover_migration`).
    pub migration: String,
    pub created_at: String,
    pub clouds: CloudsRef,
    pub options: Options,
    /// In drain order.
    pub hosts: Vec<HostPlan>,
    /// Servers of the old region that were not planned, and why (an
    /// error state, a task in progress): their hosts cannot be emptied
    /// until they are dealt with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unplanned: Vec<Unplanned>,
}

/// A server the planner left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unplanned {
    pub id: ServerId,
    pub name: String,
    pub host: HostName,
    pub project_id: ProjectId,
    pub reason: String,
}

/// Which clouds the plan was made for: a plan for others is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudsRef {
    pub cloud: String,
    pub auth_url: String,
    pub old_region: RegionName,
    pub new_region: RegionName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Keep each snapshot after a verified move (else deleted).
    pub keep_snapshots: bool,
    /// `redeploy`: keep the old server stopped instead of deleting it.
    pub keep_redeployed_sources: bool,
    pub boot_timeout_secs: i64,
    pub snapshot_attempts: u32,
    /// Tries at turning a move back (restoring the server where it was)
    /// before it ends `failed`, its copy kept; the first retry waits
    /// `restore_retry_secs`, each next one twice as long.
    #[serde(default = "default_restore_attempts")]
    pub restore_attempts: u32,
    #[serde(default = "default_restore_retry_secs")]
    pub restore_retry_secs: i64,
    /// Old zone -> the new region's zone its servers boot in (`""`: no
    /// zone, Nova's default); a zone not mapped is kept.
    #[serde(default, skip_serializing_if = "zones::ZoneMap::is_empty")]
    pub zone_map: zones::ZoneMap,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            keep_snapshots: false,
            keep_redeployed_sources: false,
            boot_timeout_secs: 900,
            snapshot_attempts: 3,
            restore_attempts: default_restore_attempts(),
            restore_retry_secs: default_restore_retry_secs(),
            zone_map: zones::ZoneMap::new(),
        }
    }
}

fn default_restore_attempts() -> u32 {
    5
}

fn default_restore_retry_secs() -> i64 {
    30
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostPlan {
    pub name: HostName,
    /// This host's own hand-off command, in place of `--on-host-empty`
    /// (the operator writes it into the plan; split like a shell line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_empty: Option<String>,
    pub servers: Vec<ServerPlan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerPlan {
    pub strategy: Strategy,
    /// The rule that chose the strategy, for the operator reading the plan.
    pub why: String,
    /// What the guest will notice (new UUID, cloud-init re-running, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub server: ServerRecord,
    /// What it takes of a host in the new region (its flavor's vCPUs, RAM
    /// and local disk): a host's moves start only when the new region has
    /// room for all of them. `None` when its flavor could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<Load>,
    /// For a `wait` server: how it moves if still there when the run's
    /// `--deadline` passes (else it is held and reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_deadline: Option<Strategy>,
}

impl Plan {
    /// Every planned server with its host's name, in drain order.
    pub fn servers(&self) -> impl Iterator<Item = (&HostName, &ServerPlan)> {
        self.hosts.iter().flat_map(|h| h.servers.iter().map(move |s| (&h.name, s)))
    }

    /// The snapshot image's name for `server`: how a resumed run finds it.
    pub fn snapshot_name(&self, server: &str) -> String {
        format!("cutover-{}-{server}", self.migration)
    }

    /// The zone `record`'s rebuild names at boot in the new region (`None`:
    /// Nova's default), after the plan's zone map.
    pub fn new_zone(&self, record: &ServerRecord) -> Option<String> {
        zones::boot_zone(&self.options.zone_map, record.availability_zone.as_deref())
    }

    /// What the state machine needs of one planned server.
    pub fn server_move(&self, planned: &ServerPlan) -> ServerMove {
        let record = &planned.server;
        let neutron_floating = |f: &FloatingIpRecord| f.port_id.is_some();
        ServerMove {
            source: record.id.clone(),
            strategy: planned.strategy,
            snapshot_name: self.snapshot_name(&record.id),
            was_shutoff: record.status == ServerStatus::Shutoff,
            image: record.image_id.clone(),
            root_volume: record.root_volume().map(|v| v.id.clone()),
            data_volumes: record.data_volumes().map(|v| v.id.clone()).collect(),
            ports: record.ports.iter().map(|p| p.id.clone()).collect(),
            floating_addresses: record
                .floating_ips
                .iter()
                .filter(|f| !neutron_floating(f))
                .map(|f| f.address.clone())
                .collect(),
            deleted_with_server: record
                .volumes
                .iter()
                .filter(|v| v.delete_on_termination)
                .map(|v| v.id.clone())
                .collect(),
            tags: record.tags.clone(),
            keep_snapshot: self.options.keep_snapshots,
            keep_source: self.options.keep_redeployed_sources,
            boot_timeout_secs: self.options.boot_timeout_secs,
            snapshot_attempts: self.options.snapshot_attempts,
            restore_attempts: self.options.restore_attempts,
            restore_retry_secs: self.options.restore_retry_secs,
        }
    }
}
