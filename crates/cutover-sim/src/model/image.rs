/*!
Glance's records: images with their status, data, checksums and properties.
*/

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    Queued,
    Saving,
    Active,
    Killed,
    Deleted,
    PendingDelete,
    Deactivated,
    Uploading,
    Importing,
}

impl ImageStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ImageStatus::Queued => "queued",
            ImageStatus::Saving => "saving",
            ImageStatus::Active => "active",
            ImageStatus::Killed => "killed",
            ImageStatus::Deleted => "deleted",
            ImageStatus::PendingDelete => "pending_delete",
            ImageStatus::Deactivated => "deactivated",
            ImageStatus::Uploading => "uploading",
            ImageStatus::Importing => "importing",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub status: ImageStatus,
    /// `public`, `private`, `shared` or `community`.
    pub visibility: String,
    pub container_format: Option<String>,
    pub disk_format: Option<String>,
    pub min_disk: u64,
    pub min_ram: u64,
    pub protected: bool,
    /// Hidden from image lists unless asked for (`os_hidden=true`).
    pub os_hidden: bool,
    pub tags: BTreeSet<String>,
    /// Additional properties (everything not a core attribute), as strings
    /// or JSON values the way Glance stores them.
    pub properties: BTreeMap<String, serde_json::Value>,
    pub size: Option<u64>,
    /// Virtual size of the disk the image holds, in bytes.
    pub virtual_size: Option<u64>,
    /// MD5 of the data, hex.
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    #[serde(skip)]
    pub data: Option<Vec<u8>>,
    /// Projects the image is shared with, and each member's status
    /// (`pending`, `accepted`, `rejected`); only `shared` images use them.
    pub members: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize)]
pub struct ImageStore {
    pub images: BTreeMap<String, Image>,
}

impl Image {
    /// A queued image record with Glance's defaults.
    pub fn new(id: String, name: Option<String>, owner: Option<String>, now: DateTime<Utc>) -> Image {
        Image {
            id,
            name,
            owner,
            status: ImageStatus::Queued,
            visibility: "shared".into(),
            container_format: None,
            disk_format: None,
            min_disk: 0,
            min_ram: 0,
            protected: false,
            os_hidden: false,
            tags: BTreeSet::new(),
            properties: BTreeMap::new(),
            size: None,
            virtual_size: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            data: None,
            members: BTreeMap::new(),
            created_at: now,
            updated_at: now,
        }
    }

    /// Stores the image data with its size, MD5 checksum and SHA-512 hash,
    /// as Glance computes them on upload.
    pub fn set_data(&mut self, data: Vec<u8>) {
        use md5::Digest as _;
        self.size = Some(data.len() as u64);
        self.checksum = Some(hex(&md5::Md5::digest(&data)));
        self.os_hash_algo = Some("sha512".into());
        self.os_hash_value = Some(hex(&sha2::Sha512::digest(&data)));
        self.data = Some(data);
    }
}

impl Image {
    /// What Cinder records of the image a volume is created from
    /// (`volume_image_metadata`): its id, name, checksum, formats,
    /// minimums and size, every additional property (`os_type`, ...), as
    /// text, and `signature_verified` (`False`: no image is signed here).
    pub fn volume_image_metadata(&self) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = self
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        m.insert("image_id".into(), self.id.clone());
        m.insert("image_name".into(), self.name.clone().unwrap_or_default());
        m.insert("checksum".into(), self.checksum.clone().unwrap_or_default());
        m.insert("min_disk".into(), self.min_disk.to_string());
        m.insert("min_ram".into(), self.min_ram.to_string());
        if let Some(size) = self.size {
            m.insert("size".into(), size.to_string());
        }
        m.insert("signature_verified".into(), "False".into());
        for (key, value) in [("container_format", &self.container_format), ("disk_format", &self.disk_format)] {
            if let Some(value) = value {
                m.insert(key.into(), value.clone());
            }
        }
        m
    }
}

impl Image {
    /// Whether a caller of `project` (or an admin) may see the image at all:
    /// Glance shows public and community images to everyone, the others to
    /// their owner and shared ones to their members, whatever their status.
    pub fn visible_to(&self, project: Option<&str>, admin: bool) -> bool {
        admin
            || matches!(self.visibility.as_str(), "public" | "community")
            || (project.is_some() && self.owner.as_deref() == project)
            || (self.visibility == "shared" && project.is_some_and(|p| self.members.contains_key(p)))
    }

    /// Whether `project` owns the image (admins may act as owners).
    pub fn owned_by(&self, project: Option<&str>, admin: bool) -> bool {
        admin || (project.is_some() && self.owner.as_deref() == project)
    }

    /// Size in GiB, as a fraction, for the time model.
    pub fn size_gib(&self) -> f64 {
        self.size.unwrap_or(0) as f64 / (1u64 << 30) as f64
    }
}

/// Deterministic filler bytes standing in for a disk image's content.
pub fn synthetic_data(seed: &str, len: usize) -> Vec<u8> {
    use sha2::Digest as _;
    let mut out = Vec::with_capacity(len);
    let mut block = sha2::Sha256::digest(seed.as_bytes());
    while out.len() < len {
        out.extend_from_slice(&block[..block.len().min(len - out.len())]);
        block = sha2::Sha256::digest(block);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
