use serde_json::Value;

use crate::util::TestCloud;

fn rows(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a list")
}

#[test]
fn server_list_all_projects_long_in_both_regions() {
    let cloud = TestCloud::start();
    let old = cloud.openstack(&["server", "list", "--all-projects", "--long"]);
    let mut names: Vec<&str> = rows(&old).iter().map(|s| s["Name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["app-1", "batch-1", "db-1", "web-1", "web-2", "win-1"]);
    let batch = rows(&old).iter().find(|s| s["Name"] == "batch-1").unwrap();
    assert_eq!(batch["Status"], "SHUTOFF");
    assert_eq!(batch["Host"], "old-3");
    assert_eq!(batch["Availability Zone"], "az-fast");
    let web1 = rows(&old).iter().find(|s| s["Name"] == "web-1").unwrap();
    let nets = web1["Networks"].to_string();
    assert!(nets.contains("10.0.0.10") && nets.contains("172.24.4.10"), "{nets}");
    let new = cloud.openstack(&["server", "list", "--all-projects", "--long", "--os-region-name", "RegionTwo"]);
    assert!(rows(&new).is_empty());
}

#[test]
fn alice_creates_and_deletes_a_server_that_bob_cannot_see() {
    let cloud = TestCloud::start();
    for host in ["old-1", "old-2"] {
        let reason = "cutover: draining";
        cloud.openstack_ok(&[
            "compute",
            "service",
            "set",
            "--disable",
            "--disable-reason",
            reason,
            host,
            "nova-compute",
        ]);
    }
    cloud.add_cloud("alice", "alice", "alice-secret", "acme");
    cloud.add_cloud("bob", "bob", "bob-secret", "globex");
    let created = cloud.openstack(&[
        "--os-cloud",
        "alice",
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--network",
        "acme-net",
        "--wait",
        "vm-1",
    ]);
    assert_eq!(created["status"], "ACTIVE");
    let id = created["id"].as_str().unwrap().to_string();
    let shown = cloud.openstack(&["server", "show", &id]);
    let host = shown["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_string();
    assert_eq!(host, "old-3", "disabled hosts are never chosen");
    {
        let w = cloud.sim().world();
        let acme = w.identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
        let alice = w.identity.users.values().find(|u| u.name == "alice").unwrap().id.clone();
        let s = &w.compute["RegionOne"].servers[&id];
        assert_eq!((s.project_id.as_str(), s.user_id.as_str()), (acme.as_str(), alice.as_str()));
        let port = &w.network.ports_of_device(&id)[0];
        assert_eq!((port.binding_host_id.as_str(), port.status.as_str()), (host.as_str(), "ACTIVE"));
    }
    let out = cloud.openstack_output(&["--os-cloud", "bob", "server", "show", &id]);
    assert!(!out.status.success(), "bob must not see alice's server");
    let bobs = cloud.openstack(&["--os-cloud", "bob", "server", "list"]);
    assert!(rows(&bobs).iter().all(|s| s["ID"] != id.as_str()));
    cloud.openstack_ok(&["--os-cloud", "alice", "server", "delete", "--wait", &id]);
    let left = cloud.openstack(&["--os-cloud", "alice", "server", "list"]);
    assert!(rows(&left).iter().all(|s| s["ID"] != id.as_str()));
    assert!(cloud.sim().world().network.ports_of_device(&id).is_empty());
}

#[test]
fn server_boots_from_a_volume() {
    let cloud = TestCloud::start();
    cloud.add_cloud("bob", "bob", "bob-secret", "globex");
    let created = cloud.openstack(&[
        "--os-cloud",
        "bob",
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--volume",
        "spare",
        "--network",
        "globex-net",
        "--wait",
        "bfv-1",
    ]);
    assert_eq!(created["status"], "ACTIVE");
    let id = created["id"].as_str().unwrap();
    let w = cloud.sim().world();
    let spare = w.volume.volumes.values().find(|v| v.name.as_deref() == Some("spare")).unwrap();
    assert_eq!(spare.status, "in-use");
    assert_eq!(spare.attachments[0].server_id, id);
    assert!(w.compute["RegionOne"].servers[id].image_id.is_none());
}

#[test]
fn boot_on_a_failing_host_ends_in_error_with_its_fault() {
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.regions[1].flavors = scenario.regions[0].flavors.clone();
    scenario.regions[1].failing_hosts = vec!["new-1".into(), "new-2".into()];
    let cloud = TestCloud::with(scenario, 0.0);
    let out = cloud.openstack_output(&[
        "--os-region-name",
        "RegionTwo",
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--network",
        "acme-net",
        "--wait",
        "doomed",
        "-f",
        "json",
    ]);
    assert!(!out.status.success(), "--wait fails on ERROR");
    let shown = cloud.openstack(&["--os-region-name", "RegionTwo", "server", "show", "doomed"]);
    assert_eq!(shown["status"], "ERROR");
    let fault = shown["fault"].to_string();
    assert!(fault.contains("Exceeded maximum number of retries"), "{fault}");
}
