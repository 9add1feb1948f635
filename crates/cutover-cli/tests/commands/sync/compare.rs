/*!
Both regions compared through the simulator's model, kind by kind:
[`assert_regions_equal`] is what "sync made them equal" means in tests.
*/

use std::collections::BTreeMap;

use cutover_sim::model::compute::QuotaSet as SimQuotas;
use cutover_sim::model::identity::Scope;
use cutover_sim::model::{ComputeRegion, World};
use serde_json::{json, Value};

use crate::util::SimCloud;

pub const OLD: &str = "RegionOne";
pub const NEW: &str = "RegionTwo";

/// The file the sync tests write their host map to, in the test's directory
/// (`--host-map hosts.yaml`); aggregates are compared through it.
pub const HOST_MAP: &str = "hosts.yaml";

/// Asserts that `kind` (`flavors`, `quotas`, `aggregates`) is the same in
/// both regions, as a sync promises: every flavor with its extra specs,
/// access and description; every project's and user's effective quotas
/// (over the keys both regions' APIs show); every aggregate with zone,
/// metadata and its hosts mapped through the test's host map.
pub fn assert_regions_equal(cloud: &SimCloud, kind: &str) {
    let w = cloud.sim().read();
    let (old, new) = (&w.compute[OLD], &w.compute[NEW]);
    let (a, b) = match kind {
        "flavors" => (flavors(old), flavors(new)),
        "quotas" => (quotas(&w, old, new), quotas(&w, new, old)),
        "aggregates" => (aggregates(old, Some(&host_map(cloud))), aggregates(new, None)),
        other => panic!("no comparison for {other}"),
    };
    assert_eq!(a, b, "{kind} differ between {OLD} and {NEW}");
}

fn flavors(r: &ComputeRegion) -> Value {
    json!(r.flavors)
}

/// Keys the Nova API hides from a region offering `max` (2.36: network
/// keys, 2.57: injected-file keys): sync cannot see or set them there.
fn hidden(r: &ComputeRegion, key: &str) -> bool {
    let at_least = |minor: u32| r.max_version.is_some_and(|v| v.major > 2 || v.minor >= minor);
    let network = ["fixed_ips", "floating_ips", "security_group_rules", "security_groups"];
    let files = ["injected_files", "injected_file_content_bytes", "injected_file_path_bytes"];
    at_least(36) && network.contains(&key) || at_least(57) && files.contains(&key)
}

fn shown(set: &SimQuotas, r: &ComputeRegion, other: &ComputeRegion) -> BTreeMap<String, i64> {
    let Ok(Value::Object(all)) = serde_json::to_value(set) else { panic!("quota set as JSON") };
    all.into_iter()
        .filter(|(k, _)| !hidden(r, k) && !hidden(other, k))
        .filter_map(|(k, v)| v.as_i64().map(|n| (k, n)))
        .collect()
}

/// Effective quotas of every project, and of every user with a role on it.
fn quotas(w: &World, r: &ComputeRegion, other: &ComputeRegion) -> Value {
    let mut out = BTreeMap::new();
    for p in w.identity.projects.values() {
        out.insert(p.name.clone(), json!(shown(&r.effective_quota(&p.id), r, other)));
        for a in w.identity.assignments.iter().filter(|a| a.scope == Scope::Project(p.id.clone())) {
            let user = &w.identity.users[&a.user_id].name;
            out.insert(format!("{} / {user}", p.name), json!(shown(&r.user_quota(&p.id, &a.user_id), r, other)));
        }
    }
    json!(out)
}

fn aggregates(r: &ComputeRegion, map: Option<&BTreeMap<String, String>>) -> Value {
    let by_name: BTreeMap<&str, Value> = r
        .aggregates
        .values()
        .map(|a| {
            let hosts: std::collections::BTreeSet<String> =
                a.hosts.iter().map(|h| map.map_or(h.clone(), |m| m.get(h).cloned().unwrap_or_default())).collect();
            (a.name.as_str(), json!({"zone": a.availability_zone, "metadata": a.metadata, "hosts": hosts}))
        })
        .collect();
    json!(by_name)
}

fn host_map(cloud: &SimCloud) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(cloud.dir().join(HOST_MAP)).unwrap_or_default();
    yaml_serde::from_str::<Option<BTreeMap<String, String>>>(&text).expect("host map parses").unwrap_or_default()
}

/// Everything sync may change in the new region, for before/after checks.
pub fn new_region_state(cloud: &SimCloud) -> Value {
    let w = cloud.sim().read();
    let r = &w.compute[NEW];
    let user_quotas: Vec<Value> =
        r.user_quotas.iter().map(|((p, u), q)| json!({"project": p, "user": u, "limits": q})).collect();
    json!({
        "flavors": r.flavors,
        "quotas": r.quotas,
        "user_quotas": user_quotas,
        "aggregates": r.aggregates.values().map(|a| json!(a)).collect::<Vec<_>>(),
    })
}
