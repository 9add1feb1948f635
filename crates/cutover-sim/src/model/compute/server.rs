/*!
A Nova server: its states, network and block device attachments, fault,
the API `status` derived from them, its `hostId`, and the Neutron port Nova
creates for it.
*/

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Nova's `vm_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VmState {
    Building,
    Active,
    Stopped,
    Paused,
    Suspended,
    Shelved,
    ShelvedOffloaded,
    Error,
    Deleted,
    SoftDeleted,
}

impl VmState {
    pub fn as_str(&self) -> &'static str {
        match self {
            VmState::Building => "building",
            VmState::Active => "active",
            VmState::Stopped => "stopped",
            VmState::Paused => "paused",
            VmState::Suspended => "suspended",
            VmState::Shelved => "shelved",
            VmState::ShelvedOffloaded => "shelved_offloaded",
            VmState::Error => "error",
            VmState::Deleted => "deleted",
            VmState::SoftDeleted => "soft-delete",
        }
    }
}

/// Nova's `power_state` numbers as the API shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PowerState {
    NoState = 0,
    Running = 1,
    Paused = 3,
    Shutdown = 4,
    Crashed = 6,
    Suspended = 7,
}

/// A server's network attachment.
#[derive(Debug, Clone, Serialize)]
pub struct Nic {
    /// Neutron port id; `None` in nova-network regions.
    pub port_id: Option<String>,
    pub network_id: String,
    /// Network label as shown in `addresses`.
    pub network_name: String,
    pub mac_address: String,
    pub fixed_ips: Vec<String>,
    /// Floating IPs shown in `addresses` (nova-network) — Neutron ones are
    /// looked up through the port.
    pub floating_ips: Vec<String>,
    /// The user passed this port by id at boot: Nova unbinds it on delete
    /// instead of deleting it.
    pub preserve_on_delete: bool,
    pub tag: Option<String>,
}

/// A block device mapping of a server.
#[derive(Debug, Clone, Serialize)]
pub struct BlockDevice {
    pub volume_id: String,
    pub boot_index: Option<i32>,
    pub device_name: String,
    pub delete_on_termination: bool,
    pub tag: Option<String>,
    /// The attachment's id (2.89+).
    pub attachment_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub code: u16,
    pub message: String,
    pub details: String,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Server {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    pub flavor_id: String,
    /// `None` for servers booted from a volume.
    pub image_id: Option<String>,
    pub key_name: Option<String>,
    /// The public key of `key_name` when it booted: Nova keeps it with the
    /// instance (for the metadata service), whatever becomes of the key pair.
    pub key_data: Option<String>,
    /// Base64 text, as given at boot.
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
    pub description: Option<String>,
    /// The zone the user asked for, if any.
    pub requested_az: Option<String>,
    pub host: Option<String>,
    pub vm_state: VmState,
    pub task_state: Option<String>,
    pub power_state: PowerState,
    pub nics: Vec<Nic>,
    pub block_devices: Vec<BlockDevice>,
    /// Security group names.
    pub security_groups: Vec<String>,
    pub server_group: Option<String>,
    pub config_drive: bool,
    /// Paths of files injected at boot (personality, below 2.57).
    pub personality: Vec<String>,
    pub access_ipv4: String,
    pub access_ipv6: String,
    pub locked: bool,
    /// Why the server was locked (2.73+).
    pub locked_reason: Option<String>,
    /// `owner` or `admin`: who locked it, so only an admin can lift an
    /// admin's lock.
    pub locked_by: Option<String>,
    pub fault: Option<Fault>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub launched_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    /// Monotonic revision so a completed transition can tell whether a newer
    /// action superseded it.
    pub generation: u64,
    /// Nova's integer database id (for `instance-%08x` names); given by
    /// [`ComputeRegion::insert_server`](super::ComputeRegion::insert_server) when zero.
    pub internal_id: u64,
}

impl Server {
    /// A server record with Nova's defaults, not yet placed or started.
    pub fn new(
        id: String,
        name: String,
        project_id: String,
        user_id: String,
        flavor_id: String,
        now: DateTime<Utc>,
    ) -> Server {
        Server {
            id,
            name,
            project_id,
            user_id,
            flavor_id,
            image_id: None,
            key_name: None,
            key_data: None,
            user_data: None,
            metadata: BTreeMap::new(),
            tags: BTreeSet::new(),
            description: None,
            requested_az: None,
            host: None,
            vm_state: VmState::Building,
            task_state: Some("scheduling".into()),
            power_state: PowerState::NoState,
            nics: Vec::new(),
            block_devices: Vec::new(),
            security_groups: Vec::new(),
            server_group: None,
            config_drive: false,
            personality: Vec::new(),
            access_ipv4: String::new(),
            access_ipv6: String::new(),
            locked: false,
            locked_reason: None,
            locked_by: None,
            fault: None,
            created: now,
            updated: now,
            launched_at: None,
            terminated_at: None,
            generation: 0,
            internal_id: 0,
        }
    }

