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
}
