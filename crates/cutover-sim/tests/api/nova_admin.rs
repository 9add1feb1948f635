//! Nova's non-server APIs over HTTP: microversion-dependent shapes, policy
//! (admin-only vs project-scoped) and the nova-network proxies.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{Reply, TestCloud};

const R1: &str = "/compute/RegionOne/v2.1";

fn at(cloud: &TestCloud, method: Method, path: &str, token: &str, version: &str, body: Option<Value>) -> Reply {
    let header = format!("compute {version}");
    cloud.call(method, &format!("{R1}{path}"), Some(token), &[("OpenStack-API-Version", &header)], body)
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array().unwrap().iter().map(|v| v[key].as_str().unwrap().to_string()).collect()
}

fn nova_network_cloud() -> TestCloud {
    let mut s = cutover_sim::Scenario::builtin();
    let yaml = r#"
name: RegionLegacy
networking: nova-network
max_microversion: "2.1"
hosts: [{name: legacy-1}]
fixed_networks: [{label: private, cidr: 10.9.0.0/24}]
floating_ip_pools: [{name: public, ip_range: 192.0.2.0/29}]
"#;
    s.regions.insert(0, yaml_serde::from_str(yaml).unwrap());
    TestCloud::with(s, 0.0)
}

#[test]
fn flavor_visibility_and_microversion_shapes() {
    let cloud = TestCloud::start();
    let (admin, alice, bob) =
        (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"), cloud.token("bob", "bob-secret", "globex"));
    let listed = |t: &str, q: &str| {
        names(&at(&cloud, Method::GET, &format!("/flavors{q}"), t, "2.1", None).body["flavors"], "name")
    };
    assert!(listed(&alice, "").contains(&"acme.gold".to_string()));
    assert!(!listed(&bob, "").contains(&"acme.gold".to_string()));
    assert!(!listed(&admin, "").contains(&"acme.gold".to_string()));
    assert!(listed(&admin, "?is_public=none").contains(&"acme.gold".to_string()));
    assert_eq!(listed(&admin, "?is_public=false"), vec!["acme.gold"]);
    assert_eq!(listed(&alice, "?minRam=4096"), vec!["m1.medium", "acme.gold"]);
    assert_eq!(listed(&alice, "?limit=1&marker=2"), vec!["m1.medium"]);
    let r = at(&cloud, Method::GET, "/flavors/gold", &bob, "2.1", None);
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    let old = at(&cloud, Method::GET, "/flavors/3", &alice, "2.1", None).body;
    assert_eq!(old["flavor"]["swap"], "");
    assert!(old["flavor"].get("description").is_none() && old["flavor"].get("extra_specs").is_none());
    let new = at(&cloud, Method::GET, "/flavors/3", &alice, "2.75", None).body;
    assert_eq!(new["flavor"]["swap"], 0);
    assert_eq!(new["flavor"]["extra_specs"]["hw:cpu_policy"], "shared");
    assert!(new["flavor"]["description"].is_null());
}

#[test]
fn flavor_management_is_admin_only() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    let body = json!({"flavor": {"name": "x1", "id": "x1", "ram": 256, "vcpus": 1, "disk": 1}});
    let r = at(&cloud, Method::POST, "/flavors", &alice, "2.1", Some(body.clone()));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed."
    );
    assert_eq!(at(&cloud, Method::POST, "/flavors", &admin, "2.1", Some(body.clone())).status, StatusCode::OK);
    assert_eq!(at(&cloud, Method::POST, "/flavors", &admin, "2.1", Some(body)).status, StatusCode::CONFLICT);
    let same_id = json!({"flavor": {"name": "other", "id": "1", "ram": 256, "vcpus": 1, "disk": 1}});
    assert_eq!(at(&cloud, Method::POST, "/flavors", &admin, "2.1", Some(same_id)).status, StatusCode::CONFLICT);

    let describe = json!({"flavor": {"description": "tiny"}});
    assert_eq!(
        at(&cloud, Method::PUT, "/flavors/x1", &admin, "2.54", Some(describe.clone())).status,
        StatusCode::NOT_FOUND
    );
    let r = at(&cloud, Method::PUT, "/flavors/x1", &admin, "2.55", Some(describe));
    assert_eq!(r.body["flavor"]["description"], "tiny");

    let specs = json!({"extra_specs": {"hw:numa_nodes": "1"}});
    assert_eq!(
        at(&cloud, Method::POST, "/flavors/x1/os-extra_specs", &alice, "2.1", Some(specs.clone())).status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        at(&cloud, Method::POST, "/flavors/x1/os-extra_specs", &admin, "2.1", Some(specs)).status,
        StatusCode::OK
    );
    let r = at(&cloud, Method::GET, "/flavors/x1/os-extra_specs/hw:numa_nodes", &alice, "2.1", None);
    assert_eq!(r.body, json!({"hw:numa_nodes": "1"}));
    let mismatch = json!({"other": "1"});
    let r = at(&cloud, Method::PUT, "/flavors/x1/os-extra_specs/hw:numa_nodes", &admin, "2.1", Some(mismatch));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = at(&cloud, Method::DELETE, "/flavors/x1/os-extra_specs/hw:numa_nodes", &admin, "2.1", None);
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(at(&cloud, Method::DELETE, "/flavors/x1", &admin, "2.1", None).status, StatusCode::ACCEPTED);
    assert_eq!(at(&cloud, Method::GET, "/flavors/x1", &admin, "2.1", None).status, StatusCode::NOT_FOUND);
}

