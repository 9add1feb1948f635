//! `cutover retire` against the simulator: refused (exit 3, naming them)
//! while servers and unmoved hosts remain; once the hosts have moved and the
//! servers are gone it deletes the old Nova's services, then with
//! `--endpoints` its compute endpoints, and the real `openstack` client
//! sees none; a second run finds nothing left.

use serde_json::Value;

use crate::util::{one_line_failure, SimCloud};

const OLD_HOSTS: [&str; 3] = ["old-1", "old-2", "old-3"];

fn old_service_count(cloud: &SimCloud) -> usize {
    cloud.sim().read().compute["RegionOne"].services.len()
}

/// The end of every old host's drain and hand-off: servers gone, its
/// service disabled, the host redeployed into RegionTwo (the move
/// `POST /sim/hosts/{host}/move` makes).
fn drain_and_move_every_old_host(cloud: &SimCloud) {
    let mut w = cloud.sim().world();
    let old = w.compute_region_mut("RegionOne").unwrap();
    let ids: Vec<String> = old.servers.keys().cloned().collect();
    for id in ids {
        old.remove_server(&id);
    }
    for service in old.services.values_mut().filter(|s| s.binary == "nova-compute") {
        service.disabled = true;
        service.disabled_reason = Some("cutover m-1: moving to RegionTwo".into());
    }
    for host in OLD_HOSTS {
        w.move_host(host, "RegionOne", "RegionTwo").expect("moved");
    }
}

fn outcomes(rows: &Value) -> Vec<(String, String, String)> {
    rows.as_array()
        .expect("a listing")
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("Resource"), text("Name"), text("Outcome"))
        })
        .collect()
}

#[test]
fn retire_waits_for_every_host_then_removes_the_old_nova() {
    let cloud = SimCloud::start();
    let before = old_service_count(&cloud);

    let refused = cloud.run(&["retire", "--yes", "--endpoints"]);
    let line = one_line_failure(&refused, 3);
    let some_server = cloud.sim().read().compute["RegionOne"].servers.values().map(|s| s.name.clone()).min().unwrap();
    assert!(line.contains("RegionOne still has 6 servers:") && line.contains(&some_server), "{line}");
    assert!(line.contains("3 compute hosts of RegionOne not moved yet: old-1 (up, enabled, 2 servers)"), "{line}");
    assert_eq!(old_service_count(&cloud), before, "nothing deleted");

    drain_and_move_every_old_host(&cloud);

    let dry = cloud.json(&["retire", "--dry-run", "--endpoints"]);
    let planned = outcomes(&dry);
    assert_eq!(planned.iter().filter(|(r, _, o)| r == "service" && o == "would delete").count(), before);
    assert_eq!(planned.iter().filter(|(r, _, _)| r == "endpoint").count(), 3, "{planned:?}");
    assert_eq!(planned.first().map(|p| p.1.as_str()), Some("nova-compute"));
    assert_eq!(planned.iter().rfind(|(r, ..)| r == "service").map(|p| p.1.as_str()), Some("nova-conductor"));
    assert_eq!(old_service_count(&cloud), before, "a dry run deletes nothing");

    let unconfirmed = cloud.run(&["retire"]);
    let line = one_line_failure(&unconfirmed, 2);
    assert!(line.contains("--yes"), "{line}");
    assert_eq!(old_service_count(&cloud), before);

    let done = cloud.json(&["retire", "--yes"]);
    let deleted = outcomes(&done);
    assert_eq!(deleted.len(), before, "{deleted:?}");
    assert!(deleted.iter().all(|(r, _, o)| r == "service" && o == "deleted"), "{deleted:?}");
    let listed = cloud.openstack(&["compute", "service", "list", "--os-region-name", "RegionOne"]);
    assert_eq!(listed, Value::Array(Vec::new()), "RegionOne still lists services");
    let moved =
        cloud.openstack(&["compute", "service", "list", "--os-region-name", "RegionTwo", "--service", "nova-compute"]);
    let hosts: Vec<&str> = moved.as_array().unwrap().iter().filter_map(|s| s["Host"].as_str()).collect();
    assert!(OLD_HOSTS.iter().all(|h| hosts.contains(h)), "the moved hosts stay in RegionTwo: {hosts:?}");

    let endpoints = cloud.json(&["retire", "--yes", "--endpoints"]);
    let rows = outcomes(&endpoints);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|(r, n, o)| r == "endpoint" && n.starts_with("compute ") && o == "deleted"), "{rows:?}");
    let compute = cloud.openstack(&["endpoint", "list", "--region", "RegionOne", "--service", "compute"]);
    assert_eq!(compute, Value::Array(Vec::new()));
    let shared = cloud.openstack(&["endpoint", "list", "--region", "RegionOne"]);
    assert!(!shared.as_array().unwrap().is_empty(), "the shared services' endpoints stay");

    let again = cloud.run(&["retire", "--yes", "--endpoints"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing left to retire in RegionOne"));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_host_that_is_down_but_still_enabled_has_not_moved() {
    let cloud = SimCloud::start();
    drain_and_move_every_old_host(&cloud);
    {
        let mut w = cloud.sim().world();
        let old = w.compute_region_mut("RegionOne").unwrap();
        let service = old.services.values_mut().find(|s| s.host == "old-2" && s.binary == "nova-compute").unwrap();
        service.disabled = false;
    }
    let refused = cloud.run(&["retire", "--yes"]);
    let line = one_line_failure(&refused, 3);
    assert!(line.ends_with("1 compute host of RegionOne not moved yet: old-2 (enabled)"), "{line}");
}

#[test]
fn a_retire_cut_short_between_two_endpoint_deletions_finishes_on_its_next_run() {
    let cloud = SimCloud::start();
    drain_and_move_every_old_host(&cloud);
    cloud.json(&["retire", "--yes"]);
    let planned = outcomes(&cloud.json(&["retire", "--dry-run", "--endpoints"]));
    let names: Vec<&str> = planned.iter().map(|(_, name, _)| name.as_str()).collect();
    assert_eq!(names.last(), Some(&"compute public"), "the endpoint cutover lists the old Nova through goes last");
    // A retire killed right after its first endpoint deletion.
    let first = cloud.json(&["retire", "--dry-run", "--endpoints"])[0]["ID"].as_str().unwrap().to_string();
    cloud.sim().world().identity.endpoints.remove(&first).expect("the endpoint");

    let again = cloud.run(&["retire", "--yes", "--endpoints", "-f", "json"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let rows = outcomes(&serde_json::from_slice(&again.stdout).unwrap());
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|(r, _, o)| r == "endpoint" && o == "deleted"), "{rows:?}");
    let compute = cloud.openstack(&["endpoint", "list", "--region", "RegionOne", "--service", "compute"]);
    assert_eq!(compute, Value::Array(Vec::new()));
}
