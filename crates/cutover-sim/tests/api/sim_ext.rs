use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::util::TestCloud;

#[test]
fn rate_limit_fault_answers_429_with_retry_after_then_clears() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let rule = json!({"service": "identity", "path_contains": "/v3/projects", "kind": "rate_limit",
                      "retry_after_secs": 7, "limit": 2});
    assert_eq!(cloud.post("/sim/faults", &admin, rule).status, StatusCode::CREATED);
    for _ in 0..2 {
        let r = cloud.get("/v3/projects", &admin);
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers["retry-after"], "7");
        assert_eq!(r.body["error"]["code"], 429);
    }
    assert_eq!(cloud.get("/v3/projects", &admin).status, StatusCode::OK, "the rule stops after its limit");
}

#[test]
fn error_and_down_faults_use_the_service_error_format() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    cloud.post("/sim/faults", &admin, json!({"service": "network", "kind": "error", "status": 500}));
    let r = cloud.get("/network/v2.0/networks", &admin);
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body["NeutronError"]["message"].as_str().unwrap().contains("injected"));
    cloud.post("/sim/faults", &admin, json!({"service": "compute", "region": "RegionTwo", "kind": "down"}));
    let r = cloud.get("/compute/RegionTwo/v2.1", &admin);
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["serviceUnavailable"]["code"], 503);
    assert_eq!(cloud.get("/compute/RegionOne/v2.1", &admin).status, StatusCode::OK, "only RegionTwo is down");
    assert_eq!(cloud.call(Method::DELETE, "/sim/faults", Some(&admin), &[], None).status, StatusCode::NO_CONTENT);
    assert_eq!(cloud.get("/compute/RegionTwo/v2.1", &admin).status, StatusCode::OK);
}

#[test]
fn latency_fault_delays_requests() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    cloud.post("/sim/faults", &admin, json!({"service": "image", "kind": "latency", "millis": 300}));
    let started = std::time::Instant::now();
    cloud.call(Method::GET, "/image", None, &[], None);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[test]
fn revoked_tokens_stop_working() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let r = cloud.post("/sim/tokens/revoke", &admin, json!({"user_id": null}));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["revoked"].as_u64().unwrap() >= 2);
    assert_eq!(cloud.get("/v3/auth/catalog", &alice).status, StatusCode::UNAUTHORIZED);
    assert_eq!(cloud.get("/v3/auth/catalog", &admin).status, StatusCode::UNAUTHORIZED);
}

#[test]
fn sim_extension_is_admin_only() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    assert_eq!(cloud.get("/sim/state", &alice).status, StatusCode::FORBIDDEN);
    assert_eq!(cloud.call(Method::GET, "/sim/state", None, &[], None).status, StatusCode::UNAUTHORIZED);
}

#[test]
fn state_dump_has_no_secrets_and_stats_count_requests() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    cloud.call(Method::DELETE, "/sim/stats", Some(&admin), &[], None);
    for _ in 0..3 {
        cloud.get("/v3/regions", &admin);
    }
    let stats = cloud.get("/sim/stats", &admin).body;
    assert_eq!(stats["requests"]["GET /v3/regions"], 3);
    let state = cloud.get("/sim/state", &admin);
    assert_eq!(state.status, StatusCode::OK);
    assert!(!state.text.contains("alice-secret") && !state.text.contains(&admin), "no passwords or tokens");
    assert_eq!(state.body["compute"]["RegionOne"]["servers"].as_object().unwrap().len(), 6);
}

/// Removes old-1's servers, as their moves would.
fn empty_old_1(cloud: &TestCloud) {
    let mut w = cloud.sim().world();
    let region = w.compute.get_mut("RegionOne").unwrap();
    let ids: Vec<String> = region.servers_on_host("old-1").map(|s| s.id.clone()).collect();
    for id in ids {
        region.remove_server(&id);
    }
}

#[test]
fn moving_a_host_needs_it_empty_and_makes_it_a_new_region_compute() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let busy = cloud.post("/sim/hosts/old-1/move", &admin, json!({"from": "RegionOne", "to": "RegionTwo"}));
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert!(busy.body["error"]["message"].as_str().unwrap().contains("still holds 2 server(s)"));
    empty_old_1(&cloud);
    let moved = cloud.post("/sim/hosts/old-1/move", &admin, json!({"from": "RegionOne", "to": "RegionTwo"}));
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let w = cloud.sim().world();
    let old_service = w.compute["RegionOne"].service_of_host("old-1", "nova-compute").unwrap();
    assert!(!old_service.up, "the old record stays, down, until deleted");
    let new_service = w.compute["RegionTwo"].service_of_host("old-1", "nova-compute").unwrap();
    assert!(new_service.up && !new_service.disabled);
    assert!(w.compute["RegionTwo"].hosts.contains_key("old-1"));
    drop(w);
    let again = cloud.post("/sim/hosts/old-1/move", &admin, json!({"from": "RegionOne", "to": "RegionTwo"}));
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body["error"]["message"].as_str().unwrap().contains("already in RegionTwo"), "{}", again.text);
}

#[test]
fn a_moved_host_reports_in_to_its_new_region_and_its_old_record_goes_down_later() {
    // Real Nova (realcloud's hand-off): the stopped old nova-compute stays
    // "up" in `os-services` until service_down_time (60 s) has passed since
    // its last report. 20 s to report in and 60 s to go down, at scale 0.05:
    // one second and three.
    let cloud = TestCloud::with(cutover_sim::Scenario::builtin(), 0.05);
    let admin = cloud.admin_token();
    empty_old_1(&cloud);
    let moved = cloud.post("/sim/hosts/old-1/move", &admin, json!({"from": "RegionOne", "to": "RegionTwo"}));
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let up = |region: &str| cloud.sim().read().compute[region].service_of_host("old-1", "nova-compute").map(|s| s.up);
    assert_eq!(up("RegionTwo"), Some(false), "listed at once, not up yet");
    assert_eq!(up("RegionOne"), Some(true), "the old record is up until service_down_time has passed");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(up("RegionTwo"), Some(true));
    assert_eq!(up("RegionOne"), Some(true));
    std::thread::sleep(std::time::Duration::from_millis(2000));
    assert_eq!(up("RegionOne"), Some(false), "down once service_down_time has passed");
}

#[test]
fn a_hypervisor_made_to_fail_spawns_can_be_mended() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let path = "/sim/regions/RegionTwo/hosts/new-1/spawns";
    let broken = cloud.post(path, &admin, json!({"state": "fail"}));
    assert_eq!(broken.status, StatusCode::NO_CONTENT, "{}", broken.text);
    assert!(cloud.sim().world().compute["RegionTwo"].failing_hosts.contains("new-1"));
    let mended = cloud.post(path, &admin, json!({"state": "succeed"}));
    assert_eq!(mended.status, StatusCode::NO_CONTENT, "{}", mended.text);
    assert!(!cloud.sim().world().compute["RegionTwo"].failing_hosts.contains("new-1"));

    let bad = cloud.post(path, &admin, json!({"state": "sometimes"}));
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let nowhere = cloud.post("/sim/regions/RegionTwo/hosts/no-such/spawns", &admin, json!({"state": "fail"}));
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(nowhere.body["error"]["message"].as_str().unwrap().contains("No host no-such in RegionTwo"));
    let alice = cloud.token("alice", "alice-secret", "acme");
    assert_eq!(cloud.post(path, &alice, json!({"state": "fail"})).status, StatusCode::FORBIDDEN);
}
