/*!
Injected faults as the tests set them on the simulator (`cutover_sim::faults`),
and how many requests they hit: a rule for every service, and the share of
requests answered with an injected error or 429 (or held past the client's
timeout) instead of being served.
*/

use cutover_sim::faults::{FaultKind, FaultRule};

use super::SimCloud;

/// A rule for every service (the simulator's own `/sim/` is never hit).
pub fn everywhere(rate: f64, kind: FaultKind) -> FaultRule {
    FaultRule { service: None, region: None, method: None, path_contains: None, rate, limit: None, kind, hits: 0 }
}

/// The requests hit by a rule `counts` keeps, and all requests (those
/// answered and those an error or 429 answered instead).
pub fn hits_and_requests(cloud: &SimCloud, counts: impl Fn(&FaultRule) -> bool) -> (u64, u64) {
    let answered: u64 = cloud.sim().request_counts().values().sum();
    let world = cloud.sim().read();
    let hits = |rule: &&FaultRule| !matches!(rule.kind, FaultKind::Latency { .. });
    let replaced: u64 = world.faults.rules.iter().filter(hits).map(|r| r.hits).sum();
    let counted: u64 = world.faults.rules.iter().filter(|r| counts(r)).map(|r| r.hits).sum();
    (counted, answered + replaced)
}
