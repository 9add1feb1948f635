use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{Reply, TestCloud};

const R1: &str = "/compute/RegionOne/v2.1";

fn nova(cloud: &TestCloud, method: Method, path: &str, token: &str, version: &str, body: Option<Value>) -> Reply {
    let header = format!("compute {version}");
    cloud.call(method, &format!("{R1}{path}"), Some(token), &[("OpenStack-API-Version", &header)], body)
}

fn get(cloud: &TestCloud, path: &str, token: &str) -> Reply {
    nova(cloud, Method::GET, path, token, "2.96", None)
}

fn names(r: &Reply) -> Vec<String> {
    let mut n: Vec<String> =
        r.body["servers"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect();
    n.sort();
    n
}

fn server_by_name(cloud: &TestCloud, token: &str, name: &str) -> Value {
    let r = get(cloud, &format!("/servers/detail?all_tenants=1&name=^{name}$"), token);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["servers"][0].clone()
}

fn network_id(cloud: &TestCloud, name: &str) -> String {
    cloud.sim().world().network.networks.values().find(|n| n.name == name).unwrap().id.clone()
}

fn image_id(cloud: &TestCloud, name: &str) -> String {
    cloud.sim().world().image.images.values().find(|i| i.name.as_deref() == Some(name)).unwrap().id.clone()
}

fn boot(cloud: &TestCloud, token: &str, server: Value) -> Reply {
    nova(cloud, Method::POST, "/servers", token, "2.96", Some(json!({ "server": server })))
}

fn tiny(cloud: &TestCloud, name: &str) -> Value {
    json!({"name": name, "flavorRef": "1", "imageRef": image_id(cloud, "cirros"),
           "networks": [{"uuid": network_id(cloud, "acme-net")}]})
}

#[test]
fn listing_is_scoped_to_the_project_and_all_tenants_is_admin_only() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let bob = cloud.token("bob", "bob-secret", "globex");
    let admin = cloud.admin_token();
    assert_eq!(names(&get(&cloud, "/servers", &alice)), ["batch-1", "db-1", "web-1", "web-2"]);
    assert_eq!(names(&get(&cloud, "/servers/detail", &bob)), ["app-1", "win-1"]);
    let denied = get(&cloud, "/servers/detail?all_tenants=1", &alice);
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(
        denied.body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed."
    );
    assert!(get(&cloud, "/servers", &admin).body["servers"].as_array().unwrap().is_empty());
    assert_eq!(get(&cloud, "/servers?all_tenants=True", &admin).body["servers"].as_array().unwrap().len(), 6);
    let globex = cloud.sim().world().identity.projects.values().find(|p| p.name == "globex").unwrap().id.clone();
    let only = get(&cloud, &format!("/servers?all_tenants=1&project_id={globex}"), &admin);
    assert_eq!(names(&only), ["app-1", "win-1"]);
    // A non-admin's host filter is dropped, as Nova drops unknown filters.
    assert_eq!(names(&get(&cloud, "/servers?host=old-3", &alice)).len(), 4);
    assert_eq!(names(&get(&cloud, "/servers?all_tenants=1&host=old-3", &admin)), ["batch-1", "win-1"]);
}

