/*!
Flavors: listed with their extra specs and project access, created with
the same id, and their specs and access brought level.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_core::id::ProjectId;
use cutover_core::microversion::Microversion;
use cutover_core::model::Flavor;
use openstack_sdk::api::compute::v2::flavor::{extra_spec, flavor_access, list_detailed_20};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use crate::call::{microversion, Call};
use crate::error::{Built, Result};
use crate::region::{segment, RegionClient};

/// Extra specs in the flavor body come with 2.61, description with 2.55.
const FLAVOR_VERSIONS: [Microversion; 3] =
    [Microversion::new(2, 61), Microversion::new(2, 55), Microversion::new(2, 1)];

#[derive(Deserialize)]
struct WireFlavor {
    id: String,
    name: String,
    vcpus: u32,
    ram: u64,
    disk: u64,
    #[serde(rename = "OS-FLV-EXT-DATA:ephemeral", default)]
    ephemeral: u64,
    /// `""` when there is none: Nova's oldest wart.
    #[serde(default)]
    swap: serde_json::Value,
    #[serde(default = "one")]
    rxtx_factor: f64,
    #[serde(rename = "os-flavor-access:is_public", default = "yes")]
    is_public: bool,
    #[serde(default)]
    description: Option<String>,
    extra_specs: Option<BTreeMap<String, String>>,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct WireAccess {
    tenant_id: String,
}

impl RegionClient {
    /// Every flavor, public and private, with extra specs and access lists.
    pub async fn flavors(&self) -> Result<Vec<Flavor>> {
        let version = self.compute_version(&FLAVOR_VERSIONS);
        let (name, value) = microversion("compute", version);
        // `is_public=None` is Nova's way for an admin to list private flavors too.
        let endpoint = list_detailed_20::Request::builder().is_public("None").header(name, value).build().built()?;
        let wire: Vec<WireFlavor> = self.list(endpoint).await?;
        let mut flavors = Vec::with_capacity(wire.len());
        for flavor in wire {
            let extra_specs = match flavor.extra_specs {
                Some(specs) => specs,
                None => self.flavor_extra_specs(&flavor.id).await?,
            };
            let access = match flavor.is_public {
                true => BTreeSet::new(),
                false => self.flavor_access(&flavor.id).await?,
            };
            flavors.push(Flavor {
                swap_mib: flavor.swap.as_u64().unwrap_or(0),
                description: if version >= Microversion::new(2, 55) { flavor.description } else { None },
                id: flavor.id.into(),
                name: flavor.name,
                vcpus: flavor.vcpus,
                ram_mib: flavor.ram,
                disk_gib: flavor.disk,
                ephemeral_gib: flavor.ephemeral,
                rxtx_factor: flavor.rxtx_factor,
                is_public: flavor.is_public,
                extra_specs,
                access,
            });
        }
        Ok(flavors)
    }

    /// Creates `flavor` with its id, sizes, visibility and (from 2.55)
    /// description. Extra specs and access are separate calls.
    pub async fn create_flavor(&self, flavor: &Flavor) -> Result<()> {
        let version = self.compute_version(&[Microversion::new(2, 55), Microversion::new(2, 1)]);
        let mut body = json!({
            "id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus, "ram": flavor.ram_mib,
            "disk": flavor.disk_gib, "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gib, "swap": flavor.swap_mib,
            "rxtx_factor": flavor.rxtx_factor, "os-flavor-access:is_public": flavor.is_public,
        });
        if version >= Microversion::new(2, 55) {
            body["description"] = json!(flavor.description);
        }
        let call =
            Call::post(ServiceType::Compute, "flavors", &json!({ "flavor": body }))?.microversion("compute", version);
        self.send(call).await
    }

    /// Whether this region's flavors carry descriptions (2.55 and later).
    pub fn flavor_descriptions(&self) -> bool {
        self.compute_versions().offers(Microversion::new(2, 55))
    }

    /// Sets (adds or overwrites) these extra specs of a flavor.
    pub async fn set_flavor_extra_specs(&self, flavor_id: &str, specs: &BTreeMap<String, String>) -> Result<()> {
        let path = format!("flavors/{}/os-extra_specs", segment(flavor_id));
        self.send(Call::post(ServiceType::Compute, path, &json!({ "extra_specs": specs }))?).await
    }

    /// Deletes one extra spec of a flavor.
    pub async fn delete_flavor_extra_spec(&self, flavor_id: &str, key: &str) -> Result<()> {
        let path = format!("flavors/{}/os-extra_specs/{}", segment(flavor_id), segment(key));
        self.send(Call::delete(ServiceType::Compute, path)).await
    }

    /// Gives `project` access to a private flavor.
    pub async fn add_flavor_access(&self, flavor_id: &str, project: &str) -> Result<()> {
        self.flavor_action(flavor_id, json!({ "addTenantAccess": { "tenant": project } })).await
    }

    /// Takes `project`'s access to a private flavor away.
    pub async fn remove_flavor_access(&self, flavor_id: &str, project: &str) -> Result<()> {
        self.flavor_action(flavor_id, json!({ "removeTenantAccess": { "tenant": project } })).await
    }

    /// Sets (or with `None` clears) a flavor's description; Nova has it
    /// from 2.55, the only flavor field that can change.
    pub async fn update_flavor_description(&self, flavor_id: &str, description: Option<&str>) -> Result<()> {
        let path = format!("flavors/{}", segment(flavor_id));
        let call = Call::put(ServiceType::Compute, path, &json!({ "flavor": { "description": description } }))?
            .microversion("compute", Microversion::new(2, 55));
        self.send(call).await
    }

    async fn flavor_action(&self, flavor_id: &str, body: serde_json::Value) -> Result<()> {
        let path = format!("flavors/{}/action", segment(flavor_id));
        self.send(Call::post(ServiceType::Compute, path, &body)?).await
    }

    async fn flavor_extra_specs(&self, flavor_id: &str) -> Result<BTreeMap<String, String>> {
        let endpoint = extra_spec::list_21::Request::builder().flavor_id(flavor_id).build().built()?;
        self.query(endpoint).await
    }

    async fn flavor_access(&self, flavor_id: &str) -> Result<BTreeSet<ProjectId>> {
        let endpoint = flavor_access::list_21::Request::builder().flavor_id(flavor_id).build().built()?;
        let access: Vec<WireAccess> = self.query(endpoint).await?;
        Ok(access.into_iter().map(|a| a.tenant_id.into()).collect())
    }
}
