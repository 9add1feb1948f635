//! The real client on Nova's admin APIs: flavors, keypairs, services,
//! hypervisors, aggregates, zones, quotas, and nova-network floating IPs.

use crate::util::TestCloud;

fn rows<'a>(v: &'a serde_json::Value, key: &str, value: &str) -> Vec<&'a serde_json::Value> {
    v.as_array().unwrap().iter().filter(|r| r[key] == value).collect()
}

#[test]
fn flavor_create_with_properties_and_show() {
    let cloud = TestCloud::start();
    let args = ["flavor", "create", "--id", "42", "--vcpus", "1", "--ram", "512", "--disk", "1"];
    let created = cloud.openstack(&[&args[..], &["--property", "hw:cpu_policy=dedicated", "f42"]].concat());
    assert_eq!(created["id"], "42");
    let shown = cloud.openstack(&["flavor", "show", "f42"]);
    assert_eq!(shown["name"], "f42");
    assert_eq!(shown["ram"], 512);
    assert_eq!(shown["properties"]["hw:cpu_policy"], "dedicated");
}

#[test]
fn keypair_create_lists_and_shows_fingerprint() {
    let cloud = TestCloud::start();
    let out = cloud.openstack_output(&["keypair", "create", "k1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PRIVATE KEY"));
    let k = cloud.openstack(&["keypair", "show", "k1"]);
    assert_eq!(k["name"], "k1");
    assert_eq!(k["fingerprint"].as_str().unwrap().split(':').count(), 16);
}

#[test]
fn compute_services_and_hypervisors() {
    let cloud = TestCloud::start();
    let services = cloud.openstack(&["compute", "service", "list"]);
    assert_eq!(rows(&services, "Binary", "nova-compute").len(), 3);
    cloud.openstack_ok(&[
        "compute",
        "service",
        "set",
        "--disable",
        "--disable-reason",
        "cutover",
        "old-1",
        "nova-compute",
    ]);
    let listed = cloud.openstack(&["compute", "service", "list", "--long", "--host", "old-1"]);
    assert_eq!(listed[0]["Status"], "disabled");
    assert_eq!(listed[0]["Disabled Reason"], "cutover");
    let hypervisors = cloud.openstack(&["hypervisor", "list"]);
    assert_eq!(hypervisors.as_array().unwrap().len(), 3);
    assert_eq!(rows(&hypervisors, "Hypervisor Hostname", "old-1")[0]["State"], "up");
}

#[test]
fn aggregate_zone_and_quota() {
    let cloud = TestCloud::start();
    let agg = cloud.openstack(&["aggregate", "create", "--zone", "az9", "agg9"]);
    assert_eq!(agg["availability_zone"], "az9");
    cloud.openstack_ok(&["aggregate", "add", "host", "agg9", "old-2"]);
    let zones = cloud.openstack(&["availability", "zone", "list", "--compute"]);
    let names: Vec<&str> = zones.as_array().unwrap().iter().map(|z| z["Zone Name"].as_str().unwrap()).collect();
    assert!(names.contains(&"az9") && names.contains(&"az-fast") && names.contains(&"nova"), "{names:?}");
    let quota = cloud.openstack(&["quota", "show", "--compute", "admin"]);
    let limit = |name: &str| rows(&quota, "Resource", name)[0]["Limit"].clone();
    assert_eq!(limit("instances"), 50);
    assert_eq!(limit("cores"), 100);
}

#[test]
fn nova_network_floating_ips() {
    let mut scenario = cutover_sim::Scenario::builtin();
    let yaml = r#"
name: RegionLegacy
networking: nova-network
max_microversion: "2.1"
hosts: [{name: legacy-1}]
fixed_networks: [{label: private, cidr: 10.9.0.0/24}]
floating_ip_pools: [{name: public, ip_range: 192.0.2.0/29}]
"#;
    scenario.regions.insert(0, yaml_serde::from_str(yaml).unwrap());
    let cloud = TestCloud::with(scenario, 0.0);
    // OSC 10.5 only speaks Neutron for floating IPs; openstacksdk's cloud
    // layer still falls back to nova-network when there is no network service.
    let bulk = cloud.python(
        r#"
import json, openstack
conn = openstack.connect(cloud="sim")
pools = conn.list_floating_ip_pools()
fip = conn.create_floating_ip(network="public")
body = {"floating_ips_bulk_create": {"ip_range": "198.51.100.0/29", "pool": "extra"}}
created = conn.compute.post("/os-floating-ips-bulk", json=body, microversion="2.1").json()
info = conn.compute.get("/os-floating-ips-bulk", microversion="2.1").json()["floating_ip_info"]
print(json.dumps({"pools": pools, "fip": fip["floating_ip_address"], "created": created,
                  "extra": [i["address"] for i in info if i["pool"] == "extra"]}))
"#,
    );
    assert_eq!(bulk["pools"], serde_json::json!([{"name": "public"}]));
    assert_eq!(bulk["fip"], "192.0.2.1");
    assert_eq!(bulk["created"]["floating_ips_bulk_create"]["interface"], "eth0");
    assert_eq!(bulk["extra"].as_array().unwrap().len(), 6);
}

/// An admin copies a keypair for another user (`--user`, microversion
/// 2.10) and lists it with `--user`; its own list stays empty.
#[test]
fn admin_creates_and_lists_another_users_keypair() {
    let cloud = TestCloud::start();
    let key = cloud.dir().join("copied.pub");
    std::fs::write(&key, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9ub3RhcmVhbGtleWJ1dHdlbGxmb3JtZWQxMjM0 x\n").unwrap();
    let made = cloud.openstack(&[
        "--os-compute-api-version",
        "2.10",
        "keypair",
        "create",
        "--user",
        "bob",
        "--public-key",
        key.to_str().unwrap(),
        "copied",
    ]);
    assert_eq!(made["name"], "copied");
    let bobs = cloud.openstack(&["--os-compute-api-version", "2.10", "keypair", "list", "--user", "bob"]);
    let names: Vec<&str> = bobs.as_array().unwrap().iter().map(|k| k["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bob-key", "copied"]);
    let own = cloud.openstack(&["--os-compute-api-version", "2.10", "keypair", "list"]);
    assert_eq!(own, serde_json::json!([]));
}