#[test]
fn flavor_access_actions() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let globex = cloud.sim().world().identity.projects.values().find(|p| p.name == "globex").unwrap().id.clone();
    let add = json!({"addTenantAccess": {"tenant": globex}});
    assert_eq!(
        at(&cloud, Method::POST, "/flavors/1/action", &admin, "2.7", Some(add.clone())).status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        at(&cloud, Method::GET, "/flavors/1/os-flavor-access", &admin, "2.1", None).status,
        StatusCode::NOT_FOUND
    );
    let r = at(&cloud, Method::POST, "/flavors/gold/action", &admin, "2.7", Some(add.clone()));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["flavor_access"].as_array().unwrap().len(), 2);
    assert_eq!(at(&cloud, Method::POST, "/flavors/gold/action", &admin, "2.7", Some(add)).status, StatusCode::CONFLICT);
    let bob = cloud.token("bob", "bob-secret", "globex");
    assert_eq!(at(&cloud, Method::GET, "/flavors/gold", &bob, "2.1", None).status, StatusCode::OK);
    let remove = json!({"removeTenantAccess": {"tenant": globex}});
    assert_eq!(
        at(&cloud, Method::POST, "/flavors/gold/action", &admin, "2.7", Some(remove.clone())).status,
        StatusCode::OK
    );
    assert_eq!(
        at(&cloud, Method::POST, "/flavors/gold/action", &admin, "2.7", Some(remove)).status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        at(&cloud, Method::GET, "/flavors/gold/os-flavor-access", &bob, "2.1", None).status,
        StatusCode::FORBIDDEN
    );
}

