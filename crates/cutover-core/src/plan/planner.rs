/*!
Builds a [`Plan`] from an [`Inventory`] and the operator's [`Rules`]: a
strategy per server, the guest-impact warnings of each move, the hosts in
drain order, the servers left out, and the new region's capacity for what
moves.

Drain order: hosts that can empty soonest first, so that each is
redeployed into the new region early and adds its capacity there. A host
holding a `wait` server or one that cannot be planned goes last (it empties
when the owner acts); among the others, fewest servers to move first, then
least load, then by name.
*/

use std::collections::{BTreeMap, BTreeSet};

use super::inventory::{Index, Inventory, ObservedServer};
use super::rules::Rules;
use super::zones::{zone_change, zone_problem, ZoneMap};
use super::{CloudsRef, HostPlan, Options, Plan, ServerPlan, ServerRecord, Unplanned, PLAN_VERSION};
use crate::machine::Strategy;
use crate::microversion::Microversion;
use crate::model::AvailabilityZone;
use crate::preflight::capacity::{evaluate_demands, Demand, Load};
use crate::preflight::{AllocationRatios, Check};

/// What the plan records besides the inventory's content.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub migration: String,
    pub created_at: String,
    pub options: Options,
    pub ratios: AllocationRatios,
}

/// A plan and the new region's capacity for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub plan: Plan,
    pub capacity: Check,
}

/// The drain-order rule, for the plan file's header and reports.
pub const DRAIN_ORDER: &str = "hosts that can empty soonest first (fewest servers to move, then least load), \
hosts holding a `wait` server or a server that could not be planned last";

pub fn build(inv: &Inventory, rules: &Rules, meta: Meta) -> Planned {
    let index = inv.index();
    let mut by_host: BTreeMap<&str, Vec<ServerPlan>> = inv.hosts.iter().map(|h| (h.as_str(), Vec::new())).collect();
    let mut unplanned = Vec::new();
    for server in &inv.servers {
        let r = &server.record;
        if let Some(reason) = server.unplannable() {
            unplanned.push(Unplanned {
                id: r.id.clone(),
                name: r.name.clone(),
                host: r.host.clone(),
                project_id: r.project_id.clone(),
                reason,
            });
            continue;
        }
        let choice = rules.choose(server, &index);
        let mut warnings = choice.skipped;
        warnings.extend(guest_warnings(choice.strategy, server, inv.old_version));
        if choice.strategy != Strategy::Wait {
            warnings.extend(zone_warnings(r, &meta.options.zone_map, inv));
        }
        by_host.entry(r.host.as_str()).or_default().push(ServerPlan {
            strategy: choice.strategy,
            why: choice.why,
            warnings,
            server: r.clone(),
            needs: load_of(server),
            after_deadline: choice.after_deadline,
        });
    }
    let blocked: BTreeSet<&str> = unplanned.iter().map(|u| u.host.as_str()).collect();
    let mut hosts: Vec<HostPlan> = by_host
        .into_iter()
        .map(|(name, mut servers)| {
            servers.sort_by(|a, b| (&a.server.name, &a.server.id).cmp(&(&b.server.name, &b.server.id)));
            HostPlan { name: name.into(), on_empty: None, servers }
        })
        .collect();
    hosts.sort_by_cached_key(|h| {
        let moving: Vec<&ServerPlan> = h.servers.iter().filter(|s| s.strategy != Strategy::Wait).collect();
        let waits = moving.len() < h.servers.len() || blocked.contains(&h.name.as_str());
        let load = moving.iter().filter_map(|s| s.needs).fold(Load::default(), |mut all, l| {
            all.add(l);
            all
        });
        (waits, moving.len(), load.vcpus, load.ram_mib, load.disk_gib, h.name.clone())
    });
    unplanned.sort_by(|a, b| (&a.host, &a.name).cmp(&(&b.host, &b.name)));
    let plan = Plan {
        version: PLAN_VERSION,
        migration: meta.migration,
        created_at: meta.created_at,
        clouds: inv.clouds.clone(),
        options: meta.options,
        hosts,
        unplanned,
    };
    let capacity = capacity(&plan, &index, meta.ratios);
    Planned { plan, capacity }
}

/// The new region's capacity for the plan's moves (`wait` servers stay).
pub fn capacity(plan: &Plan, index: &Index<'_>, ratios: AllocationRatios) -> Check {
    let demands: Vec<Demand> = plan
        .servers()
        .filter(|(_, s)| s.strategy != Strategy::Wait)
        .map(|(host, s)| {
            let r = &s.server;
            let name = index.flavor_name(&r.flavor_id).unwrap_or(r.flavor_id.as_str());
            let flavor = if r.root_volume().is_some() { format!("{name} (volume-backed)") } else { name.to_string() };
            Demand { host: host.clone(), flavor, load: index.server(&r.id).and_then(load_of) }
        })
        .collect();
    evaluate_demands(&plan.clouds.new_region, &index.inv.new_hypervisors, &demands, ratios)
}

