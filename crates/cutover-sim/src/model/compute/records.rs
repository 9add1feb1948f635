/*!
A Nova region's plain records: hosts and their services, flavors, keypairs
(with Nova's fingerprint), server groups, aggregates and quota sets.
*/

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A compute host: a hypervisor with capacity, and its `nova-compute` service.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub name: String,
    /// Integer id used in URLs before microversion 2.53.
    pub hypervisor_id: u64,
    /// UUID used from 2.53 on.
    pub hypervisor_uuid: String,
    pub vcpus: u32,
    pub memory_mb: u64,
    pub local_gb: u64,
    pub host_ip: String,
    /// The availability zone of an aggregate holding the host, else the default.
    pub availability_zone: Option<String>,
}

/// A row of `os-services`.
#[derive(Debug, Clone, Serialize)]
pub struct ComputeService {
    pub id: u64,
    pub uuid: String,
    pub binary: String,
    pub host: String,
    /// `internal` for control services, else the host's zone.
    pub zone: String,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    /// False when the service stopped reporting (a "service down" fault).
    pub up: bool,
    pub forced_down: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    pub vcpus: u32,
    pub ram_mb: u64,
    pub disk_gb: u64,
    pub ephemeral_gb: u64,
    pub swap_mb: u64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub disabled: bool,
    pub description: Option<String>,
    pub extra_specs: BTreeMap<String, String>,
    /// Projects given access to a private flavor.
    pub access: BTreeSet<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Keypair {
    pub name: String,
    pub user_id: String,
    pub public_key: String,
    pub fingerprint: String,
    /// `ssh` or `x509` (2.2+).
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub id: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerGroup {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    /// `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`.
    pub policy: String,
    pub rules: BTreeMap<String, serde_json::Value>,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub id: u64,
    pub uuid: String,
    pub name: String,
    pub availability_zone: Option<String>,
    pub hosts: BTreeSet<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Nova quota limits; `-1` is unlimited.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct QuotaSet {
    pub instances: i64,
    pub cores: i64,
    pub ram: i64,
    pub key_pairs: i64,
    pub metadata_items: i64,
    pub server_groups: i64,
    pub server_group_members: i64,
    pub injected_files: i64,
    pub injected_file_content_bytes: i64,
    pub injected_file_path_bytes: i64,
    /// nova-network only (and below 2.36 in the API).
    pub floating_ips: i64,
    pub fixed_ips: i64,
    pub security_groups: i64,
    pub security_group_rules: i64,
}

impl Default for QuotaSet {
    fn default() -> QuotaSet {
        // Nova's shipped defaults.
        QuotaSet {
            instances: 10,
            cores: 20,
            ram: 51200,
            key_pairs: 100,
            metadata_items: 128,
            server_groups: 10,
            server_group_members: 10,
            injected_files: 5,
            injected_file_content_bytes: 10240,
            injected_file_path_bytes: 255,
            floating_ips: 10,
            fixed_ips: -1,
            security_groups: 10,
            security_group_rules: 20,
        }
    }
}

impl QuotaSet {
    /// Overrides the named limits (unknown names are ignored).
    pub fn apply(&mut self, limits: &BTreeMap<String, i64>) {
        let Ok(serde_json::Value::Object(mut all)) = serde_json::to_value(&*self) else { return };
        for (k, v) in limits {
            if all.contains_key(k) {
                all.insert(k.clone(), serde_json::json!(v));
            }
        }
        if let Ok(q) = serde_json::from_value(serde_json::Value::Object(all)) {
            *self = q;
        }
    }
}

/// Nova's keypair fingerprint: the MD5 of the decoded key blob, as
/// colon-separated hex; `None` when the text is not an OpenSSH public key
/// (Nova answers 400 "Keypair data is invalid").
pub fn keypair_fingerprint(public_key: &str) -> Option<String> {
    use base64::Engine as _;
    use md5::Digest as _;
    let mut words = public_key.split_whitespace();
    let kind = words.next()?;
    let blob = base64::engine::general_purpose::STANDARD.decode(words.next()?).ok()?;
    // The blob starts with the key type as a length-prefixed string.
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    if blob.get(4..4 + len)? != kind.as_bytes() {
        return None;
    }
    let digest = md5::Md5::digest(&blob);
    Some(digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
}