#[test]
fn keypairs_per_user_with_nova_fingerprints() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    // The key blob of `ssh-ed25519` with 32 zero bytes.
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA me@host";
    let body = json!({"keypair": {"name": "k1", "public_key": key}});
    let r = at(&cloud, Method::POST, "/os-keypairs", &alice, "2.1", Some(body.clone()));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["keypair"].get("type").is_none());
    let fingerprint = r.body["keypair"]["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 47);
    assert_eq!(at(&cloud, Method::POST, "/os-keypairs", &alice, "2.1", Some(body)).status, StatusCode::CONFLICT);
    let bad = json!({"keypair": {"name": "k2", "public_key": "ssh-rsa not-base64!"}});
    assert_eq!(at(&cloud, Method::POST, "/os-keypairs", &alice, "2.2", Some(bad)).status, StatusCode::BAD_REQUEST);

    let generated = at(&cloud, Method::POST, "/os-keypairs", &alice, "2.2", Some(json!({"keypair": {"name": "gen"}})));
    assert_eq!(generated.status, StatusCode::CREATED);
    assert_eq!(generated.body["keypair"]["type"], "ssh");
    assert!(generated.body["keypair"]["private_key"].as_str().unwrap().contains("PRIVATE KEY"));
    let r = at(&cloud, Method::POST, "/os-keypairs", &alice, "2.92", Some(json!({"keypair": {"name": "gen2"}})));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let mine = names(
        &at(&cloud, Method::GET, "/os-keypairs", &alice, "2.2", None).body["keypairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["keypair"].clone())
            .collect::<Value>(),
        "name",
    );
    assert_eq!(mine, vec!["alice-key", "gen", "k1"]);
    assert!(at(&cloud, Method::GET, "/os-keypairs", &admin, "2.2", None).body["keypairs"]
        .as_array()
        .unwrap()
        .is_empty());
    let alice_id = cloud.sim().world().identity.users.values().find(|u| u.name == "alice").unwrap().id.clone();
    let r = at(&cloud, Method::GET, &format!("/os-keypairs/k1?user_id={alice_id}"), &admin, "2.10", None);
    assert_eq!(r.body["keypair"]["fingerprint"], fingerprint.as_str());
    let bob = cloud.token("bob", "bob-secret", "globex");
    let r = at(&cloud, Method::GET, &format!("/os-keypairs?user_id={alice_id}"), &bob, "2.10", None);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(at(&cloud, Method::DELETE, "/os-keypairs/k1", &alice, "2.2", None).status, StatusCode::NO_CONTENT);
    assert_eq!(at(&cloud, Method::DELETE, "/os-keypairs/k1", &alice, "2.2", None).status, StatusCode::NOT_FOUND);
}

#[test]
fn quotas_and_limits() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    let acme = cloud.sim().world().identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
    let path = format!("/os-quota-sets/{acme}");
    let old = at(&cloud, Method::GET, &path, &alice, "2.1", None).body;
    assert_eq!(old["quota_set"]["instances"], 20);
    assert!(old["quota_set"].get("floating_ips").is_some() && old["quota_set"].get("injected_files").is_some());
    let new = at(&cloud, Method::GET, &path, &alice, "2.57", None).body;
    assert!(new["quota_set"].get("floating_ips").is_none() && new["quota_set"].get("injected_files").is_none());
    let bob = cloud.token("bob", "bob-secret", "globex");
    assert_eq!(at(&cloud, Method::GET, &path, &bob, "2.1", None).status, StatusCode::FORBIDDEN);

    let detail = at(&cloud, Method::GET, &format!("{path}/detail"), &alice, "2.1", None).body;
    // web-1, web-2 (m1.small), db-1 (gold), batch-1 (m1.medium) of acme.
    assert_eq!(detail["quota_set"]["instances"]["in_use"], 4);
    assert_eq!(detail["quota_set"]["cores"]["in_use"], 1 + 1 + 4 + 2);

    let update = json!({"quota_set": {"instances": 30}});
    assert_eq!(at(&cloud, Method::PUT, &path, &alice, "2.1", Some(update.clone())).status, StatusCode::FORBIDDEN);
    let r = at(&cloud, Method::PUT, &path, &admin, "2.1", Some(update));
    assert_eq!(r.body["quota_set"]["instances"], 30);
    let too_low = json!({"quota_set": {"instances": 2}});
    assert_eq!(at(&cloud, Method::PUT, &path, &admin, "2.1", Some(too_low)).status, StatusCode::BAD_REQUEST);
    let network = json!({"quota_set": {"floating_ips": 5}});
    assert_eq!(at(&cloud, Method::PUT, &path, &admin, "2.36", Some(network)).status, StatusCode::BAD_REQUEST);

    let limits = at(&cloud, Method::GET, "/limits", &alice, "2.1", None).body;
    let abs = &limits["limits"]["absolute"];
    assert_eq!(abs["maxTotalInstances"], 30);
    assert_eq!(abs["totalInstancesUsed"], 4);
    assert_eq!(abs["totalRAMUsed"], 2048 * 2 + 8192 + 4096);
    assert!(abs.get("maxImageMeta").is_some() && abs.get("maxPersonality").is_some());
    let abs = at(&cloud, Method::GET, "/limits", &alice, "2.57", None).body["limits"]["absolute"].clone();
    assert!(
        abs.get("maxImageMeta").is_none()
            && abs.get("maxPersonality").is_none()
            && abs.get("maxSecurityGroups").is_none()
    );
}