/// What server `s` takes of a new host, when its sizes are known.
fn load_of(s: &ObservedServer) -> Option<Load> {
    Some(Load::of(s.sizes?, s.record.root_volume().is_some()))
}

/// The server's zone in the new region: missing there (the boot would be
/// refused), or changed by the zone map.
fn zone_warnings(r: &ServerRecord, map: &ZoneMap, inv: &Inventory) -> Vec<String> {
    let new_region = &inv.clouds.new_region;
    let zone = r.availability_zone.as_deref();
    let problem = inv.new_zones.as_deref().and_then(|offered| zone_problem(map, zone, offered, new_region));
    problem.into_iter().chain(zone_change(map, zone, new_region)).collect()
}

/// What the guest will notice after the move, as the operator should
/// read it before choosing.
pub fn guest_warnings(strategy: Strategy, server: &ObservedServer, old_version: Microversion) -> Vec<String> {
    let r = &server.record;
    let mut out = Vec::new();
    if strategy == Strategy::Wait {
        return out;
    }
    match strategy {
        Strategy::Redeploy => out.push(format!(
            "redeploy boots a fresh disk from image {}: what was written to the server's disk is lost; \
cloud-init runs from scratch (new SSH host keys, user data applied again)",
            r.image_id.as_deref().unwrap_or("?")
        )),
        _ => out.push(
            "new instance UUID: cloud-init sees a new instance (per-instance modules run again; \
SSH host keys are regenerated unless the image turns that off)"
                .into(),
        ),
    }
    if server.os_type.as_deref().is_some_and(|os| os.eq_ignore_ascii_case("windows")) {
        let mac = if r.fixed_networks.is_empty() { "" } else { " and new MAC addresses" };
        out.push(format!(
            "licence-bound guest (windows): the new server has a new instance UUID{mac}; Windows may need reactivation"
        ));
    }
    if r.config_drive {
        out.push(
            "config drive: the new server's is built anew from its new metadata; files injected at boot \
(personality) are not carried over"
                .into(),
        );
    }
    if r.ephemeral_gib > 0 {
        let what = if strategy == Strategy::Snapshot { "is not in the snapshot" } else { "is not carried over" };
        out.push(format!("local ephemeral disk ({} GiB) {what}: the new server's is blank", r.ephemeral_gib));
    }
    if !r.fixed_networks.is_empty() {
        out.push(
            "nova-network cannot choose MAC addresses: the new server's interfaces get new ones \
(udev rules or licences bound to a MAC notice)"
                .into(),
        );
    }
    let data = r.data_volumes().count();
    if data > 0 {
        out.push(format!("{data} data volume(s) detached and reattached: their device names in the guest may change"));
    }
    let unknown: Vec<&str> = [(3, "user data"), (19, "description"), (26, "tags")]
        .into_iter()
        .filter(|(minor, _)| old_version < Microversion::new(2, *minor))
        .map(|(_, what)| what)
        .collect();
    if !unknown.is_empty() {
        out.push(format!(
            "the old Nova (microversion {old_version}) does not show its {}: the new server will not have them",
            unknown.join(", ")
        ));
    }
    out
}

/// The zones the new region lacks for the servers `plan` moves, each with
/// how many servers it stops and why (`offered`: the new region's zones).
/// Each server's plan entry says it too; `plan --check` and the boots
/// would fail.
pub fn missing_zones(plan: &Plan, offered: &[AvailabilityZone]) -> Vec<(usize, String)> {
    let mut missing: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for (_, s) in plan.servers().filter(|(_, s)| s.strategy != Strategy::Wait) {
        let zone = s.server.availability_zone.as_deref();
        if let Some(problem) = zone_problem(&plan.options.zone_map, zone, offered, &plan.clouds.new_region) {
            missing.entry(zone.unwrap_or_default()).or_insert((0, problem)).0 += 1;
        }
    }
    missing.into_values().collect()
}

/// The clouds a plan is for, compared with the clouds at hand; the
/// one-line reason when they differ.
pub fn same_clouds(plan: &CloudsRef, here: &CloudsRef) -> Result<(), String> {
    let url = |u: &str| u.trim_end_matches('/').to_string();
    let differs = |what: &str, planned: &str, now: &str| {
        Err(format!("the plan is for {what} {planned:?}, not {now:?}: make a new plan for these clouds"))
    };
    if url(&plan.auth_url) != url(&here.auth_url) {
        return differs("the cloud at", &plan.auth_url, &here.auth_url);
    }
    if plan.old_region != here.old_region {
        return differs("old region", &plan.old_region, &here.old_region);
    }
    if plan.new_region != here.new_region {
        return differs("new region", &plan.new_region, &here.new_region);
    }
    Ok(())
}
