/*!
The end state of `cutover run`, checked against the simulator's own model:
every planned server where the run's report says it ended (moved: one
rebuild in the new region; rolled back: one copy in the old one) with
every attribute of its rebuild record; drained old hosts empty; nothing
left behind that cutover made ([`check`]). [`safety`] checks the
guarantees that hold at every moment, for runs killed halfway; [`hosts`]
the old hosts after a run that hands them off.
*/

pub mod hosts;
pub mod safety;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use cutover_core::plan::{Plan, ServerPlan};
use cutover_sim::model::compute::{Server, VmState};
use cutover_sim::model::World;
use serde_json::{json, Value};

pub use view::{Copy, ServerView};
use view::{META_MIGRATION, META_RESTORED_FROM, META_SOURCE};

/// What existed before the run: anything else that is left afterwards was
/// made by it.
#[derive(Debug, Clone, Default)]
pub struct Before {
    pub images: BTreeSet<String>,
    pub ports: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
    pub floating_ips: BTreeSet<String>,
    /// (region, user, name) of every key pair.
    pub keypairs: BTreeSet<(String, String, String)>,
}

impl Before {
    pub fn take(world: &World) -> Before {
        Before {
            images: world.image.images.keys().cloned().collect(),
            ports: world.network.ports.keys().cloned().collect(),
            volumes: world.volume.volumes.keys().cloned().collect(),
            floating_ips: world.network.floating_ips.keys().cloned().collect(),
            keypairs: keypairs(world).collect(),
        }
    }
}

/// The end state without the ids a run makes or the hosts it picks: per
/// planned server its outcome and [`ServerView`], and what was left
/// behind. Two runs of one plan on one scenario end equal.
#[derive(Debug, Clone, PartialEq)]
pub struct Canonical(pub BTreeMap<String, Value>);