#[test]
fn server_groups_by_version() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    let list = at(&cloud, Method::GET, "/os-server-groups", &alice, "2.1", None).body;
    let g = &list["server_groups"][0];
    assert_eq!(g["policies"], json!(["anti-affinity"]));
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    assert!(g.get("project_id").is_none());
    let new = at(&cloud, Method::GET, "/os-server-groups", &alice, "2.64", None).body;
    assert_eq!(new["server_groups"][0]["policy"], "anti-affinity");
    assert!(new["server_groups"][0].get("policies").is_none());

    let old_body = json!({"server_group": {"name": "g1", "policies": ["soft-affinity"]}});
    assert_eq!(
        at(&cloud, Method::POST, "/os-server-groups", &alice, "2.14", Some(old_body.clone())).status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(at(&cloud, Method::POST, "/os-server-groups", &alice, "2.15", Some(old_body)).status, StatusCode::OK);
    let rules = json!({"server_group": {"name": "g2", "policy": "affinity", "rules": {"max_server_per_host": 2}}});
    assert_eq!(
        at(&cloud, Method::POST, "/os-server-groups", &alice, "2.64", Some(rules)).status,
        StatusCode::BAD_REQUEST
    );
    let ok = json!({"server_group": {"name": "g2", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}});
    let r = at(&cloud, Method::POST, "/os-server-groups", &alice, "2.64", Some(ok));
    let id = r.body["server_group"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["server_group"]["rules"]["max_server_per_host"], 2);

    let bob = cloud.token("bob", "bob-secret", "globex");
    assert_eq!(
        at(&cloud, Method::GET, &format!("/os-server-groups/{id}"), &bob, "2.1", None).status,
        StatusCode::NOT_FOUND
    );
    // Nova ignores all_projects for a non-admin: its own groups, no 403.
    let asked = at(&cloud, Method::GET, "/os-server-groups?all_projects=True", &alice, "2.1", None).body;
    assert_eq!(asked, at(&cloud, Method::GET, "/os-server-groups", &alice, "2.1", None).body);
    let all = at(&cloud, Method::GET, "/os-server-groups?all_projects=True", &admin, "2.1", None).body;
    assert_eq!(all["server_groups"].as_array().unwrap().len(), 3);
    assert_eq!(
        at(&cloud, Method::DELETE, &format!("/os-server-groups/{id}"), &alice, "2.1", None).status,
        StatusCode::NO_CONTENT
    );
}