#[test]
fn detail_body_follows_nova() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let web1 = server_by_name(&cloud, &admin, "web-1");
    assert_eq!(web1["status"], "ACTIVE");
    let project = web1["tenant_id"].as_str().unwrap();
    use sha2::Digest as _;
    let expected: String = sha2::Sha224::digest(format!("{project}old-1")).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(web1["hostId"], expected);
    let addrs = web1["addresses"]["acme-net"].as_array().unwrap();
    assert_eq!(addrs[0]["addr"], "10.0.0.10");
    assert_eq!(addrs[0]["OS-EXT-IPS:type"], "fixed");
    assert_eq!(addrs[1]["addr"], "172.24.4.10");
    assert_eq!(addrs[1]["OS-EXT-IPS:type"], "floating");
    assert_eq!(addrs[0]["OS-EXT-IPS-MAC:mac_addr"], addrs[1]["OS-EXT-IPS-MAC:mac_addr"]);
    assert_eq!(web1["flavor"]["original_name"], "m1.small");
    assert_eq!(web1["OS-EXT-SRV-ATTR:host"], "old-1");
    assert_eq!(web1["host_status"], "UP");
    assert_eq!(web1["OS-EXT-STS:power_state"], 1);
    assert_eq!(web1["tags"], json!(["prod"]));
    assert_eq!(web1["security_groups"], json!([{"name": "default"}, {"name": "web"}]));
    let db1 = server_by_name(&cloud, &admin, "db-1");
    assert_eq!(db1["image"], "", "a volume-backed server has no image");
    let vols = db1["os-extended-volumes:volumes_attached"].as_array().unwrap();
    assert_eq!(vols.len(), 2);
    assert_eq!(vols[0]["delete_on_termination"], true);
    let batch = server_by_name(&cloud, &admin, "batch-1");
    assert_eq!(batch["status"], "SHUTOFF");
    assert_eq!(batch["OS-EXT-AZ:availability_zone"], "az-fast");
    // At 2.1: flavor by id and link, no 2.x fields; members get no admin attributes.
    let alice = cloud.token("alice", "alice-secret", "acme");
    let id = web1["id"].as_str().unwrap();
    let old = nova(&cloud, Method::GET, &format!("/servers/{id}"), &alice, "2.1", None);
    let s = &old.body["server"];
    assert_eq!(s["flavor"]["id"], "2");
    assert!(s["flavor"]["links"][0]["href"].as_str().unwrap().ends_with("/compute/RegionOne/flavors/2"));
    assert!(s.get("locked").is_none() && s.get("description").is_none() && s.get("tags").is_none());
    assert!(s.get("OS-EXT-SRV-ATTR:host").is_none());
    let shown = get(&cloud, &format!("/servers/{id}"), &alice);
    assert_eq!(shown.body["server"]["server_groups"].as_array().unwrap().len(), 1);
    assert_eq!(shown.body["server"]["description"], "front end");
}

#[test]
fn paging_filters_and_sorting() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let first = get(&cloud, "/servers?all_tenants=1&limit=4", &admin);
    assert_eq!(first.body["servers"].as_array().unwrap().len(), 4);
    let next = first.body["servers_links"][0]["href"].as_str().unwrap();
    assert!(next.contains("all_tenants=1") && next.contains("marker="));
    let path = next.split("/v2.1").nth(1).unwrap();
    let second = get(&cloud, path, &admin);
    assert_eq!(second.body["servers"].as_array().unwrap().len(), 2);
    assert!(second.body.get("servers_links").is_none());
    let mut all = names(&first);
    all.extend(names(&second));
    all.sort();
    assert_eq!(all, ["app-1", "batch-1", "db-1", "web-1", "web-2", "win-1"]);
    let bad = get(&cloud, "/servers?marker=00000000-0000-0000-0000-000000000000", &admin);
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(names(&get(&cloud, "/servers?all_tenants=1&name=WEB", &admin)), ["web-1", "web-2"]);
    assert_eq!(names(&get(&cloud, "/servers?all_tenants=1&status=shutoff", &admin)), ["batch-1"]);
    assert_eq!(names(&get(&cloud, "/servers/detail?all_tenants=1&tags=prod", &admin)), ["web-1"]);
    assert_eq!(names(&get(&cloud, "/servers?all_tenants=1&flavor=gold", &admin)), ["db-1"]);
    assert_eq!(names(&get(&cloud, "/servers?all_tenants=1&availability_zone=az-fast", &admin)), ["batch-1", "win-1"]);
    let sorted = get(&cloud, "/servers?all_tenants=1&sort_key=display_name&sort_dir=asc", &admin);
    let order: Vec<&str> =
        sorted.body["servers"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(order, ["app-1", "batch-1", "db-1", "web-1", "web-2", "win-1"]);
    assert_eq!(get(&cloud, "/servers?sort_key=bogus", &admin).status, StatusCode::BAD_REQUEST);
}

