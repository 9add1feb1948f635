/*!
Capacity of the new region against what the old one runs. Hosts move one
at a time (drained, then redeployed into the new region), so the new region
must at least hold the load of the largest old host, and every flavor in use
must fit on some new hypervisor; holding everything at once is only nicer.
*/

use std::collections::BTreeMap;

use super::check::{Check, Status, NEEDS_ADMIN};
use super::inventory::{flavor_sizes, resolve_flavor};
use super::observation::Observation;
use crate::id::{FlavorId, HostName};
use crate::model::{Hypervisor, ServerSummary};
pub use crate::room::Load;

/// Overcommit of the new hypervisors. `os-hypervisors` shows physical
/// figures, placement applies these; the defaults are Nova's
/// `initial_*_allocation_ratio` since Stein.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllocationRatios {
    pub cpu: f64,
    pub ram: f64,
    pub disk: f64,
}

impl Default for AllocationRatios {
    fn default() -> Self {
        AllocationRatios { cpu: 4.0, ram: 1.0, disk: 1.0 }
    }
}

/// The largest share of `room` that `load` takes, over the three kinds.
fn share_of(load: &Load, room: &Load) -> f64 {
    let share = |want: u64, have: u64| match (want, have) {
        (0, _) => 0.0,
        (_, 0) => f64::INFINITY,
        _ => want as f64 / have as f64,
    };
    share(load.vcpus, room.vcpus).max(share(load.ram_mib, room.ram_mib)).max(share(load.disk_gib, room.disk_gib))
}

/// What a server needs of a host; a volume-backed server's root disk is in
/// Cinder, so only its ephemeral disk counts (as placement counts it).
/// `None` when its flavor cannot be resolved.
pub fn demand(server: &ServerSummary, flavors: &[crate::model::Flavor]) -> Option<Load> {
    Some(Load::of(flavor_sizes(server, flavors)?, server.volume_backed()))
}

/// One server's demand on the new region, for [`evaluate_demands`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demand {
    /// The old host it comes from (hosts drain one at a time).
    pub host: HostName,
    /// Its flavor's name, for a report.
    pub flavor: String,
    /// `None` when its flavor cannot be resolved (counted as unknown).
    pub load: Option<Load>,
}

/// Room left on a hypervisor at the allocation ratios; `None` for one that
/// cannot take servers (down, disabled, or showing no figures).
pub fn free(hypervisor: &Hypervisor, ratios: AllocationRatios) -> Option<Load> {
    let r = hypervisor.resources.filter(|_| hypervisor.up && hypervisor.enabled)?;
    let room = |total: u64, used: u64, ratio: f64| ((total as f64 * ratio).floor() as u64).saturating_sub(used);
    Some(Load {
        vcpus: room(r.vcpus, r.vcpus_used, ratios.cpu),
        ram_mib: room(r.memory_mib, r.memory_mib_used, ratios.ram),
        disk_gib: room(r.local_gib, r.local_gib_used, ratios.disk),
    })
}

/// The capacity check; none when the new region could not be reached.
pub fn check(obs: &Observation, ratios: AllocationRatios) -> Option<Check> {
    let new = obs.new.as_ref().ok()?;
    let region = Some(new.name.as_str());
    let gate = |why: &String| {
        if obs.scope.is_admin() {
            Check::new("capacity", region, Status::Fail, why.clone())
        } else {
            Check::new("capacity", region, Status::Warn, NEEDS_ADMIN)
        }
    };
    let hypervisors = match &new.hypervisors {
        Ok(h) => h,
        Err(why) => return Some(gate(why)),
    };
    let servers = match &obs.inventory.servers {
        Ok(s) => s,
        Err(why) => return Some(gate(&format!("cannot list {}'s servers: {why}", obs.old.name))),
    };
    let flavors = obs.inventory.flavors.as_deref().unwrap_or_default();
    Some(evaluate(&new.name, hypervisors, servers, flavors, ratios))
}