#[test]
fn aggregates_keep_zones_consistent() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    assert_eq!(at(&cloud, Method::GET, "/os-aggregates", &alice, "2.1", None).status, StatusCode::FORBIDDEN);
    let r = at(
        &cloud,
        Method::POST,
        "/os-aggregates",
        &admin,
        "2.1",
        Some(json!({"aggregate": {"name": "a9", "availability_zone": "az9"}})),
    );
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["aggregate"].get("hosts").is_none());
    let id = r.body["aggregate"]["id"].as_u64().unwrap();
    let act =
        |body: Value| at(&cloud, Method::POST, &format!("/os-aggregates/{id}/action"), &admin, "2.41", Some(body));
    assert_eq!(act(json!({"add_host": {"host": "nope"}})).status, StatusCode::NOT_FOUND);
    // old-3 is already in az-fast.
    assert_eq!(act(json!({"add_host": {"host": "old-3"}})).status, StatusCode::CONFLICT);
    let r = act(json!({"add_host": {"host": "old-1"}}));
    assert_eq!(r.body["aggregate"]["hosts"], json!(["old-1"]));
    assert!(r.body["aggregate"]["uuid"].is_string());
    assert_eq!(act(json!({"add_host": {"host": "old-1"}})).status, StatusCode::CONFLICT);
    {
        let w = cloud.sim().world();
        let region = &w.compute["RegionOne"];
        assert_eq!(region.hosts["old-1"].availability_zone.as_deref(), Some("az9"));
        assert_eq!(region.service_of_host("old-1", "nova-compute").unwrap().zone, "az9");
    }
    // old-1 runs servers: its zone cannot change under them.
    assert_eq!(
        act(json!({"set_metadata": {"metadata": {"availability_zone": "az10"}}})).status,
        StatusCode::BAD_REQUEST
    );
    let r = act(json!({"set_metadata": {"metadata": {"ssd": "false"}}}));
    assert_eq!(r.body["aggregate"]["metadata"], json!({"availability_zone": "az9", "ssd": "false"}));
    let del = at(&cloud, Method::DELETE, &format!("/os-aggregates/{id}"), &admin, "2.1", None);
    assert_eq!(del.status, StatusCode::BAD_REQUEST);

    let zones = at(&cloud, Method::GET, "/os-availability-zone", &alice, "2.1", None).body;
    assert_eq!(names(&zones["availabilityZoneInfo"], "zoneName"), vec!["az-fast", "az9", "nova"]);
    assert_eq!(
        at(&cloud, Method::GET, "/os-availability-zone/detail", &alice, "2.1", None).status,
        StatusCode::FORBIDDEN
    );
    let detail = at(&cloud, Method::GET, "/os-availability-zone/detail", &admin, "2.1", None).body;
    let internal =
        detail["availabilityZoneInfo"].as_array().unwrap().iter().find(|z| z["zoneName"] == "internal").unwrap();
    assert_eq!(internal["hosts"]["controller"]["nova-scheduler"]["available"], true);

    assert_eq!(act(json!({"remove_host": {"host": "old-1"}})).status, StatusCode::OK);
    assert_eq!(act(json!({"remove_host": {"host": "old-1"}})).status, StatusCode::NOT_FOUND);
    assert_eq!(cloud.sim().world().compute["RegionOne"].hosts["old-1"].availability_zone.as_deref(), Some("nova"));
    assert_eq!(at(&cloud, Method::DELETE, &format!("/os-aggregates/{id}"), &admin, "2.1", None).status, StatusCode::OK);
}