#[test]
fn create_builds_an_owned_active_server_with_a_bound_port() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let bob = cloud.token("bob", "bob-secret", "globex");
    let mut body = tiny(&cloud, "api-1");
    body["key_name"] = json!("alice-key");
    body["metadata"] = json!({"k": "v"});
    body["tags"] = json!(["t1"]);
    let r = boot(&cloud, &alice, body);
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    assert!(r.headers["location"].to_str().unwrap().ends_with(&format!("/v2.1/servers/{id}")));
    assert_eq!(r.body["server"]["adminPass"].as_str().unwrap().len(), 12);
    assert_eq!(r.body["server"]["security_groups"], json!([{"name": "default"}]));
    let s = get(&cloud, &format!("/servers/{id}"), &alice).body["server"].clone();
    assert_eq!(s["status"], "ACTIVE");
    assert_eq!(s["key_name"], "alice-key");
    assert_eq!(s["tags"], json!(["t1"]));
    assert!(!s["OS-SRV-USG:launched_at"].is_null());
    let w = cloud.sim().world();
    let acme = w.identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
    let alice_id = w.identity.users.values().find(|u| u.name == "alice").unwrap().id.clone();
    assert_eq!(s["tenant_id"], acme.as_str());
    assert_eq!(s["user_id"], alice_id.as_str());
    let server = &w.compute["RegionOne"].servers[&id];
    let host = server.host.clone().unwrap();
    assert!(w.compute["RegionOne"].host_schedulable(&host));
    let ports = w.network.ports_of_device(&id);
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].binding_host_id, host);
    assert_eq!(ports[0].device_owner, "compute:nova");
    assert_eq!(ports[0].status, "ACTIVE");
    assert_eq!(ports[0].project_id, acme);
    drop(w);
    assert_eq!(get(&cloud, &format!("/servers/{id}"), &bob).status, StatusCode::NOT_FOUND);
    assert!(!names(&get(&cloud, "/servers", &bob)).contains(&"api-1".to_string()));
}

/// With Neutron, Nova shows a server's security groups as those of its
/// ports: realcloud's Nova answered the boot with the groups asked for
/// but showed no `security_groups` at all for a server booted with
/// `networks: none` (differential fixture `nova-bfv@2.96`).
#[test]
fn security_groups_shown_are_those_of_the_ports() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let mut body = tiny(&cloud, "portless");
    body["networks"] = json!("none");
    let r = boot(&cloud, &alice, body);
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["server"]["security_groups"], json!([{"name": "default"}]), "the boot answer echoes the ask");
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &alice).body["server"].clone();
    assert!(s.get("security_groups").is_none(), "no port, no groups: {s}");
    let r = boot(&cloud, &alice, tiny(&cloud, "ported"));
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &alice).body["server"].clone();
    assert_eq!(s["security_groups"], json!([{"name": "default"}]));
}

#[test]
fn build_passes_through_its_task_states() {
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.time = Some(cutover_sim::clock::TimeModel { boot_secs: 1.0, ..Default::default() });
    let cloud = TestCloud::with(scenario, 1.0);
    let alice = cloud.token("alice", "alice-secret", "acme");
    let r = boot(&cloud, &alice, tiny(&cloud, "slow"));
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &alice).body["server"].clone();
    assert_eq!(s["status"], "BUILD");
    assert_eq!(s["OS-EXT-STS:task_state"], "scheduling");
    assert_eq!(s["addresses"], json!({}));
    std::thread::sleep(std::time::Duration::from_millis(1300));
    let s = get(&cloud, &format!("/servers/{id}"), &alice).body["server"].clone();
    assert_eq!(s["status"], "ACTIVE");
    assert!(s["addresses"]["acme-net"].is_array());
}

