/*!
The catalog through Keystone's admin API: regions, services and endpoints
listed as registered (URL templates unfilled, disabled ones too), and the
writes that register a new region: create a region, create an endpoint,
change an endpoint's URL; and the one that retires the old region's
compute: delete an endpoint.
*/

use http::Method;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use cutover_core::model::{Catalog, CatalogService, Endpoint, Interface, Region};

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

#[derive(Deserialize)]
struct WireRegion {
    id: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct WireService {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Deserialize)]
struct WireEndpoint {
    id: String,
    service_id: String,
    /// Since identity API 3.2; older Keystones send only `region`.
    #[serde(default)]
    region_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
    interface: String,
    url: String,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

impl WireEndpoint {
    /// `None` for an interface Keystone should not have stored.
    fn into_model(self) -> Option<Endpoint> {
        Some(Endpoint {
            interface: Interface::parse(&self.interface)?,
            id: self.id,
            service_id: self.service_id,
            region: self.region_id.or(self.region).map(Into::into),
            url: self.url,
            enabled: self.enabled,
        })
    }
}

// Keystone's lists are not paged (a `list_limit` truncates them), so they
// are read with one `query`: openstack_sdk's paging would send a marker
// Keystone ignores and read the same page again.
impl RegionClient {
    /// Every region, service and endpoint Keystone has.
    pub async fn keystone_catalog(&self) -> Result<Catalog> {
        let regions: Vec<WireRegion> = self.query(Call::get(ServiceType::Identity, "regions").key("regions")).await?;
        let services: Vec<WireService> =
            self.query(Call::get(ServiceType::Identity, "services").key("services")).await?;
        let endpoints: Vec<WireEndpoint> =
            self.query(Call::get(ServiceType::Identity, "endpoints").key("endpoints")).await?;
        Ok(Catalog {
            regions: regions
                .into_iter()
                .map(|r| Region { id: r.id.into(), description: r.description.unwrap_or_default() })
                .collect(),
            services: services
                .into_iter()
                .map(|s| CatalogService {
                    id: s.id,
                    kind: s.kind,
                    name: s.name.unwrap_or_default(),
                    enabled: s.enabled,
                })
                .collect(),
            endpoints: endpoints.into_iter().filter_map(WireEndpoint::into_model).collect(),
        })
    }

    /// Creates region `id` (its name) with `description`.
    pub async fn create_region(&self, id: &str, description: &str) -> Result<()> {
        let body = json!({"region": {"id": id, "description": description}});
        self.send(Call::post(ServiceType::Identity, "regions", &body)?).await
    }

    /// Registers an enabled endpoint; returns its id.
    pub async fn create_endpoint(
        &self,
        service_id: &str,
        region: &str,
        interface: Interface,
        url: &str,
    ) -> Result<String> {
        #[derive(Deserialize)]
        struct Created {
            id: String,
        }
        // `region` for Keystones older than identity API 3.2, which know no
        // `region_id`; newer ones accept both when they agree.
        let body = json!({"endpoint": {
            "service_id": service_id, "region_id": region, "region": region,
            "interface": interface.as_str(), "url": url, "enabled": true,
        }});
        let created: Created =
            self.query(Call::post(ServiceType::Identity, "endpoints", &body)?.key("endpoint")).await?;
        Ok(created.id)
    }

    /// Points endpoint `id` at `url` and enables it.
    pub async fn update_endpoint(&self, id: &str, url: &str) -> Result<()> {
        let body = json!({"endpoint": {"url": url, "enabled": true}});
        let call = Call::new(Method::PATCH, ServiceType::Identity, format!("endpoints/{}", segment(id))).body(&body)?;
        self.send(call).await
    }

    /// Deletes endpoint `id`; `Ok(false)` when it was already gone.
    pub async fn delete_endpoint(&self, id: &str) -> Result<bool> {
        match self.send(Call::delete(ServiceType::Identity, format!("endpoints/{}", segment(id)))).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