#[test]
fn services_by_version() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    assert_eq!(at(&cloud, Method::GET, "/os-services", &alice, "2.1", None).status, StatusCode::FORBIDDEN);
    let old = at(&cloud, Method::GET, "/os-services?binary=nova-compute&host=old-2", &admin, "2.1", None).body;
    let svc = &old["services"][0];
    assert!(svc["id"].is_u64() && svc.get("forced_down").is_none());
    assert_eq!(
        (svc["state"].as_str(), svc["status"].as_str(), svc["zone"].as_str()),
        (Some("up"), Some("enabled"), Some("nova"))
    );

    let body = json!({"host": "old-2", "binary": "nova-compute", "disabled_reason": "maintenance"});
    let r = at(&cloud, Method::PUT, "/os-services/disable-log-reason", &admin, "2.11", Some(body.clone()));
    assert_eq!(
        r.body["service"],
        json!({"host": "old-2", "binary": "nova-compute", "status": "disabled", "disabled_reason": "maintenance"})
    );
    assert_eq!(
        at(&cloud, Method::PUT, "/os-services/disable-log-reason", &admin, "2.53", Some(body)).status,
        StatusCode::BAD_REQUEST
    );
    let r = at(
        &cloud,
        Method::PUT,
        "/os-services/enable",
        &admin,
        "2.1",
        Some(json!({"host": "old-2", "binary": "nova-compute"})),
    );
    assert_eq!(r.body["service"]["status"], "enabled");

    let new = at(&cloud, Method::GET, "/os-services?host=old-2", &admin, "2.53", None).body;
    let uuid = new["services"][0]["id"].as_str().unwrap().to_string();
    let r =
        at(&cloud, Method::PUT, &format!("/os-services/{uuid}"), &admin, "2.53", Some(json!({"forced_down": true})));
    assert_eq!(
        (r.body["service"]["state"].as_str(), r.body["service"]["forced_down"].as_bool()),
        (Some("down"), Some(true))
    );
    let bad = json!({"status": "enabled", "disabled_reason": "x"});
    assert_eq!(
        at(&cloud, Method::PUT, &format!("/os-services/{uuid}"), &admin, "2.53", Some(bad)).status,
        StatusCode::BAD_REQUEST
    );

    // old-2 hosts servers; RegionTwo's new-2 hosts none.
    assert_eq!(
        at(&cloud, Method::DELETE, &format!("/os-services/{uuid}"), &admin, "2.53", None).status,
        StatusCode::CONFLICT
    );
    let r2 = "/compute/RegionTwo/v2.1";
    let hdr = [("OpenStack-API-Version", "compute 2.53")];
    let list = cloud.call(Method::GET, &format!("{r2}/os-services?host=new-2"), Some(&admin), &hdr, None).body;
    let new2 = list["services"][0]["id"].as_str().unwrap().to_string();
    let del = cloud.call(Method::DELETE, &format!("{r2}/os-services/{new2}"), Some(&admin), &hdr, None);
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let hyps = cloud.call(Method::GET, &format!("{r2}/os-hypervisors"), Some(&admin), &hdr, None).body;
    assert_eq!(names(&hyps["hypervisors"], "hypervisor_hostname"), vec!["new-1"]);
}

#[test]
fn hypervisors_by_version() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let old = at(&cloud, Method::GET, "/os-hypervisors/detail", &admin, "2.1", None).body;
    let h1 = old["hypervisors"].as_array().unwrap().iter().find(|h| h["hypervisor_hostname"] == "old-1").unwrap();
    // web-1 (m1.small) and db-1 (gold) run on old-1.
    assert_eq!(
        (h1["vcpus_used"].as_u64(), h1["memory_mb_used"].as_u64(), h1["running_vms"].as_u64()),
        (Some(5), Some(10240), Some(2))
    );
    assert!(h1["cpu_info"].is_string() && h1["id"].is_u64());
    let servers = at(&cloud, Method::GET, "/os-hypervisors/old-1/servers", &admin, "2.1", None).body;
    assert_eq!(servers["hypervisors"][0]["servers"].as_array().unwrap().len(), 2);
    assert_eq!(
        at(&cloud, Method::GET, "/os-hypervisors/old-1/servers", &admin, "2.53", None).status,
        StatusCode::NOT_FOUND
    );
    let stats = at(&cloud, Method::GET, "/os-hypervisors/statistics", &admin, "2.1", None).body;
    assert_eq!(stats["hypervisor_statistics"]["count"], 3);
    assert_eq!(stats["hypervisor_statistics"]["running_vms"], 6);

    let new = at(
        &cloud,
        Method::GET,
        "/os-hypervisors?with_servers=true&hypervisor_hostname_pattern=old-1",
        &admin,
        "2.53",
        None,
    )
    .body;
    assert_eq!(new["hypervisors"][0]["servers"].as_array().unwrap().len(), 2);
    let uuid = new["hypervisors"][0]["id"].as_str().unwrap().to_string();
    let shown = at(&cloud, Method::GET, &format!("/os-hypervisors/{uuid}"), &admin, "2.88", None).body;
    assert!(shown["hypervisor"].get("vcpus").is_none() && shown["hypervisor"]["service"]["host"] == "old-1");
    assert_eq!(
        at(&cloud, Method::GET, "/os-hypervisors/statistics", &admin, "2.88", None).status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        at(&cloud, Method::GET, "/os-hypervisors", &cloud.token("alice", "alice-secret", "acme"), "2.1", None).status,
        StatusCode::FORBIDDEN
    );
}