#[test]
fn create_rejects_what_nova_rejects() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let bob = cloud.token("bob", "bob-secret", "globex");
    let mut b = tiny(&cloud, "x");
    b["key_name"] = json!("bob-key");
    let r = boot(&cloud, &alice, b);
    assert_eq!(
        (r.status, r.body["badRequest"]["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Invalid key_name provided."))
    );
    let mut b = tiny(&cloud, "x");
    b["flavorRef"] = json!("gold");
    b["networks"] = json!("none");
    let r = boot(&cloud, &bob, b);
    assert_eq!(r.body["badRequest"]["message"], "Invalid flavorRef provided.");
    let mut b = tiny(&cloud, "x");
    b.as_object_mut().unwrap().remove("networks");
    assert_eq!(boot(&cloud, &alice, b).status, StatusCode::BAD_REQUEST, "networks is required at 2.37+");
    let mut b = tiny(&cloud, "x");
    b["user_data"] = json!("not base64!");
    assert_eq!(boot(&cloud, &alice, b).status, StatusCode::BAD_REQUEST);
    let mut b = tiny(&cloud, "x");
    b["personality"] = json!([]);
    assert_eq!(boot(&cloud, &alice, b).status, StatusCode::BAD_REQUEST, "personality is gone at 2.57");
    let mut b = tiny(&cloud, "x");
    b["imageRef"] = json!("11111111-2222-3333-4444-555555555555");
    assert_eq!(boot(&cloud, &alice, b).status, StatusCode::BAD_REQUEST);
    // A port already bound to a server is in use.
    let web2_port = {
        let w = cloud.sim().world();
        let web2 = w.compute["RegionOne"].servers.values().find(|s| s.name == "web-2").unwrap();
        web2.nics[0].port_id.clone().unwrap()
    };
    let mut b = tiny(&cloud, "x");
    b["networks"] = json!([{"port": web2_port}]);
    assert_eq!(boot(&cloud, &alice, b).status, StatusCode::CONFLICT);
    let mut b = tiny(&cloud, "x");
    b["networks"] = json!([{"uuid": network_id(&cloud, "acme-net"), "fixed_ip": "10.0.0.10"}]);
    assert_eq!(boot(&cloud, &alice, b).status, StatusCode::BAD_REQUEST, "10.0.0.10 belongs to web-1");
    // Quota: acme may have 40 cores; it uses 1+1+4+2 = 8 (web-1, web-2, db-1, batch-1).
    cloud.sim().world().compute.get_mut("RegionOne").unwrap().quotas.values_mut().for_each(|q| q.instances = 4);
    let r = boot(&cloud, &alice, tiny(&cloud, "x"));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["forbidden"]["message"],
        "Quota exceeded for instances: Requested 1, but already used 4 of 4 instances"
    );
}

#[test]
fn scheduler_skips_disabled_and_full_hosts_and_honours_anti_affinity() {
    let mut scenario = cutover_sim::Scenario::builtin();
    let r1 = &mut scenario.regions[0];
    r1.hosts[0].disabled = true; // old-1
    let cloud = TestCloud::with(scenario, 0.0);
    let alice = cloud.token("alice", "alice-secret", "acme");
    for i in 0..4 {
        let r = boot(&cloud, &alice, tiny(&cloud, &format!("s{i}")));
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    }
    let admin = cloud.admin_token();
    let listed = get(&cloud, "/servers/detail?name=^s[0-9]$", &alice);
    assert_eq!(listed.body["servers"].as_array().unwrap().len(), 4);
    for s in listed.body["servers"].as_array().unwrap() {
        assert_eq!(s["status"], "ACTIVE");
        let id = s["id"].as_str().unwrap();
        let host = cloud.sim().world().compute["RegionOne"].servers[id].host.clone().unwrap();
        assert_ne!(host, "old-1");
    }
    // web-ha (anti-affinity) has web-1 on old-1 and web-2 on old-2: a third
    // member may only go to old-3.
    let group = cloud.sim().world().compute["RegionOne"].server_groups.values().next().unwrap().id.clone();
    let r = nova(
        &cloud,
        Method::POST,
        "/servers",
        &alice,
        "2.96",
        Some(json!({"server": tiny(&cloud, "web-3"), "os:scheduler_hints": {"group": group}})),
    );
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &admin).body["server"].clone();
    assert_eq!(s["OS-EXT-SRV-ATTR:host"], "old-3");
    // A flavor no host can hold: ERROR with NoValidHost.
    {
        let mut w = cloud.sim().world();
        let r = w.compute.get_mut("RegionOne").unwrap();
        let mut huge = r.flavors["1"].clone();
        huge.id = "huge".into();
        huge.ram_mb = 10_000_000;
        r.flavors.insert("huge".into(), huge);
        r.quotas.clear();
        r.quota_defaults.ram = -1;
    }
    let mut b = tiny(&cloud, "too-big");
    b["flavorRef"] = json!("huge");
    let id = boot(&cloud, &alice, b).body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &alice).body["server"].clone();
    assert_eq!(s["status"], "ERROR");
    assert_eq!(s["fault"]["code"], 500);
    assert!(s["fault"]["message"].as_str().unwrap().starts_with("No valid host was found."));
    assert!(s["fault"].get("details").is_none(), "members do not see a 500's details");
    assert_eq!(
        nova(&cloud, Method::DELETE, &format!("/servers/{id}"), &alice, "2.96", None).status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(get(&cloud, &format!("/servers/{id}"), &alice).status, StatusCode::NOT_FOUND);
}

