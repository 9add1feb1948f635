/*!
Availability zones (`os-availability-zone`, the list any user may read):
the zones a boot may name. Nova lists the zones of its services (a compute
host's aggregate zone, else the default zone; the `internal` zone of the
other services is hidden), available while one of their services is
enabled; an aggregate's zone with no host in it is not listed.
*/

use cutover_core::model::AvailabilityZone;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

#[derive(Deserialize)]
struct WireZone {
    #[serde(rename = "zoneName")]
    name: String,
    #[serde(rename = "zoneState", default)]
    state: Option<WireState>,
}

#[derive(Deserialize)]
struct WireState {
    #[serde(default)]
    available: bool,
}

impl RegionClient {
    /// The region's zones and whether each is available.
    pub async fn availability_zones(&self) -> Result<Vec<AvailabilityZone>> {
        let call = Call::get(ServiceType::Compute, "os-availability-zone").key("availabilityZoneInfo");
        let wire: Vec<WireZone> = self.query(call).await?;
        Ok(wire
            .into_iter()
            .map(|z| AvailabilityZone { name: z.name, available: z.state.is_some_and(|s| s.available) })
            .collect())
    }
}