#[test]
fn nova_network_apis_only_in_nova_network_regions_below_2_36() {
    // A Neutron region's Nova proxies these to Neutron below 2.36 (see
    // nova_ownership.rs) and no longer has the bulk API at all.
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    for path in ["/os-floating-ip-pools", "/os-floating-ips", "/os-networks"] {
        assert_eq!(at(&cloud, Method::GET, path, &admin, "2.1", None).status, StatusCode::OK, "{path}");
        assert_eq!(at(&cloud, Method::GET, path, &admin, "2.36", None).status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(at(&cloud, Method::GET, "/os-floating-ips-bulk", &admin, "2.1", None).status, StatusCode::GONE);
    let legacy = nova_network_cloud();
    let admin = legacy.admin_token();
    let base = "/compute/RegionLegacy/v2.1";
    let get = |path: &str| legacy.get(&format!("{base}{path}"), &admin);
    assert_eq!(get("/os-floating-ip-pools").body, json!({"floating_ip_pools": [{"name": "public"}]}));
    let nets = get("/os-networks").body;
    assert_eq!(nets["networks"][0]["netmask"], "255.255.255.0");
    // The pool's hosts are .1 to .6; the first free one is taken.
    let r = legacy.post(&format!("{base}/os-floating-ips"), &admin, json!({"pool": "public"}));
    assert_eq!(r.body["floating_ip"]["ip"], "192.0.2.1");
    let r = legacy.post(&format!("{base}/os-floating-ips"), &admin, json!({"pool": "public"}));
    assert_eq!(r.body["floating_ip"]["ip"], "192.0.2.2");
    let id = r.body["floating_ip"]["id"].as_u64().unwrap();
    let missing = legacy.post(&format!("{base}/os-floating-ips"), &admin, json!({"pool": "nope"}));
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(get("/os-floating-ips").body["floating_ips"].as_array().unwrap().len(), 2);
    let del = legacy.call(Method::DELETE, &format!("{base}/os-floating-ips/{id}"), Some(&admin), &[], None);
    assert_eq!(del.status, StatusCode::ACCEPTED);
    let r = legacy.post(&format!("{base}/os-floating-ips"), &admin, json!({"pool": "public"}));
    assert_eq!(r.body["floating_ip"]["ip"], "192.0.2.2");

    let bulk = json!({"floating_ips_bulk_create": {"ip_range": "198.51.100.0/30", "pool": "extra"}});
    let r = legacy.post(&format!("{base}/os-floating-ips-bulk"), &admin, bulk.clone());
    assert_eq!(
        r.body["floating_ips_bulk_create"],
        json!({"ip_range": "198.51.100.0/30", "pool": "extra", "interface": "eth0"})
    );
    assert_eq!(legacy.post(&format!("{base}/os-floating-ips-bulk"), &admin, bulk).status, StatusCode::CONFLICT);
    let info = get("/os-floating-ips-bulk").body;
    assert_eq!(info["floating_ip_info"].as_array().unwrap().len(), 6 + 2);
    let alice = legacy.token("alice", "alice-secret", "acme");
    assert_eq!(legacy.get(&format!("{base}/os-floating-ips-bulk"), &alice).status, StatusCode::FORBIDDEN);
    let r = legacy.call(
        Method::PUT,
        &format!("{base}/os-floating-ips-bulk/delete"),
        Some(&admin),
        &[],
        Some(json!({"ip_range": "198.51.100.0/30"})),
    );
    assert_eq!(r.body, json!({"floating_ips_bulk_delete": "198.51.100.0/30"}));
    assert_eq!(get("/os-floating-ips-bulk").body["floating_ip_info"].as_array().unwrap().len(), 6);
}
