/*!
`/servers/{id}/os-volume_attachments`: attach, detach, and from 2.85 the
attachment's `delete_on_termination`, which a `volume` move turns off so
the root volume survives the server's delete.
*/

use cutover_core::microversion::Microversion;
use openstack_sdk::types::ServiceType;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

/// `PUT` may change `delete_on_termination`.
pub const CHANGE_DELETE_ON_TERMINATION: Microversion = Microversion::new(2, 85);
const BASE: Microversion = Microversion::new(2, 1);

fn attachments(server: &str) -> String {
    format!("servers/{}/os-volume_attachments", segment(server))
}

impl RegionClient {
    /// Whether the region can keep a root volume by changing its attachment.
    pub fn can_keep_root_volume(&self) -> bool {
        self.compute_versions().offers(CHANGE_DELETE_ON_TERMINATION)
    }

    /// Attaches `volume` to `server`; Nova picks the device.
    pub async fn attach_volume(&self, server: &str, volume: &str) -> Result<()> {
        let call =
            Call::post(ServiceType::Compute, attachments(server), &json!({"volumeAttachment": {"volumeId": volume}}))?
                .microversion("compute", BASE);
        self.send(call).await
    }

    /// Detaches `volume` from `server` (404 when not attached).
    pub async fn detach_volume(&self, server: &str, volume: &str) -> Result<()> {
        let path = format!("{}/{}", attachments(server), segment(volume));
        self.send(Call::delete(ServiceType::Compute, path).microversion("compute", BASE)).await
    }

    /// Sets the attachment's `delete_on_termination` (2.85+).
    pub async fn set_delete_on_termination(&self, server: &str, volume: &str, delete: bool) -> Result<()> {
        let path = format!("{}/{}", attachments(server), segment(volume));
        let body = json!({"volumeAttachment": {"volumeId": volume, "delete_on_termination": delete}});
        self.send(Call::put(ServiceType::Compute, path, &body)?.microversion("compute", CHANGE_DELETE_ON_TERMINATION))
            .await
    }

    /// Whether `volume` is attached to `server` (Nova's view).
    pub async fn volume_attached(&self, server: &str, volume: &str) -> Result<bool> {
        let path = format!("{}/{}", attachments(server), segment(volume));
        match self.send(Call::get(ServiceType::Compute, path).microversion("compute", BASE)).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