impl Canonical {
    /// The entries where `self` and `other` differ, for a failure message.
    pub fn diff(&self, other: &Canonical) -> String {
        let keys: BTreeSet<&String> = self.0.keys().chain(other.0.keys()).collect();
        keys.into_iter()
            .filter(|k| self.0.get(*k) != other.0.get(*k))
            .map(|k| {
                let show = |c: &Canonical| c.0.get(k).map_or("(none)".into(), |v| v.to_string());
                format!("{k}:\n  this:  {}\n  other: {}", show(self), show(other))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Every copy of `planned`'s server in both regions: the source itself,
/// its rebuilds in the new region and its restores in the old one.
pub fn copies<'w>(world: &'w World, plan: &Plan, planned: &ServerPlan) -> Vec<(Copy, &'w Server)> {
    let id = &planned.server.id;
    let tagged = |s: &Server, key: &str| {
        s.metadata.get(META_MIGRATION) == Some(&plan.migration)
            && s.metadata.get(key).map(String::as_str) == Some(id.as_str())
    };
    let live = |s: &&Server| s.vm_state != VmState::Deleted;
    let old = &world.compute[plan.clouds.old_region.as_str()];
    let new = &world.compute[plan.clouds.new_region.as_str()];
    let mut found: Vec<(Copy, &Server)> =
        old.servers.get(id.as_str()).filter(live).map(|s| (Copy::Source, s)).into_iter().collect();
    found.extend(new.servers.values().filter(live).filter(|s| tagged(s, META_SOURCE)).map(|s| (Copy::Rebuild, s)));
    found.extend(
        old.servers.values().filter(live).filter(|s| tagged(s, META_RESTORED_FROM)).map(|s| (Copy::Restored, s)),
    );
    found
}

/// Checks the end state of a finished run whose `-f json` report is
/// `report`; returns its canonical form, or every problem found.
pub fn check(plan: &Plan, report: &Value, before: &Before, world: &World) -> Result<Canonical, Vec<String>> {
    let mut problems = Vec::new();
    let mut canonical = BTreeMap::new();
    let results: BTreeMap<&str, &Value> = report["servers"]
        .as_array()
        .map(|servers| servers.iter().filter_map(|s| Some((s["old_id"].as_str()?, s))).collect())
        .unwrap_or_default();
    for (_, planned) in plan.servers() {
        let id = planned.server.id.as_str();
        let who = format!("{} ({id})", planned.server.name);
        let Some(reported) = results.get(id) else {
            problems.push(format!("{who}: not in the report"));
            continue;
        };
        let result = reported["result"].as_str().unwrap_or_default();
        let copies = copies(world, plan, planned);
        let [(copy, server)] = copies.as_slice() else {
            let found: Vec<String> = copies.iter().map(|(c, s)| format!("{c:?} {} {}", s.id, s.status())).collect();
            problems.push(format!("{who}: {result}, but {} copies: {found:?}", copies.len()));
            continue;
        };
        let wanted = match result {
            "moved" => Copy::Rebuild,
            "rolled_back" if *copy == Copy::Source => Copy::Source,
            "rolled_back" => Copy::Restored,
            // Held before its first step: untouched where it was.
            "held" if *copy == Copy::Source => Copy::Source,
            other => {
                problems.push(format!("{who} ended {other}: {}", reported["reason"]));
                continue;
            }
        };
        let reported_id = reported["new_id"].as_str();
        if wanted != Copy::Source && reported_id != Some(server.id.as_str()) {
            problems.push(format!("{who}: the report's new_id {reported_id:?} is not the copy {}", server.id));
        }
        let region = match copy {
            Copy::Rebuild => &plan.clouds.new_region,
            _ => &plan.clouds.old_region,
        };
        let view = ServerView::of(world, region, server, *copy, before);
        for difference in view.differences(&ServerView::expected(plan, planned, wanted)) {
            problems.push(format!("{who} ({result}): {difference}"));
        }
        canonical.insert(id.to_string(), json!({"result": result, "server": view}));
    }
    problems.extend(drained_hosts(plan, report, world));
    let leftovers = leftovers(plan, before, world);
    problems.extend(leftovers.iter().map(|l| format!("left behind: {l}")));
    canonical.insert("~leftovers".into(), json!(leftovers));
    match problems.is_empty() {
        true => Ok(Canonical(canonical)),
        false => Err(problems),
    }
}

/// [`check`], panicking with every problem (and `context`, e.g. a seed).
pub fn assert_end_state(plan: &Plan, report: &Value, before: &Before, world: &World, context: &str) -> Canonical {
    check(plan, report, before, world)
        .unwrap_or_else(|problems| panic!("{context}: the end state is wrong:\n  {}", problems.join("\n  ")))
}

/// The old hosts the plan drains hold no server but the copies of servers
/// rolled back or held: the source itself, or its restore (cutover opens
/// the source's own host to scheduling for it, then closes it again).
fn drained_hosts(plan: &Plan, report: &Value, world: &World) -> Vec<String> {
    let stay: BTreeSet<&str> = report["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["result"] == "rolled_back" || s["result"] == "held")
        .filter_map(|s| s["old_id"].as_str())
        .collect();
    let allowed: BTreeSet<&str> = plan
        .servers()
        .filter(|(_, p)| stay.contains(p.server.id.as_str()))
        .flat_map(|(_, p)| copies(world, plan, p))
        .filter(|(copy, _)| *copy != Copy::Rebuild)
        .map(|(_, s)| s.id.as_str())
        .collect();
    let old = &world.compute[plan.clouds.old_region.as_str()];
    plan.hosts
        .iter()
        .filter(|h| !h.servers.is_empty())
        .filter_map(|h| {
            let left: Vec<String> = old
                .servers_on_host(&h.name)
                .filter(|s| !allowed.contains(s.id.as_str()))
                .map(|s| format!("{} ({})", s.name, s.id))
                .collect();
            (!left.is_empty()).then(|| format!("drained old host {} still holds {}", h.name, left.join(", ")))
        })
        .collect()
}

fn keypairs(world: &World) -> impl Iterator<Item = (String, String, String)> + '_ {
    world.compute.iter().flat_map(|(region, compute)| {
        compute.keypairs.keys().map(move |(user, name)| (region.clone(), user.clone(), name.clone()))
    })
}

/// What cutover made and did not remove: snapshots the plan does not keep
/// (and failed ones), keypair copies, `cutover` role assignments, ports,
/// volumes and floating IPs that did not exist before and belong to no
/// server, ports left pointing at a server that is gone.
pub fn leftovers(plan: &Plan, before: &Before, world: &World) -> Vec<String> {
    let mut left = Vec::new();
    for image in world.image.images.values() {
        let name = image.name.as_deref().unwrap_or_default();
        let snapshot = !before.images.contains(&image.id) && name.starts_with("cutover-");
        let kept = plan.options.keep_snapshots && image.status.as_str() == "active";
        if snapshot && !kept {
            left.push(format!("snapshot {name} {} ({})", image.id, image.status.as_str()));
        }
    }
    // A key pair made since is sync's copy of the same user's key in the
    // old region, or a copy cutover made for a boot and had to delete.
    let old = &plan.clouds.old_region;
    for (region, user, name) in keypairs(world) {
        let made = !before.keypairs.contains(&(region.clone(), user.clone(), name.clone()));
        let synced = region != *old && before.keypairs.contains(&(old.clone().into(), user.clone(), name.clone()));
        if name.starts_with("cutover-") || (made && !synced) {
            left.push(format!("keypair {name} of user {user} in {region}"));
        }
    }
    let cutover_roles: BTreeSet<&str> =
        world.identity.roles.values().filter(|r| r.name == "cutover").map(|r| r.id.as_str()).collect();
    for a in world.identity.assignments.iter().filter(|a| cutover_roles.contains(a.role_id.as_str())) {
        left.push(format!("role cutover of user {} on {:?}", a.user_id, a.scope));
    }
    let live =
        |id: &str| world.compute.values().any(|c| c.servers.get(id).is_some_and(|s| s.vm_state != VmState::Deleted));
    for port in world.network.ports.values() {
        let server_port = port.device_owner.starts_with("compute:") && !port.device_id.is_empty();
        let on_server = server_port && live(&port.device_id);
        if server_port && !on_server {
            left.push(format!("port {} of server {}, which is gone", port.id, port.device_id));
        } else if !on_server && !before.ports.contains(&port.id) {
            left.push(format!("port {} ({}) made during the run, on no server", port.id, port.mac_address));
        }
    }
    for volume in world.volume.volumes.values().filter(|v| !before.volumes.contains(&v.id)) {
        if !volume.attachments.iter().any(|a| live(&a.server_id)) {
            left.push(format!("volume {} made during the run, on no server", volume.id));
        }
    }
    for fip in world.network.floating_ips.values().filter(|f| !before.floating_ips.contains(&f.id)) {
        left.push(format!("floating IP {} made during the run", fip.floating_ip_address));
    }
    left
}