#[test]
fn boot_on_a_failing_host_ends_in_error_and_frees_its_port() {
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.regions[0].failing_hosts = vec!["old-1".into(), "old-2".into(), "old-3".into()];
    let cloud = TestCloud::with(scenario, 0.0);
    let alice = cloud.token("alice", "alice-secret", "acme");
    let id = boot(&cloud, &alice, tiny(&cloud, "doomed")).body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &alice).body["server"].clone();
    assert_eq!(s["status"], "ERROR");
    assert!(s["fault"]["message"].as_str().unwrap().contains("Exceeded maximum number of retries"));
    assert!(cloud.sim().world().network.ports_of_device(&id).is_empty());
}

#[test]
fn boot_from_volumes() {
    let cloud = TestCloud::start();
    let bob = cloud.token("bob", "bob-secret", "globex");
    let spare = {
        let w = cloud.sim().world();
        w.volume.volumes.values().find(|v| v.name.as_deref() == Some("spare")).unwrap().id.clone()
    };
    let globex_net = network_id(&cloud, "globex-net");
    let r = boot(
        &cloud,
        &bob,
        json!({"name": "bfv", "flavorRef": "1", "networks": [{"uuid": globex_net}],
        "block_device_mapping_v2": [{"uuid": spare, "source_type": "volume", "destination_type": "volume", "boot_index": 0}]}),
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &bob).body["server"].clone();
    assert_eq!((s["status"].as_str(), &s["image"]), (Some("ACTIVE"), &json!("")));
    assert_eq!(s["os-extended-volumes:volumes_attached"][0]["id"], spare.as_str());
    assert_eq!(cloud.sim().world().volume.volumes[&spare].status, "in-use");
    // The volume is taken now.
    let again = boot(
        &cloud,
        &bob,
        json!({"name": "bfv2", "flavorRef": "1", "networks": "none",
        "block_device_mapping_v2": [{"uuid": spare, "source_type": "volume", "destination_type": "volume", "boot_index": 0}]}),
    );
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    let img = image_id(&cloud, "cirros");
    let r = boot(
        &cloud,
        &bob,
        json!({"name": "from-image", "flavorRef": "1", "networks": "none",
        "block_device_mapping_v2": [{"uuid": img, "source_type": "image", "destination_type": "volume",
            "boot_index": 0, "volume_size": 5, "delete_on_termination": true}]}),
    );
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = get(&cloud, &format!("/servers/{id}"), &bob).body["server"].clone();
    assert_eq!(s["status"], "ACTIVE");
    let vol = s["os-extended-volumes:volumes_attached"][0]["id"].as_str().unwrap().to_string();
    {
        let w = cloud.sim().world();
        let v = &w.volume.volumes[&vol];
        assert_eq!((v.size_gb, v.bootable, v.status.as_str()), (5, true, "in-use"));
        assert_eq!(v.source_image_id.as_deref(), Some(img.as_str()));
    }
    nova(&cloud, Method::DELETE, &format!("/servers/{id}"), &bob, "2.96", None);
    get(&cloud, "/servers", &bob);
    assert!(!cloud.sim().world().volume.volumes.contains_key(&vol), "delete_on_termination removes it");
}

