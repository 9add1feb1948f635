/*!
Whether a plan still fits the clouds: a loaded (perhaps edited) plan
against a fresh inventory. Each problem names the server or host and says
why; a plan with any problem is refused. The clouds themselves are compared
first, by [`super::planner::same_clouds`].
*/

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::inventory::{Index, Inventory};
use super::planner::capacity;
use super::rules::{feasible, strategy_name};
use super::zones::{zone_problem, ZoneMap};
use super::{Plan, ServerPlan, PLAN_VERSION};
use crate::machine::Strategy;
use crate::preflight::{AllocationRatios, Status};

/// One reason a plan does not fit the clouds any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `server NAME (ID)`, `host NAME`, `plan` or `capacity`.
    pub subject: String,
    pub reason: String,
}

impl Problem {
    fn new(subject: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem { subject: subject.into(), reason: reason.into() }
    }
}

/// Every problem of `plan` against `inv`; empty when it can be applied.
pub fn check(plan: &Plan, inv: &Inventory, ratios: AllocationRatios) -> Vec<Problem> {
    let index = inv.index();
    let mut problems = Vec::new();
    if plan.version != PLAN_VERSION {
        let reason = format!("plan version {} is not {PLAN_VERSION}, the one this cutover reads", plan.version);
        problems.push(Problem::new("plan", reason));
    }
    let region = &plan.clouds.old_region;
    let mut seen_hosts = BTreeSet::new();
    let mut seen_servers: BTreeMap<&str, &str> = BTreeMap::new();
    for host in &plan.hosts {
        if !seen_hosts.insert(host.name.as_str()) {
            problems.push(Problem::new(format!("host {}", host.name), "listed twice"));
        }
        if !index.has_host(&host.name) && !host.servers.is_empty() {
            problems.push(Problem::new(format!("host {}", host.name), format!("no longer a compute host of {region}")));
        }
        for planned in &host.servers {
            let id = planned.server.id.as_str();
            if let Some(first) = seen_servers.insert(id, &host.name) {
                problems.push(Problem::new(subject(planned), format!("planned twice (on {first} and {})", host.name)));
                continue;
            }
            if let Some(reason) = server_problem(&host.name, planned, &index, &plan.options.zone_map) {
                problems.push(Problem::new(subject(planned), reason));
            }
        }
    }
    let unplanned: BTreeSet<&str> = plan.unplanned.iter().map(|u| u.id.as_str()).collect();
    for live in &inv.servers {
        let r = &live.record;
        let on_planned_host = seen_hosts.contains(r.host.as_str());
        if on_planned_host && !seen_servers.contains_key(r.id.as_str()) && !unplanned.contains(r.id.as_str()) {
            problems.push(Problem::new(
                format!("server {} ({})", r.name, r.id),
                format!(
                    "on host {} but not in the plan (created or moved there since?): plan again, or add it with strategy wait",
                    r.host
                ),
            ));
        }
    }
    let capacity = capacity(plan, &index, ratios);
    if capacity.status == Status::Fail {
        problems.push(Problem::new("capacity", capacity.reason));
    }
    problems
}

fn subject(planned: &ServerPlan) -> String {
    format!("server {} ({})", planned.server.name, planned.server.id)
}

/// Why one planned server cannot be moved as planned, if it cannot.
fn server_problem(host: &str, planned: &ServerPlan, index: &Index<'_>, zone_map: &ZoneMap) -> Option<String> {
    let r = &planned.server;
    let inv = index.inv;
    let region = &inv.clouds.old_region;
    if r.host != host {
        return Some(format!("listed under host {host}, but its record says host {}", r.host));
    }
    let Some(live) = index.server(&r.id) else {
        return Some(format!("no longer exists in {region}"));
    };
    let now = &live.record;
    if now.host != host {
        return Some(format!("planned on host {host}, now on host {}", now.host));
    }
    if let Some(reason) = live.unplannable() {
        return Some(reason);
    }
    if now.flavor_id != r.flavor_id {
        return Some(format!("flavor changed from {} to {}", r.flavor_id, now.flavor_id));
    }
    let ids = |vs: &[super::VolumeRecord]| vs.iter().map(|v| v.id.clone()).collect::<BTreeSet<_>>();
    if ids(&now.volumes) != ids(&r.volumes) {
        return Some(changed("volumes", ids(&r.volumes), ids(&now.volumes)));
    }
    let root = |s: &super::ServerRecord| s.root_volume().map(|v| v.id.clone());
    if root(now) != root(r) {
        return Some(format!("root volume changed from {:?} to {:?}", root(r), root(now)));
    }
    let ports = |s: &super::ServerRecord| s.ports.iter().map(|p| p.id.clone()).collect::<BTreeSet<_>>();
    if ports(now) != ports(r) {
        return Some(changed("ports", ports(r), ports(now)));
    }
    if let Err(why) = feasible(planned.strategy, now, index) {
        return Some(format!("strategy {} is not possible: {why}", strategy_name(planned.strategy)));
    }
    match planned.after_deadline {
        Some(_) if planned.strategy != Strategy::Wait => {
            return Some("after_deadline is only for a server whose strategy is wait".into());
        }
        Some(then) => {
            if let Err(why) = feasible(then, now, index) {
                return Some(format!("after_deadline {} is not possible: {why}", strategy_name(then)));
            }
        }
        None => {}
    }
    match (planned.strategy, &inv.new_zones) {
        (Strategy::Wait, _) | (_, None) => None,
        (_, Some(offered)) => zone_problem(zone_map, now.availability_zone.as_deref(), offered, &inv.clouds.new_region),
    }
}

fn changed<T: AsRef<str>>(what: &str, planned: BTreeSet<T>, now: BTreeSet<T>) -> String {
    let list = |s: BTreeSet<T>| {
        if s.is_empty() {
            "none".to_string()
        } else {
            s.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ")
        }
    };
    format!("{what} changed from {} to {}", list(planned), list(now))
}
