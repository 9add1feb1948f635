/*!
Cinder volumes of every project (`all_tenants`, admin), with the servers
each is attached to.
*/

use cutover_core::model::{Volume, VolumeAttachment};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireVolume {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "os-vol-tenant-attr:tenant_id", default)]
    project_id: Option<String>,
    status: String,
    size: u64,
    /// `"true"` / `"false"`, a string in Cinder's body.
    #[serde(default)]
    bootable: serde_json::Value,
    #[serde(default)]
    attachments: Vec<WireAttachment>,
    /// The image a volume was made from: its properties, `os_type` among them.
    #[serde(default)]
    volume_image_metadata: std::collections::BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct WireAttachment {
    #[serde(default)]
    server_id: Option<String>,
    #[serde(default)]
    device: Option<String>,
}

impl RegionClient {
    /// Every volume of every project.
    pub async fn volumes(&self) -> Result<Vec<Volume>> {
        let call = Call::get(ServiceType::BlockStorage, "volumes/detail").query("all_tenants", 1).key("volumes");
        let wire: Vec<WireVolume> = self.list(call).await?;
        wire.into_iter()
            .map(|v| {
                Ok(Volume {
                    status: self.parse_status("volume", &v.id, &v.status)?,
                    bootable: v.bootable.as_str().map_or(v.bootable.as_bool() == Some(true), |b| b == "true"),
                    id: v.id.into(),
                    name: v.name,
                    project_id: v.project_id.map(Into::into),
                    size_gib: v.size,
                    attached_to: v.attachments.iter().filter_map(|a| a.server_id.clone().map(Into::into)).collect(),
                    attachments: v
                        .attachments
                        .into_iter()
                        .filter_map(|a| Some(VolumeAttachment { server_id: a.server_id?.into(), device: a.device }))
                        .collect(),
                    os_type: v.volume_image_metadata.get("os_type").and_then(|t| t.as_str()).map(str::to_string),
                })
            })
            .collect()
    }
}
