/*!
Env verify: the new region's compute services and hypervisors, read and
judged row by row by `cutover_core::newenv::verify` (a conductor and a
scheduler up, every expected compute host up with a hypervisor).
*/

use std::collections::BTreeSet;

use cutover_cloud::{Profile, RegionClient};
use cutover_core::id::HostName;
use cutover_core::newenv::verify::{verify as judge, Row};

use crate::{connect, Result};

/// Added to an unknown region's message: the region must be registered
/// before its services can be checked.
const REGISTER_HINT: &str = "; register it first with `cutover env register`";

/// The new region, connected: [`NewRegion::verify`] reads and judges it.
pub struct NewRegion {
    client: RegionClient,
}

impl NewRegion {
    /// Connects to `region`; an unknown one is [`crate::Error::Input`],
    /// saying to register it first.
    pub async fn connect(profile: &Profile, region: &str) -> Result<NewRegion> {
        Ok(NewRegion { client: connect(profile, region, REGISTER_HINT).await? })
    }

    /// The rows of the region's services, `expected` naming the compute
    /// hosts that must be there (`None`: any one).
    pub async fn verify(&self, expected: Option<&BTreeSet<HostName>>) -> Result<Vec<Row>> {
        let services = self.client.compute_services().await?;
        let hypervisors = self.client.hypervisors().await?;
        Ok(judge(&services, &hypervisors, expected))
    }
}
