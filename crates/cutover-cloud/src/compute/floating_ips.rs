/*!
nova-network floating IPs (an old Nova, asked at 2.1): the admin's bulk
listing and creation of pool addresses, and a project's allocation, which
takes a free address of the pool (Nova's choice) for the token's project.
In a Neutron region the bulk API answers 410 (404 from 2.36).
*/

use cutover_core::microversion::Microversion;
use cutover_core::model::PoolAddress;
use http::StatusCode;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

const BASE: Microversion = Microversion::new(2, 1);

#[derive(Deserialize)]
struct WireBulk {
    address: String,
    pool: String,
    #[serde(default)]
    interface: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    instance_uuid: Option<String>,
}

/// A project's allocated floating IP.
#[derive(Debug, Clone, Deserialize)]
pub struct Allocated {
    pub id: serde_json::Value,
    pub ip: String,
    pub pool: String,
}

impl Allocated {
    /// Nova-network ids are integers; Neutron's proxy gives UUIDs.
    pub fn id(&self) -> String {
        match &self.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl RegionClient {
    /// Every address of every nova-network pool, free or allocated; `None`
    /// when the region's Nova has no nova-network (410 or 404).
    pub async fn pool_addresses(&self) -> Result<Option<Vec<PoolAddress>>> {
        let call = Call::get(ServiceType::Compute, "os-floating-ips-bulk")
            .microversion("compute", BASE)
            .key("floating_ip_info");
        let wire: Vec<WireBulk> = match self.query(call).await {
            Ok(wire) => wire,
            Err(e) if e.status() == Some(StatusCode::GONE) || e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(
            wire.into_iter()
                .map(|w| PoolAddress {
                    address: w.address,
                    pool: w.pool,
                    interface: w.interface.unwrap_or_default(),
                    project_id: w.project_id.map(Into::into),
                    instance_id: w.instance_uuid.map(Into::into),
                })
                .collect(),
        ))
    }

    /// Adds `address` alone (a /32) to `pool`, free, on `interface`.
    pub async fn create_pool_address(&self, address: &str, pool: &str, interface: &str) -> Result<()> {
        let body = json!({"floating_ips_bulk_create": {"ip_range": address, "pool": pool, "interface": interface}});
        let call = Call::post(ServiceType::Compute, "os-floating-ips-bulk", &body)?.microversion("compute", BASE);
        self.send(call).await
    }

    /// Allocates a free address of `pool` to the token's project; Nova
    /// picks which.
    pub async fn allocate_floating_ip(&self, pool: &str) -> Result<Allocated> {
        let call = Call::post(ServiceType::Compute, "os-floating-ips", &json!({"pool": pool}))?
            .microversion("compute", BASE)
            .key("floating_ip");
        self.query(call).await
    }

    /// Returns an allocated address to its pool.
    pub async fn deallocate_floating_ip(&self, id: &str) -> Result<()> {
        let call = Call::delete(ServiceType::Compute, format!("os-floating-ips/{}", segment(id)))
            .microversion("compute", BASE);
        self.send(call).await
    }
}
