/*!
Everything needed to rebuild one server elsewhere: what the plan records
of it in the old region, and what the journal keeps until the server is
verified in the new one. If a field is here, the rebuild carries it over or
the report says why not.
*/

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::{
    FlavorId, FloatingIpId, HostName, ImageId, NetworkId, PortId, ProjectId, ServerGroupId, ServerId, SubnetId, UserId,
    VolumeId,
};
use crate::model::ServerStatus;

/// One server as it was in the old region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    pub id: ServerId,
    pub name: String,
    pub project_id: ProjectId,
    /// Cannot be kept: the rebuild belongs to the user cutover acts as; the
    /// original is recorded in the rebuild's metadata.
    pub user_id: UserId,
    pub host: HostName,
    pub availability_zone: Option<String>,
    /// `ACTIVE` or `SHUTOFF` (a server in another state is not planned).
    pub status: ServerStatus,
    pub flavor_id: FlavorId,
    /// The image it was booted from; `None` when it boots from a volume.
    pub image_id: Option<ImageId>,
    pub key_name: Option<String>,
    /// Base64, as Nova returns it (2.3+); `None` where the region cannot tell.
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// 2.26+.
    pub tags: Vec<String>,
    /// 2.19+.
    pub description: Option<String>,
    /// The old region's group id and name (its id changes in the new region).
    pub server_group: Option<GroupRef>,
    /// Security group names (Nova's view; Neutron ports carry their own).
    pub security_groups: Vec<String>,
    /// Neutron ports, in the server's interface order.
    pub ports: Vec<PortRecord>,
    /// nova-network fixed addresses, in the server's interface order.
    pub fixed_networks: Vec<FixedNetworkRecord>,
    pub volumes: Vec<VolumeRecord>,
    pub floating_ips: Vec<FloatingIpRecord>,
    pub config_drive: bool,
    /// From the flavor: local disks a snapshot does not include.
    pub ephemeral_gib: u64,
    pub swap_mib: u64,
}

impl ServerRecord {
    /// The root volume of a boot-from-volume server.
    pub fn root_volume(&self) -> Option<&VolumeRecord> {
        self.volumes.iter().find(|v| v.boot_index == Some(0))
    }

    /// Attached volumes other than the root one.
    pub fn data_volumes(&self) -> impl Iterator<Item = &VolumeRecord> {
        self.volumes.iter().filter(|v| v.boot_index != Some(0))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub id: ServerGroupId,
    pub name: String,
}

/// A Neutron port of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRecord {
    pub id: PortId,
    pub network_id: NetworkId,
    pub mac: String,
    pub fixed_ips: Vec<FixedIp>,
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedIp {
    pub subnet_id: SubnetId,
    pub ip: String,
}

/// A nova-network interface: the fixed network and address (a rebuild asks
/// for the same address; nova-network cannot choose the MAC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedNetworkRecord {
    pub network_id: NetworkId,
    pub ip: String,
    pub mac: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeRecord {
    pub id: VolumeId,
    pub device: Option<String>,
    /// `Some(0)` for the root volume.
    pub boot_index: Option<i64>,
    pub delete_on_termination: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloatingIpRecord {
    pub address: String,
    /// Neutron: the floating IP's id and the port it is on (kept with the
    /// port). `None` in nova-network, where the address is re-added.
    pub id: Option<FloatingIpId>,
    pub port_id: Option<PortId>,
}
