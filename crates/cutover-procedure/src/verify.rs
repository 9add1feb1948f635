/*!
Env verify: the new region's compute services and hypervisors, read and
judged row by row by `cutover_core::newenv::verify` (a conductor and a
scheduler up, every expected compute host up with a hypervisor).
*/

use std::collections::BTreeSet;

use cutover_cloud::Profile;
use cutover_core::newenv::verify::{verify as judge, Row};

use crate::{connect, Result};

/// Added to an unknown region's message: the region must be registered
/// before its services can be checked.
const REGISTER_HINT: &str = "; register it first with `cutover env register`";

/// The rows of `region`'s services, `expected` naming the compute hosts
/// that must be there (`None`: any one).
pub async fn verify(profile: &Profile, region: &str, expected: Option<&BTreeSet<String>>) -> Result<Vec<Row>> {
    let client = connect(profile, region, REGISTER_HINT).await?;
    if expected.is_none() {
        tracing::warn!(
            "no expected compute hosts (--host, --hosts-file or [sync] host_map): only checking that one nova-compute is up"
        );
    }
    let services = client.compute_services().await?;
    let hypervisors = client.hypervisors().await?;
    Ok(judge(&services, &hypervisors, expected))
}