    /// The API's `status`, derived from `vm_state` and `task_state` the way
    /// Nova's `common.status_from_state` does.
    pub fn status(&self) -> &'static str {
        let task = self.task_state.as_deref();
        match self.vm_state {
            VmState::Building => "BUILD",
            VmState::Active => match task {
                Some("rebooting") | Some("reboot_pending") | Some("reboot_started") => "REBOOT",
                Some("rebooting_hard") | Some("reboot_pending_hard") | Some("reboot_started_hard") => "HARD_REBOOT",
                Some("rebuilding") | Some("rebuild_block_device_mapping") | Some("rebuild_spawning") => "REBUILD",
                Some("migrating") => "MIGRATING",
                Some("resize_prep") | Some("resize_migrating") | Some("resize_migrated") | Some("resize_finish") => {
                    "RESIZE"
                }
                Some("updating_password") => "PASSWORD",
                _ => "ACTIVE",
            },
            VmState::Stopped => "SHUTOFF",
            VmState::Paused => "PAUSED",
            VmState::Suspended => "SUSPENDED",
            VmState::Shelved => "SHELVED",
            VmState::ShelvedOffloaded => "SHELVED_OFFLOADED",
            VmState::Error => "ERROR",
            VmState::Deleted => "DELETED",
            VmState::SoftDeleted => "SOFT_DELETED",
        }
    }
}

/// Nova's `hostId`: SHA-224 of project id and host name, so that servers of
/// one project on one host share it without revealing the host.
pub fn host_id(project_id: &str, host: Option<&str>) -> String {
    use sha2::Digest as _;
    match host {
        Some(h) if !h.is_empty() => {
            sha2::Sha224::digest(format!("{project_id}{h}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
        }
        _ => String::new(),
    }
}

/// What Nova puts on a Neutron port it creates for a server.
pub struct ServerPort<'a> {
    pub id: String,
    pub network_id: String,
    pub project_id: &'a str,
    pub mac_address: String,
    pub fixed_ips: Vec<crate::model::network::FixedIp>,
    pub server_id: &'a str,
    /// The server's availability zone (`device_owner` is `compute:<az>`).
    pub zone: &'a str,
    /// The host the port is bound to; `None` until the server spawns.
    pub host: Option<&'a str>,
    pub security_groups: Vec<String>,
    pub now: DateTime<Utc>,
}

impl ServerPort<'_> {
    /// The port record: owned by the server, `ACTIVE` once bound to a host
    /// (the VIF is plugged), `DOWN` before.
    pub fn build(self) -> crate::model::network::Port {
        let bound = self.host.is_some();
        crate::model::network::Port {
            id: self.id,
            name: String::new(),
            network_id: self.network_id,
            project_id: self.project_id.to_string(),
            mac_address: self.mac_address,
            fixed_ips: self.fixed_ips,
            device_id: self.server_id.to_string(),
            device_owner: format!("compute:{}", self.zone),
            binding_host_id: self.host.unwrap_or_default().to_string(),
            binding_vif_type: if bound { "ovs" } else { "unbound" }.into(),
            binding_vnic_type: "normal".into(),
            security_groups: self.security_groups,
            admin_state_up: true,
            status: if bound { "ACTIVE" } else { "DOWN" }.into(),
            description: String::new(),
            created_at: self.now,
            updated_at: self.now,
            revision_number: 1,
        }
    }
}
