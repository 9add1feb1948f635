/*!
The shared services' resources servers depend on: Glance images, Neutron
networks and ports (or nova-network's fixed networks), Cinder volumes.
*/

use serde::{Deserialize, Serialize};

/// A Glance image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub status: String,
    pub owner: Option<String>,
    pub visibility: Option<String>,
    pub size: Option<u64>,
}

/// A network: a Neutron network, or a nova-network fixed network (whose
/// `name` is its label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub project_id: Option<String>,
    pub external: bool,
    pub shared: bool,
}

/// A Neutron port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    /// The server (or router, DHCP agent, ...) the port belongs to.
    pub device_id: String,
    pub device_owner: String,
    pub mac_address: String,
    pub fixed_ips: Vec<String>,
}

/// A Cinder volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub name: Option<String>,
    pub project_id: Option<String>,
    pub status: String,
    pub size_gib: u64,
    pub bootable: bool,
    /// Ids of the servers it is attached to.
    pub attached_to: Vec<String>,
}
