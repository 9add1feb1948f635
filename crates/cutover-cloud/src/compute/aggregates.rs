/*!
Host aggregates (`os-aggregates`, admin): listed, created with a zone,
filled with hosts and metadata; and the region's compute hosts, which are
the hosts an aggregate can take.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_core::id::HostName;
use cutover_core::model::Aggregate;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireAggregate {
    id: u64,
    name: String,
    #[serde(default)]
    availability_zone: Option<String>,
    #[serde(default)]
    hosts: Option<Vec<String>>,
    #[serde(default)]
    metadata: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct WireService {
    host: String,
}

impl From<WireAggregate> for Aggregate {
    fn from(a: WireAggregate) -> Aggregate {
        Aggregate {
            id: a.id,
            name: a.name,
            availability_zone: a.availability_zone,
            hosts: a.hosts.unwrap_or_default().into_iter().map(Into::into).collect(),
            metadata: a.metadata.unwrap_or_default(),
        }
    }
}

impl RegionClient {
    /// Every aggregate with its hosts and metadata.
    pub async fn aggregates(&self) -> Result<Vec<Aggregate>> {
        let wire: Vec<WireAggregate> =
            self.query(Call::get(ServiceType::Compute, "os-aggregates").key("aggregates")).await?;
        Ok(wire.into_iter().map(Aggregate::from).collect())
    }

    /// Creates an empty aggregate (in zone `zone`, if given).
    pub async fn create_aggregate(&self, name: &str, zone: Option<&str>) -> Result<Aggregate> {
        let body = json!({ "aggregate": { "name": name, "availability_zone": zone } });
        let wire: WireAggregate =
            self.query(Call::post(ServiceType::Compute, "os-aggregates", &body)?.key("aggregate")).await?;
        Ok(wire.into())
    }

    /// Sets these metadata keys (`availability_zone` moves the zone).
    pub async fn set_aggregate_metadata(&self, id: u64, metadata: &BTreeMap<String, String>) -> Result<()> {
        self.aggregate_action(id, json!({ "set_metadata": { "metadata": metadata } })).await
    }

    /// Adds a compute host; Nova refuses one already in another zone.
    pub async fn add_aggregate_host(&self, id: u64, host: &str) -> Result<()> {
        self.aggregate_action(id, json!({ "add_host": { "host": host } })).await
    }

    async fn aggregate_action(&self, id: u64, body: serde_json::Value) -> Result<()> {
        self.send(Call::post(ServiceType::Compute, format!("os-aggregates/{id}/action"), &body)?).await
    }

    /// The hosts of the region's `nova-compute` services, sorted, each once.
    pub async fn compute_service_hosts(&self) -> Result<BTreeSet<HostName>> {
        let call = Call::get(ServiceType::Compute, "os-services").query("binary", "nova-compute").key("services");
        let services: Vec<WireService> = self.query(call).await?;
        Ok(services.into_iter().map(|s| s.host.into()).collect())
    }
}