#[test]
fn delete_releases_ports_volumes_and_leaves_a_tombstone() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let admin = cloud.admin_token();
    let before = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (web1, web2, db1) = {
        let w = cloud.sim().world();
        let id = |n: &str| w.compute["RegionOne"].servers.values().find(|s| s.name == n).unwrap().clone();
        (id("web-1"), id("web-2"), id("db-1"))
    };
    cloud.sim().world().compute.get_mut("RegionOne").unwrap().servers.get_mut(&web1.id).unwrap().locked = true;
    let r = nova(&cloud, Method::DELETE, &format!("/servers/{}", web1.id), &alice, "2.96", None);
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        nova(&cloud, Method::DELETE, &format!("/servers/{}", web1.id), &admin, "2.96", None).status,
        StatusCode::NO_CONTENT
    );
    for s in [&web2, &db1] {
        assert_eq!(
            nova(&cloud, Method::DELETE, &format!("/servers/{}", s.id), &alice, "2.96", None).status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(get(&cloud, &format!("/servers/{}", web1.id), &admin).status, StatusCode::NOT_FOUND);
    let w = cloud.sim().world();
    let web1_port = web1.nics[0].port_id.clone().unwrap();
    assert!(!w.network.ports.contains_key(&web1_port), "Nova's own port is deleted");
    let fip = w.network.floating_ips.values().find(|f| f.floating_ip_address == "172.24.4.10").unwrap();
    assert!(fip.port_id.is_none());
    let kept = &w.network.ports[web2.nics[0].port_id.as_ref().unwrap()];
    assert!(kept.device_id.is_empty() && kept.binding_host_id.is_empty() && kept.device_owner.is_empty());
    assert_eq!(kept.fixed_ips[0].ip_address, "10.0.0.11");
    let root = &db1.block_devices[0].volume_id;
    let data = &db1.block_devices[1].volume_id;
    assert!(!w.volume.volumes.contains_key(root));
    assert_eq!(w.volume.volumes[data].status, "available");
    let group = w.compute["RegionOne"].server_groups.values().next().unwrap();
    assert!(group.members.is_empty());
    drop(w);
    let changed = get(&cloud, &format!("/servers/detail?changes-since={before}"), &alice);
    let deleted: Vec<&Value> =
        changed.body["servers"].as_array().unwrap().iter().filter(|s| s["status"] == "DELETED").collect();
    assert_eq!(deleted.len(), 3, "web-1, web-2 and db-1 are acme's: {}", changed.text);
    assert!(!names(&get(&cloud, "/servers", &alice)).contains(&"web-2".to_string()));
}

#[test]
fn update_renames_and_describes() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let id = cloud.sim().world().compute["RegionOne"].servers.values().find(|s| s.name == "web-1").unwrap().id.clone();
    let r = nova(
        &cloud,
        Method::PUT,
        &format!("/servers/{id}"),
        &alice,
        "2.96",
        Some(json!({"server": {"name": "web-one", "description": "renamed"}})),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["server"]["name"], "web-one");
    assert_eq!(r.body["server"]["description"], "renamed");
    let old = nova(
        &cloud,
        Method::PUT,
        &format!("/servers/{id}"),
        &alice,
        "2.1",
        Some(json!({"server": {"description": "x"}})),
    );
    assert_eq!(old.status, StatusCode::BAD_REQUEST, "description needs 2.19");
}

#[test]
fn detail_pages_a_thousand_among_many() {
    // How fast this is belongs to the benchmark (benches/throughput.rs);
    // here only that a full page and its next link come back.
    let opts = cutover_sim::GenerateOptions {
        hosts: 60,
        servers: 2_500,
        new_hosts: Some(2),
        networking: cutover_sim::model::compute::Networking::Neutron,
        seed: 7,
    };
    let cloud = TestCloud::with(cutover_sim::generate(&opts), 0.0);
    let admin = cloud.admin_token();
    let r = get(&cloud, "/servers/detail?all_tenants=1&limit=1000", &admin);
    assert_eq!(r.body["servers"].as_array().unwrap().len(), 1000);
    let next = r.body["servers_links"][0]["href"].as_str().unwrap();
    let marker = r.body["servers"][999]["id"].as_str().unwrap();
    assert!(next.contains(&format!("marker={marker}")), "{next}");
}

#[test]
fn version_document_needs_no_token_and_names_a_single_version_range() {
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.regions[0].max_microversion = "2.1".into();
    let cloud = TestCloud::with(scenario, 0.0);
    let r = cloud.call(Method::GET, "/compute/RegionOne/v2.1/", None, &[], None);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"]["version"], "2.1");
    assert_eq!(r.body["version"]["min_version"], "2.1");
    let r = cloud.call(Method::GET, "/compute/RegionOne/v2.1/servers", None, &[], None);
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the API itself still needs a token");
}

