/*!
The shared services' resources servers depend on: Glance images, Neutron
networks and ports (or nova-network's fixed networks), Cinder volumes.
*/

use serde::{Deserialize, Serialize};

use super::status::{ImageStatus, VolumeStatus};
use crate::id::{FloatingIpId, ImageId, NetworkId, PortId, ProjectId, ServerId, SubnetId, VolumeId};

/// A Glance image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub id: ImageId,
    pub name: Option<String>,
    pub status: ImageStatus,
    pub owner: Option<String>,
    pub visibility: Option<String>,
    pub size: Option<u64>,
    /// The `os_type` property (`windows`, `linux`), where the image has one.
    #[serde(default)]
    pub os_type: Option<String>,
}

/// A network: a Neutron network, or a nova-network fixed network (whose
/// `name` is its label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub id: NetworkId,
    pub name: String,
    pub project_id: Option<ProjectId>,
    pub external: bool,
    pub shared: bool,
}

/// A Neutron port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub id: PortId,
    pub network_id: NetworkId,
    pub project_id: ProjectId,
    /// The server (or router, DHCP agent, ...) the port belongs to.
    pub device_id: String,
    pub device_owner: String,
    pub mac_address: String,
    pub fixed_ips: Vec<String>,
    /// The subnet of each of `fixed_ips`, in the same order.
    #[serde(default)]
    pub subnet_ids: Vec<SubnetId>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
}

/// A Cinder volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    pub id: VolumeId,
    pub name: Option<String>,
    pub project_id: Option<ProjectId>,
    pub status: VolumeStatus,
    pub size_gib: u64,
    pub bootable: bool,
    /// Ids of the servers it is attached to.
    pub attached_to: Vec<ServerId>,
    /// Where each attachment shows it in its server (Cinder's `attachments`).
    #[serde(default)]
    pub attachments: Vec<VolumeAttachment>,
    /// `volume_image_metadata.os_type` of a volume made from an image.
    #[serde(default)]
    pub os_type: Option<String>,
}

/// One attachment of a Cinder volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeAttachment {
    pub server_id: ServerId,
    /// The device name, e.g. `/dev/vdb`.
    pub device: Option<String>,
}

/// A Neutron floating IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloatingIp {
    pub id: FloatingIpId,
    pub address: String,
    pub project_id: Option<ProjectId>,
    /// The port it is associated with, if any.
    pub port_id: Option<PortId>,
}
