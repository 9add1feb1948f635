/*!
Server actions a move runs: `os-stop`, `os-start`, `createImage` (the image
id from the body at 2.45+, else from the `Location` header), nova-network's
`addFloatingIp` (below 2.44), the server's tags (2.26+) and its delete. Each returns Nova's
answer as is; deciding what an error means is the caller's.
*/

use std::collections::BTreeMap;

use cutover_core::microversion::Microversion;
use http::header::LOCATION;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::call::Call;
use crate::error::{Error, Result};
use crate::region::{segment, RegionClient};

const BASE: Microversion = Microversion::new(2, 1);
/// `createImage` answers `{"image_id": ...}`.
pub const IMAGE_ID_IN_BODY: Microversion = Microversion::new(2, 45);

#[derive(Deserialize)]
struct CreatedImage {
    image_id: String,
}

impl RegionClient {
    fn server_action(&self, server: &str, version: Microversion, body: &Value) -> Result<Call> {
        Ok(Call::post(ServiceType::Compute, format!("servers/{}/action", segment(server)), body)?
            .microversion("compute", version))
    }

    /// `os-stop`: 202, or 409 when the server is already off or busy.
    pub async fn stop_server(&self, server: &str) -> Result<()> {
        self.send(self.server_action(server, BASE, &json!({"os-stop": null}))?).await
    }

    /// `os-start`: 202, or 409 when the server is already on or busy.
    pub async fn start_server(&self, server: &str) -> Result<()> {
        self.send(self.server_action(server, BASE, &json!({"os-start": null}))?).await
    }

    /// `createImage` named `name` with `metadata` as image properties;
    /// returns the new image's id.
    pub async fn create_server_image(
        &self,
        server: &str,
        name: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Result<String> {
        let version = self.compute_version(&[IMAGE_ID_IN_BODY, BASE]);
        let call =
            self.server_action(server, version, &json!({"createImage": {"name": name, "metadata": metadata}}))?;
        let response = self.raw(call).await?;
        if version >= IMAGE_ID_IN_BODY {
            let created: CreatedImage = serde_json::from_slice(response.body())
                .map_err(|e| Error::Request(format!("createImage answered without image_id: {e}")))?;
            return Ok(created.image_id);
        }
        let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        location
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::Request("createImage answered without a Location header".into()))
    }

    /// `DELETE /servers/{id}`: 204, 404 when already gone.
    pub async fn delete_server(&self, server: &str) -> Result<()> {
        self.send(
            Call::delete(ServiceType::Compute, format!("servers/{}", segment(server))).microversion("compute", BASE),
        )
        .await
    }

    /// `PUT /servers/{id}/tags` (2.26+): the server's tags become `tags`.
    pub async fn set_server_tags(&self, server: &str, tags: &[String]) -> Result<()> {
        let path = format!("servers/{}/tags", segment(server));
        let call = Call::put(ServiceType::Compute, path, &json!({ "tags": tags }))?;
        self.send(call.microversion("compute", Microversion::new(2, 26))).await
    }

    /// nova-network: associates `address` (allocated to the server's
    /// project) with the server's first fixed IPv4 address.
    pub async fn add_floating_ip(&self, server: &str, address: &str) -> Result<()> {
        self.send(self.server_action(server, BASE, &json!({"addFloatingIp": {"address": address}}))?).await
    }
}