/// Disables every compute service of `region`, as a drained old region is.
fn disable_all(cloud: &TestCloud, region: &str) {
    let mut w = cloud.sim().world();
    for s in w.compute.get_mut(region).unwrap().services.values_mut().filter(|s| s.binary == "nova-compute") {
        s.disabled = true;
        s.disabled_reason = Some("drained".into());
    }
}

fn boot_as(cloud: &TestCloud, token: &str, version: &str, server: Value) -> (Reply, Option<Value>) {
    let r = nova(cloud, Method::POST, "/servers", token, version, Some(json!({ "server": server })));
    let shown = r.body["server"]["id"]
        .as_str()
        .map(|id| nova(cloud, Method::GET, &format!("/servers/{id}"), token, version, None).body["server"].clone());
    (r, shown)
}

#[test]
fn no_boot_lands_on_a_disabled_host_forced_or_requested() {
    // Nova from Train: placement's mandatory compute_status_filter leaves
    // out hosts with the COMPUTE_STATUS_DISABLED trait, even a host forced
    // with zone:host (which skips the scheduler filters), and 2.74's `host`
    // runs the filters. Both are admin only by default.
    let cloud = TestCloud::start();
    disable_all(&cloud, "RegionOne");
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");

    let mut forced = tiny(&cloud, "forced");
    forced["availability_zone"] = json!("nova:old-1");
    let (r, _) = boot_as(&cloud, &alice, "2.96", forced.clone());
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("os_compute_api:servers:create:forced_host"), "{}", r.text);
    let mut requested = tiny(&cloud, "requested");
    requested["host"] = json!("old-1");
    let (r, _) = boot_as(&cloud, &alice, "2.96", requested.clone());
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("compute:servers:create:requested_destination"), "{}", r.text);
    let mut both = forced.clone();
    both["host"] = json!("old-2");
    let (r, _) = boot_as(&cloud, &admin, "2.96", both);
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("mutually exclusive"), "{}", r.text);

    for (name, body) in [("scheduled", tiny(&cloud, "scheduled")), ("forced", forced), ("requested", requested)] {
        let (r, shown) = boot_as(&cloud, &admin, "2.96", body);
        assert_eq!(r.status, StatusCode::ACCEPTED, "{name}: {}", r.text);
        let shown = shown.unwrap();
        assert_eq!(shown["status"], "ERROR", "{name}: {shown}");
        assert!(shown["fault"]["message"].as_str().unwrap().starts_with("No valid host was found."), "{name}");
    }

    // The host enabled again takes the boot.
    let id = cloud.sim().world().compute["RegionOne"]
        .services
        .values()
        .find(|s| s.host == "old-1" && s.binary == "nova-compute")
        .unwrap()
        .uuid
        .clone();
    let enabled =
        nova(&cloud, Method::PUT, &format!("/os-services/{id}"), &admin, "2.53", Some(json!({"status": "enabled"})));
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.text);
    let (_, shown) = boot_as(&cloud, &alice, "2.96", tiny(&cloud, "back"));
    let shown = shown.unwrap();
    assert_eq!(shown["status"], "ACTIVE", "{shown}");
    let id = shown["id"].as_str().unwrap();
    assert_eq!(cloud.sim().world().compute["RegionOne"].servers[id].host.as_deref(), Some("old-1"));
}

#[test]
fn before_train_a_forced_host_skips_the_disabled_check() {
    // Stein and older (2.72 at most) had no placement pre-filter: zone:host
    // bypassed every filter, the ComputeFilter too.
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.regions[0].max_microversion = "2.72".into();
    let cloud = TestCloud::with(scenario, 0.0);
    disable_all(&cloud, "RegionOne");
    let admin = cloud.admin_token();
    let mut forced = tiny(&cloud, "forced");
    forced["availability_zone"] = json!("nova:old-2");
    let (r, shown) = boot_as(&cloud, &admin, "2.72", forced);
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(shown.unwrap()["status"], "ACTIVE");
    let (r, shown) = boot_as(&cloud, &admin, "2.72", tiny(&cloud, "scheduled"));
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(shown.unwrap()["status"], "ERROR", "the scheduler's filters still skip disabled hosts");
}
