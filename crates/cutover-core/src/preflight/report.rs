/*!
The preflight report: every rule's checks, in report order, and whether
any of them failed.
*/

use super::capacity::AllocationRatios;
use super::check::{Check, Status};
use super::observation::Observation;
use super::{access, capacity, inventory, zones};
use crate::plan::zones::ZoneMap;

/// Every check, in report order; `zone_map` is the operator's (old zone
/// -> new zone, as `cutover plan` will record it).
pub fn evaluate(obs: &Observation, ratios: AllocationRatios, zone_map: &ZoneMap) -> Vec<Check> {
    let mut checks = access::checks(obs);
    checks.extend(capacity::check(obs, ratios));
    checks.extend(inventory::checks(obs));
    checks.extend(zones::checks(obs, zone_map));
    checks
}

/// Whether any check failed.
pub fn failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}
