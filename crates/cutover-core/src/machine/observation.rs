/*!
What the engine last saw of one server's resources, in both regions: the
only input of a step besides the server's own state. Observations come
from batched queries, so any part may be older than another, or missing.
*/

use std::collections::BTreeMap;

use super::route::Place;
use crate::id::{ImageId, PortId, ServerId, VolumeId};
use crate::model::{ImageStatus, ServerStatus, VolumeStatus};

/// A resource as last observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Seen<T> {
    /// Not observed yet (or the observation failed): decide nothing on it.
    #[default]
    Unknown,
    /// Looked for and not there.
    Absent,
    Present(T),
}

impl<T> Seen<T> {
    pub fn present(&self) -> Option<&T> {
        match self {
            Seen::Present(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Seen::Absent)
    }
}

/// Nova's view of a server: its status, and `task_state` as the API spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerView {
    pub id: ServerId,
    pub status: ServerStatus,
    /// `OS-EXT-STS:task_state`: `None` when Nova is not busy with it.
    pub task_state: Option<String>,
    /// The fault message of a server in `ERROR`.
    pub fault: Option<String>,
    /// Its tags, where the region shows them (2.26+).
    pub tags: Option<Vec<String>>,
}

impl ServerView {
    pub fn is_idle(&self) -> bool {
        self.task_state.is_none()
    }

    pub fn is(&self, status: ServerStatus) -> bool {
        self.status == status
    }

    /// Nova is deleting it: it goes away by itself.
    pub fn is_deleting(&self) -> bool {
        self.task_state.as_deref() == Some("deleting")
    }
}

/// Glance's view of the snapshot image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageView {
    pub id: ImageId,
    pub status: ImageStatus,
    pub size: Option<u64>,
    pub checksum: Option<String>,
}

/// Cinder's view of a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeView {
    pub status: VolumeStatus,
    /// Servers the volume is attached to.
    pub attached_to: Vec<ServerId>,
}

/// Neutron's view of a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortView {
    /// The server that owns the port (`""` when none).
    pub device_id: String,
}

/// Everything one step looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// The server in the old region.
    pub source: Seen<ServerView>,
    /// The server cutover boots in the new region (found by its metadata).
    pub target: Seen<ServerView>,
    /// The server cutover boots back in the old region on rollback.
    pub restored: Seen<ServerView>,
    /// The snapshot image (found by its name).
    pub image: Seen<ImageView>,
    /// The snapshot of the rebuild taken to move it back into the old
    /// region (found by its own name, [`super::ServerMove::back_snapshot_name`]).
    pub back_image: Seen<ImageView>,
    /// The root volume's `delete_on_termination` on the source, where the
    /// region can tell (2.3+ shows it in `os-extended-volumes`).
    pub root_delete_on_termination: Seen<bool>,
    /// The same on the rebuild in the new region (what moving it back keeps).
    pub target_root_delete_on_termination: Seen<bool>,
    /// Per observed server (source, target, restored): the
    /// `delete_on_termination` of each attached volume; `None` where the
    /// region cannot change it (below 2.85). A server not listed is unknown.
    pub delete_on_termination: BTreeMap<ServerId, BTreeMap<VolumeId, Option<bool>>>,
    pub volumes: BTreeMap<VolumeId, VolumeView>,
    pub ports: BTreeMap<PortId, PortView>,
    /// nova-network floating addresses and the server each is on.
    pub floating_ips: BTreeMap<String, Option<ServerId>>,
    /// The engine gave up an action: the cloud refused it for good (a boot
    /// answered 400 or 403), or it failed round after round while the
    /// server was out of service. The stage it was asked at is broken.
    pub refused: Option<Refused>,
}

/// An action given up, and the stage it was asked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub at: Place,
    pub reason: String,
}
