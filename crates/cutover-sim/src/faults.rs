/*!
Injected faults: HTTP-level rules (errors, 429 with `Retry-After`, latency,
a service down) matched per request, drawn from the world's seeded
generator so a run with the same seed and requests fails the same way.
Domain faults (boot fails on a host, snapshots end `killed`) are checked by
the services that own those operations.
*/

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::service::ServiceKind;

/// What a matching rule does to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Answer with this status (500 or 503 usually) and the service's error body.
    Error { status: u16 },
    /// Answer 429 with `Retry-After: secs`.
    RateLimit { retry_after_secs: u64 },
    /// Delay the request before handling it.
    Latency { millis: u64 },
    /// The whole service answers 503.
    Down,
}

/// How a request hit by a fault is answered instead of being handled.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Down,
    Error { status: u16 },
    RateLimit { retry_after_secs: u64 },
}

/// One fault rule. Unset selectors match everything. (No
/// `deny_unknown_fields`: serde does not support it with `flatten`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceKind>,
    /// Nova region the rule applies to (compute requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Matches when the request path contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    /// Probability in [0, 1] that a matching request is hit.
    #[serde(default = "always")]
    pub rate: f64,
    /// Stop after hitting this many requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default, skip_deserializing)]
    pub hits: u64,
}

fn always() -> f64 {
    1.0
}

/// What the request being matched looks like.
pub struct RequestFacts<'a> {
    pub service: ServiceKind,
    pub region: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
}

/// Domain fault: snapshots of matching servers end `killed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFault {
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default = "always")]
    pub rate: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    pub rules: Vec<FaultRule>,
    pub snapshot_killed: Option<SnapshotFault>,
}

impl FaultRule {
    fn matches(&self, req: &RequestFacts<'_>) -> bool {
        self.service.is_none_or(|s| s == req.service)
            && self.region.as_deref().is_none_or(|r| Some(r) == req.region)
            && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(req.method))
            && self.path_contains.as_deref().is_none_or(|p| req.path.contains(p))
            && self.limit.is_none_or(|l| self.hits < l)
    }
}

impl Faults {
    /// The faults that hit this request: at most one answering fault (error,
    /// 429 or down), and the total latency to add before handling it.
    pub fn hit(&mut self, req: &RequestFacts<'_>, rng: &mut impl Rng) -> (Option<Answer>, u64) {
        let mut answer = None;
        let mut latency = 0;
        for rule in self.rules.iter_mut() {
            if !rule.matches(req) {
                continue;
            }
            if let FaultKind::Down = rule.kind {
                rule.hits += 1;
                return (Some(Answer::Down), latency);
            }
            if rule.rate < 1.0 && rng.random::<f64>() >= rule.rate {
                continue;
            }
            let hit = match rule.kind {
                FaultKind::Latency { millis } => {
                    latency += millis;
                    true
                }
                FaultKind::Error { status } if answer.is_none() => {
                    answer = Some(Answer::Error { status });
                    true
                }
                FaultKind::RateLimit { retry_after_secs } if answer.is_none() => {
                    answer = Some(Answer::RateLimit { retry_after_secs });
                    true
                }
                _ => false,
            };
            if hit {
                rule.hits += 1;
            }
        }
        (answer, latency)
    }

    /// Whether a snapshot taken now of a server in `region` ends `killed`.
    pub fn snapshot_fails(&self, region: &str, rng: &mut impl Rng) -> bool {
        self.snapshot_killed.as_ref().is_some_and(|f| {
            f.region.as_deref().is_none_or(|r| r == region) && (f.rate >= 1.0 || rng.random::<f64>() < f.rate)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn facts(path: &str) -> RequestFacts<'_> {
        RequestFacts { service: ServiceKind::Compute, region: Some("RegionOne"), method: "GET", path }
    }

    #[test]
    fn limited_rule_stops_after_its_hits() {
        let mut f = Faults {
            rules: vec![FaultRule {
                service: Some(ServiceKind::Compute),
                region: None,
                method: None,
                path_contains: Some("/servers".into()),
                rate: 1.0,
                limit: Some(2),
                kind: FaultKind::Error { status: 503 },
                hits: 0,
            }],
            snapshot_killed: None,
        };
        let mut rng = StdRng::seed_from_u64(1);
        assert!(f.hit(&facts("/servers/detail"), &mut rng).0.is_some());
        assert!(f.hit(&facts("/flavors"), &mut rng).0.is_none());
        assert!(f.hit(&facts("/servers"), &mut rng).0.is_some());
        assert!(f.hit(&facts("/servers"), &mut rng).0.is_none());
    }

    #[test]
    fn same_seed_same_outcomes() {
        let rule: FaultRule = yaml_serde::from_str("{service: image, rate: 0.5, kind: error, status: 500}").unwrap();
        let run = |seed| {
            let mut f = Faults { rules: vec![rule.clone()], snapshot_killed: None };
            let mut rng = StdRng::seed_from_u64(seed);
            let req = RequestFacts { service: ServiceKind::Image, region: None, method: "GET", path: "/v2/images" };
            (0..64).map(|_| f.hit(&req, &mut rng).0.is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert!(run(7).contains(&true) && run(7).contains(&false));
    }
}