fn evaluate(
    region: &str,
    hypervisors: &[Hypervisor],
    servers: &[ServerSummary],
    flavors: &[crate::model::Flavor],
    ratios: AllocationRatios,
) -> Check {
    let demands: Vec<Demand> = servers
        .iter()
        .filter_map(|server| {
            Some(Demand {
                host: server.host.clone()?,
                flavor: flavor_label(server, flavors),
                load: demand(server, flavors),
            })
        })
        .collect();
    evaluate_demands(region, hypervisors, &demands, ratios)
}

/// The capacity check of `region` against what the old hosts' servers
/// need: every flavor must fit on some hypervisor, the largest host's load
/// in the free room (fail otherwise), everything at once is only nicer (warn).
pub fn evaluate_demands(
    region: &str,
    hypervisors: &[Hypervisor],
    demands: &[Demand],
    ratios: AllocationRatios,
) -> Check {
    let fail = |why: String| Check::new("capacity", Some(region), Status::Fail, why);
    let rooms: Vec<(&str, Load)> =
        hypervisors.iter().filter_map(|h| Some((h.hostname.as_str(), free(h, ratios)?))).collect();
    if rooms.is_empty() {
        return fail(format!("no hypervisor of {region} is up, enabled and showing its resources"));
    }
    let mut total_free = Load::default();
    rooms.iter().for_each(|(_, room)| total_free.add(*room));

    let mut by_host: BTreeMap<&str, Load> = BTreeMap::new();
    let mut by_flavor: BTreeMap<String, Load> = BTreeMap::new();
    let mut unknown = 0;
    for d in demands {
        let Some(load) = d.load else {
            unknown += 1;
            continue;
        };
        by_host.entry(d.host.as_str()).or_default().add(load);
        by_flavor.insert(d.flavor.clone(), load);
    }
    let not_counted = match unknown {
        0 => String::new(),
        n => format!(" ({n} server(s) of unknown flavor not counted)"),
    };

    let biggest_room = rooms.iter().map(|(_, r)| *r).max_by_key(|r| (r.ram_mib, r.vcpus, r.disk_gib));
    for (label, load) in &by_flavor {
        if !rooms.iter().any(|(_, room)| load.fits_in(room)) {
            let largest = biggest_room.map_or(String::new(), |r| format!(" (most room on one: {r})"));
            return fail(format!("flavor {label} ({load}) fits on no hypervisor of {region}{largest}"));
        }
    }
    let Some((host, largest)) =
        by_host.iter().max_by(|a, b| share_of(a.1, &total_free).total_cmp(&share_of(b.1, &total_free)))
    else {
        return Check::new("capacity", Some(region), Status::Ok, format!("no server to move; {total_free} free"));
    };
    let free_text = format!("{region} has {total_free} free on {} hypervisor(s)", rooms.len());
    if !largest.fits_in(&total_free) {
        return fail(format!(
            "old host {host} runs {largest}, more than {free_text}: it could never be drained{not_counted}"
        ));
    }
    let mut all = Load::default();
    by_host.values().for_each(|l| all.add(*l));
    if !all.fits_in(&total_free) {
        return Check::new(
            "capacity",
            Some(region),
            Status::Warn,
            format!(
                "the old hosts run {all} in all, more than {free_text}: old hosts must be redeployed into it as they empty{not_counted}"
            ),
        );
    }
    Check::new(
        "capacity",
        Some(region),
        Status::Ok,
        format!("{} old host(s) run {all}; {free_text}{not_counted}", by_host.len()),
    )
}

/// A flavor's name for a report, and whether it is volume-backed (which
/// changes its demand).
fn flavor_label(server: &ServerSummary, flavors: &[crate::model::Flavor]) -> String {
    let name = resolve_flavor(server, flavors)
        .map(|f| f.name.clone())
        .or_else(|| server.flavor.original_name.clone())
        .or_else(|| server.flavor.id.as_ref().map(FlavorId::to_string))
        .unwrap_or_default();
    if server.volume_backed() {
        format!("{name} (volume-backed)")
    } else {
        name
    }
}
