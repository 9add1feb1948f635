/*!
`POST /servers`: a rebuild booted with everything a moved server keeps.
The body is stated for the microversion asked (tags at boot from 2.52,
`description` from 2.19, `networks` required from 2.37); what the region
cannot take is left out and said so by [`BootRequest::dropped`].
*/

use std::collections::BTreeMap;

use cutover_core::id::{FlavorId, ImageId, NetworkId, PortId, ServerGroupId, VolumeId};
use cutover_core::microversion::Microversion;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

const TAGS_AT_BOOT: Microversion = Microversion::new(2, 52);
const DESCRIPTION: Microversion = Microversion::new(2, 19);
const NETWORKS_REQUIRED: Microversion = Microversion::new(2, 37);

/// What the rebuild boots from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootDisk {
    Image(ImageId),
    /// An existing volume as the root disk, kept when the server is deleted.
    Volume(VolumeId),
}

/// One NIC of the rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nic {
    /// A Neutron port passed by id (kept on delete).
    Port(PortId),
    /// A nova-network network and the fixed address asked for.
    Fixed { network: NetworkId, ip: String },
}

/// A server to boot, in the token's project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootRequest {
    pub name: String,
    pub flavor_id: FlavorId,
    pub disk: Option<BootDisk>,
    pub nics: Vec<Nic>,
    pub key_name: Option<String>,
    /// Base64.
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub availability_zone: Option<String>,
    /// The booting region's server group id.
    pub group: Option<ServerGroupId>,
    /// nova-network only: Neutron ports carry their own.
    pub security_groups: Vec<String>,
    pub config_drive: bool,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

impl BootRequest {
    /// The microversion the request is sent at in `region`.
    pub fn version(region: &RegionClient) -> Microversion {
        region.compute_version(&[TAGS_AT_BOOT, DESCRIPTION, Microversion::new(2, 1)])
    }

    /// What the request carries that `version` cannot express.
    pub fn dropped(&self, version: Microversion) -> Vec<&'static str> {
        let mut dropped = Vec::new();
        if !self.tags.is_empty() && version < TAGS_AT_BOOT {
            dropped.push("tags");
        }
        if self.description.is_some() && version < DESCRIPTION {
            dropped.push("description");
        }
        dropped
    }

    /// The `POST /servers` body at `version`.
    pub fn body(&self, version: Microversion) -> Value {
        let mut server = Map::new();
        server.insert("name".into(), json!(self.name));
        server.insert("flavorRef".into(), json!(self.flavor_id));
        match &self.disk {
            Some(BootDisk::Image(id)) => {
                server.insert("imageRef".into(), json!(id));
            }
            Some(BootDisk::Volume(id)) => {
                server.insert(
                    "block_device_mapping_v2".into(),
                    json!([{"boot_index": 0, "uuid": id, "source_type": "volume",
                            "destination_type": "volume", "delete_on_termination": false}]),
                );
            }
            None => {}
        }
        let nics: Vec<Value> = self
            .nics
            .iter()
            .map(|nic| match nic {
                Nic::Port(id) => json!({"port": id}),
                Nic::Fixed { network, ip } => json!({"uuid": network, "fixed_ip": ip}),
            })
            .collect();
        if !nics.is_empty() {
            server.insert("networks".into(), json!(nics));
        } else if version >= NETWORKS_REQUIRED {
            server.insert("networks".into(), json!("none"));
        }
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                server.insert(key.into(), value);
            }
        };
        put("key_name", self.key_name.as_ref().map(|k| json!(k)));
        put("user_data", self.user_data.as_ref().map(|u| json!(u)));
        put("metadata", (!self.metadata.is_empty()).then(|| json!(self.metadata)));
        put("tags", (!self.tags.is_empty() && version >= TAGS_AT_BOOT).then(|| json!(self.tags)));
        put("description", self.description.as_ref().filter(|_| version >= DESCRIPTION).map(|d| json!(d)));
        put("availability_zone", self.availability_zone.as_ref().map(|z| json!(z)));
        put(
            "security_groups",
            (!self.security_groups.is_empty())
                .then(|| json!(self.security_groups.iter().map(|g| json!({"name": g})).collect::<Vec<_>>())),
        );
        put("config_drive", self.config_drive.then_some(json!(true)));
        let mut body = json!({"server": server});
        if let Some(group) = &self.group {
            body["os:scheduler_hints"] = json!({"group": group});
        }
        body
    }
}

impl RegionClient {
    /// Boots `request` in the token's project; returns the new server's id.
    /// Never retried (a POST): after a failure, look the server up.
    pub async fn boot_server(&self, request: &BootRequest) -> Result<String> {
        let version = BootRequest::version(self);
        let call = Call::post(ServiceType::Compute, "servers", &request.body(version))?
            .microversion("compute", version)
            .key("server");
        let created: Created = self.query(call).await?;
        Ok(created.id)
    }
}
