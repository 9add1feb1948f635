/*!
Cinder's records: volumes with their attachments, and volume types.
*/

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct VolumeAttachment {
    pub id: String,
    pub server_id: String,
    pub host_name: Option<String>,
    pub device: String,
    pub attached_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub project_id: String,
    pub user_id: String,
    pub size_gb: u64,
    /// `creating`, `available`, `reserved`, `attaching`, `in-use`,
    /// `detaching`, `deleting`, `error`, `downloading`, ...
    pub status: String,
    pub volume_type: String,
    pub bootable: bool,
    pub multiattach: bool,
    pub availability_zone: String,
    pub attachments: Vec<VolumeAttachment>,
    pub source_image_id: Option<String>,
    /// Glance properties copied from the source image.
    pub image_metadata: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeType {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub extra_specs: BTreeMap<String, String>,
}

#[derive(Debug, Default, Serialize)]
pub struct VolumeStore {
    pub volumes: BTreeMap<String, Volume>,
    pub types: BTreeMap<String, VolumeType>,
    /// Attachments ever made, to derive fresh attachment ids.
    #[serde(skip)]
    pub attachments_made: u64,
}

/// Why Cinder refuses a volume operation; the messages are Cinder's own
/// exception texts, so callers can put them in API errors unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VolumeError {
    #[error("Volume {0} could not be found.")]
    NotFound(String),
    /// Cinder's `InvalidVolume`, a 400 in its API.
    #[error("Invalid volume: {0}")]
    Invalid(String),
    #[error("Volume attachment could not be found with filter: {0}.")]
    AttachmentNotFound(String),
}

impl VolumeError {
    /// The HTTP status Cinder answers this error with.
    pub fn status(&self) -> u16 {
        match self {
            VolumeError::NotFound(_) | VolumeError::AttachmentNotFound(_) => 404,
            VolumeError::Invalid(_) => 400,
        }
    }
}

impl VolumeStore {
    pub fn get(&self, volume_id: &str) -> Result<&Volume, VolumeError> {
        self.volumes.get(volume_id).ok_or_else(|| VolumeError::NotFound(volume_id.into()))
    }

    pub fn get_mut(&mut self, volume_id: &str) -> Result<&mut Volume, VolumeError> {
        self.volumes.get_mut(volume_id).ok_or_else(|| VolumeError::NotFound(volume_id.into()))
    }

    /// Attaches a volume to a server, as Cinder's attachment create and
    /// complete do together: the volume must be `available` (or `in-use`
    /// when multiattach); it becomes `in-use`. A second attachment for a
    /// server already holding one is allowed, as Cinder allows it for the
    /// destination host of a migration.
    pub fn attach(
        &mut self,
        volume_id: &str,
        server_id: &str,
        host: Option<String>,
        device: &str,
        now: DateTime<Utc>,
    ) -> Result<VolumeAttachment, VolumeError> {
        self.attachments_made += 1;
        let serial = self.attachments_made;
        let volume = self.get_mut(volume_id)?;
        let expected: &[&str] =
            if volume.multiattach { &["available", "in-use", "downloading"] } else { &["available", "downloading"] };
        let same_server = volume.attachments.iter().any(|a| a.server_id == server_id);
        let reattach = same_server && matches!(volume.status.as_str(), "in-use" | "reserved");
        if !expected.contains(&volume.status.as_str()) && !reattach {
            return Err(VolumeError::Invalid(format!("Volume {} status must be {}", volume.id, or_list(expected))));
        }
        let attachment = VolumeAttachment {
            id: attachment_id(volume_id, server_id, serial),
            server_id: server_id.into(),
            host_name: host,
            device: device.into(),
            attached_at: now,
        };
        volume.attachments.push(attachment.clone());
        volume.status = "in-use".into();
        volume.updated_at = Some(now);
        Ok(attachment)
    }

    /// Removes every attachment of `server_id` from the volume; the volume
    /// is `available` again once no attachment remains.
    pub fn detach(&mut self, volume_id: &str, server_id: &str) -> Result<(), VolumeError> {
        let volume = self.get_mut(volume_id)?;
        let before = volume.attachments.len();
        volume.attachments.retain(|a| a.server_id != server_id);
        if volume.attachments.len() == before {
            return Err(VolumeError::AttachmentNotFound(format!(
                "volume_id = {volume_id} AND instance_uuid = {server_id}"
            )));
        }
        if volume.attachments.is_empty() {
            volume.status = "available".into();
        }
        Ok(())
    }

    /// Removes one attachment by its id (Cinder's attachment delete).
    pub fn remove_attachment(&mut self, attachment_id: &str) -> Result<(), VolumeError> {
        let volume = self
            .volumes
            .values_mut()
            .find(|v| v.attachments.iter().any(|a| a.id == attachment_id))
            .ok_or_else(|| VolumeError::AttachmentNotFound(format!("attachment_id = {attachment_id}")))?;
        volume.attachments.retain(|a| a.id != attachment_id);
        if volume.attachments.is_empty() {
            volume.status = "available".into();
        }
        Ok(())
    }

    /// The volume type named or identified by `name_or_id`.
    pub fn find_type(&self, name_or_id: &str) -> Option<&VolumeType> {
        self.types.get(name_or_id).or_else(|| self.types.values().find(|t| t.name == name_or_id))
    }
}

/// `a or b or c`, as Cinder's `build_or_str` joins allowed statuses.
fn or_list(items: &[&str]) -> String {
    items.join(" or ")
}

/// A repeatable attachment id (the store has no random source of its own).
fn attachment_id(volume_id: &str, server_id: &str, serial: u64) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{volume_id}/{server_id}/{serial}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

impl Volume {
    /// A `creating` volume with Cinder's defaults.
    pub fn new(
        id: String,
        project_id: String,
        user_id: String,
        size_gb: u64,
        volume_type: String,
        now: DateTime<Utc>,
    ) -> Volume {
        Volume {
            id,
            name: None,
            description: None,
            project_id,
            user_id,
            size_gb,
            status: "creating".into(),
            volume_type,
            bootable: false,
            multiattach: false,
            availability_zone: "nova".into(),
            attachments: Vec::new(),
            source_image_id: None,
            image_metadata: BTreeMap::new(),
            metadata: BTreeMap::new(),
            created_at: now,
            updated_at: None,
        }
    }
}
