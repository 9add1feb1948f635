/*!
Verifying the new Nova: one row per service it reports (`service list`),
each with a verdict, plus a failing row for each thing missing. A region
passes when a conductor and a scheduler are up and enabled and every
expected compute host runs an up, enabled `nova-compute` with a hypervisor.
*/

use std::collections::BTreeSet;

use serde::Serialize;

use crate::id::HostName;
use crate::model::{ComputeService, Hypervisor};

/// The control services the region cannot work without.
pub const REQUIRED: [&str; 2] = ["nova-conductor", "nova-scheduler"];

pub const COMPUTE: &str = "nova-compute";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One service (or a missing one: no state, no status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub binary: String,
    pub host: Option<HostName>,
    pub zone: Option<String>,
    pub enabled: Option<bool>,
    pub up: Option<bool>,
    /// The hypervisor of a `nova-compute` row, when there is one.
    pub hypervisor: Option<HostName>,
    pub verdict: Verdict,
    pub detail: String,
}

impl Row {
    fn missing(binary: &str, host: Option<&str>, detail: String) -> Row {
        Row {
            binary: binary.to_string(),
            host: host.map(HostName::from),
            zone: None,
            enabled: None,
            up: None,
            hypervisor: None,
            verdict: Verdict::Fail,
            detail,
        }
    }
}

fn usable(s: &ComputeService) -> bool {
    s.up && s.enabled
}

/// What is wrong with a service, or `None`.
fn trouble(s: &ComputeService) -> Option<String> {
    match (s.up, s.enabled) {
        (true, true) => None,
        (false, true) => Some("down".to_string()),
        (up, false) => {
            let state = if up { "" } else { "down, " };
            Some(match &s.disabled_reason {
                Some(reason) if !reason.is_empty() => format!("{state}disabled: {reason}"),
                _ => format!("{state}disabled"),
            })
        }
    }
}

/// The region's services checked. `expected` are the new compute hosts
/// (`None`: not known, so at least one usable compute host is required).
pub fn verify(
    services: &[ComputeService],
    hypervisors: &[Hypervisor],
    expected: Option<&BTreeSet<HostName>>,
) -> Vec<Row> {
    let mut sorted: Vec<&ComputeService> = services.iter().collect();
    let rank = |b: &str| REQUIRED.iter().position(|r| *r == b).unwrap_or(if b == COMPUTE { 3 } else { 2 });
    sorted.sort_by(|a, b| (rank(&a.binary), &a.binary, &a.host).cmp(&(rank(&b.binary), &b.binary, &b.host)));

    let mut rows = Vec::new();
    for required in REQUIRED {
        if !services.iter().any(|s| s.binary == required) {
            rows.push(Row::missing(required, None, format!("no {required} service registered")));
        }
    }
    for s in sorted {
        let hypervisor = (s.binary == COMPUTE).then(|| hypervisor_of(hypervisors, &s.host)).flatten();
        let (verdict, detail) = judge(s, services, hypervisor.is_some(), expected);
        rows.push(Row {
            binary: s.binary.clone(),
            host: Some(s.host.clone()),
            zone: Some(s.zone.clone()),
            enabled: Some(s.enabled),
            up: Some(s.up),
            hypervisor: hypervisor.map(|h| h.hostname.clone()),
            verdict,
            detail,
        });
    }
    match expected {
        Some(hosts) => {
            for host in hosts {
                if !services.iter().any(|s| s.binary == COMPUTE && &s.host == host) {
                    rows.push(Row::missing(COMPUTE, Some(host), "expected host has not registered".to_string()));
                }
            }
        }
        None => {
            let any = services
                .iter()
                .any(|s| s.binary == COMPUTE && usable(s) && hypervisor_of(hypervisors, &s.host).is_some());
            if !any {
                rows.push(Row::missing(COMPUTE, None, "no nova-compute service is up and enabled".to_string()));
            }
        }
    }
    rows
}

fn hypervisor_of<'a>(hypervisors: &'a [Hypervisor], host: &str) -> Option<&'a Hypervisor> {
    hypervisors.iter().find(|h| h.service_host.as_deref().unwrap_or(&h.hostname) == host)
}

fn judge(
    s: &ComputeService,
    all: &[ComputeService],
    has_hypervisor: bool,
    expected: Option<&BTreeSet<HostName>>,
) -> (Verdict, String) {
    if REQUIRED.contains(&s.binary.as_str()) {
        return match trouble(s) {
            None => (Verdict::Ok, String::new()),
            Some(t) if all.iter().any(|o| o.binary == s.binary && usable(o)) => {
                (Verdict::Warn, format!("{t} (another {} is up)", s.binary))
            }
            Some(t) => (Verdict::Fail, t),
        };
    }
    if s.binary != COMPUTE {
        return match trouble(s) {
            None => (Verdict::Ok, String::new()),
            Some(t) => (Verdict::Warn, t),
        };
    }
    let wanted = expected.is_none_or(|hosts| hosts.contains(&s.host));
    let problem = match (trouble(s), has_hypervisor) {
        (Some(t), _) => Some(t),
        (None, false) => Some("no hypervisor registered".to_string()),
        (None, true) => None,
    };
    match (wanted, expected.is_some(), problem) {
        (true, _, None) => (Verdict::Ok, String::new()),
        (true, true, Some(p)) => (Verdict::Fail, p),
        (true, false, Some(p)) => (Verdict::Warn, p),
        (false, _, p) => {
            let p = p.map_or_else(String::new, |p| format!("; {p}"));
            (Verdict::Warn, format!("not an expected host{p}"))
        }
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
