//! nova-network fixed IPs asked for at boot (`networks: [{uuid, fixed_ip}]`),
//! as nova-network's `validate_networks` checks them: an address of the
//! region (400), free, and a deleted server's address free only once
//! nova-network has disassociated it (`time.fixed_ip_release_secs`).

use std::time::{Duration, Instant};

use cutover_sim::clock::TimeModel;
use cutover_sim::Scenario;
use reqwest::StatusCode;
use serde_json::json;

use super::nova_actions::server_id;
use crate::util::{Reply, TestCloud};

const LEGACY: &str = "/compute/Legacy/v2.1";

/// The small nova-network cloud at scale 0.01, a deleted server's fixed
/// IP disassociated 100 s (1 s real) after its delete.
fn cloud() -> TestCloud {
    let mut scenario = Scenario::from_yaml(include_str!("../scenarios/nova_network.yaml")).expect("scenario parses");
    scenario.time = Some(TimeModel { fixed_ip_release_secs: 100.0, ..TimeModel::default() });
    TestCloud::with(scenario, 0.01)
}

fn boot(cloud: &TestCloud, token: &str, ip: &str) -> Reply {
    let (network, image) = {
        let w = cloud.sim().world();
        let network = w.compute["Legacy"].fixed_networks.values().next().expect("a network").id.clone();
        let image = w.image.images.values().find(|i| i.name.as_deref() == Some("cirros")).expect("cirros").id.clone();
        (network, image)
    };
    let body = json!({"server": {"name": "again", "flavorRef": "1", "imageRef": image,
                                 "networks": [{"uuid": network, "fixed_ip": ip}]}});
    cloud.post(&format!("{LEGACY}/servers"), token, body)
}

fn bad_request(r: &Reply) -> &str {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    r.body["badRequest"]["message"].as_str().unwrap_or_default()
}

#[test]
fn a_fixed_ip_is_free_again_only_once_nova_network_disassociates_it() {
    let cloud = cloud();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "Legacy", "legacy-web");
    let ip = cloud.sim().world().compute["Legacy"].servers[&web].nics[0].fixed_ips[0].clone();

    let held = boot(&cloud, &alice, &ip);
    assert_eq!(bad_request(&held), format!("Fixed IP address {ip} is already in use on instance {web}."));
    assert_eq!(bad_request(&boot(&cloud, &alice, "10.99.0.5")), "Fixed IP not found for address 10.99.0.5.");

    let r = cloud.call(reqwest::Method::DELETE, &format!("{LEGACY}/servers/{web}"), Some(&alice), &[], None);
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(10);
    while cloud.sim().world().compute["Legacy"].servers.contains_key(&web) {
        assert!(Instant::now() < deadline, "the delete ends");
        std::thread::sleep(Duration::from_millis(20));
    }
    let deleted = Instant::now();
    // Deleted, but its address is still associated with it.
    let held = boot(&cloud, &alice, &ip);
    assert_eq!(bad_request(&held), format!("Fixed IP address {ip} is already in use on instance {web}."));
    let booted = loop {
        let r = boot(&cloud, &alice, &ip);
        if r.status == StatusCode::ACCEPTED {
            break r;
        }
        assert!(Instant::now() < deadline, "the address is released: {}", r.text);
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(deleted.elapsed() >= Duration::from_millis(500), "released about 1 s after the delete");
    let id = booted.body["server"]["id"].as_str().expect("id").to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let w = cloud.sim().world();
        let s = &w.compute["Legacy"].servers[&id];
        if let Some(nic) = s.nics.first() {
            assert_eq!(nic.fixed_ips, std::slice::from_ref(&ip), "the same address");
            break;
        }
        assert!(Instant::now() < deadline, "the server gets its network");
        drop(w);
        std::thread::sleep(Duration::from_millis(20));
    }
}
