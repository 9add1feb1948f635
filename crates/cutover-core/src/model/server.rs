/*!
A server as an inventory sees it: where it runs, whose it is, and the
flavor, image, volumes and networks it depends on. Enough to check that a
move is possible; the details a move itself needs are read separately.
*/

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::status::ServerStatus;
use crate::id::{FlavorId, HostName, ImageId, ProjectId, ServerId, UserId, VolumeId};

/// One server of a region, from `GET /servers/detail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerSummary {
    pub id: ServerId,
    pub name: String,
    pub project_id: ProjectId,
    pub user_id: UserId,
    /// The compute host (admin only); `None` for a server never scheduled.
    pub host: Option<HostName>,
    pub status: ServerStatus,
    pub flavor: FlavorRef,
    /// `None` for a server booted from a volume.
    pub image_id: Option<ImageId>,
    /// Ids of the attached volumes, the root volume included.
    pub volume_ids: Vec<VolumeId>,
    /// Addresses by network label (a Neutron network's name, a nova-network
    /// fixed network's label), as Nova's cache shows them.
    pub addresses: BTreeMap<String, Vec<Address>>,
    /// `OS-EXT-AZ:availability_zone`: the zone of its host.
    #[serde(default)]
    pub availability_zone: Option<String>,
}

impl ServerSummary {
    /// Whether the root disk is a Cinder volume (no local root disk).
    pub fn volume_backed(&self) -> bool {
        self.image_id.is_none()
    }
}

/// How a server names its flavor: by id below microversion 2.47, by the
/// flavor's values (with its name at boot) from 2.47.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlavorRef {
    pub id: Option<FlavorId>,
    pub original_name: Option<String>,
    /// The sizes the server was given; from 2.47 only.
    pub sizes: Option<FlavorSizes>,
    pub extra_specs: Option<BTreeMap<String, String>>,
}

/// A flavor's sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlavorSizes {
    pub vcpus: u32,
    pub ram_mib: u64,
    pub disk_gib: u64,
    pub ephemeral_gib: u64,
    pub swap_mib: u64,
}

/// One address of a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub addr: String,
    /// `fixed` or `floating`.
    pub kind: String,
    pub mac: Option<String>,
}
