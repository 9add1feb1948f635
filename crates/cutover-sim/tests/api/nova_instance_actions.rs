//! `os-instance-actions`: the actions handlers record, their events'
//! start and finish as the operations take them, and what each
//! microversion and role sees.

use chrono::NaiveDateTime;
use cutover_sim::Scenario;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::nova_actions::{action, server_id, NOVA};
use crate::util::{Reply, TestCloud};

fn get(cloud: &TestCloud, token: &str, path: &str, version: &str) -> Reply {
    let header = format!("compute {version}");
    cloud.call(Method::GET, &format!("{NOVA}{path}"), Some(token), &[("OpenStack-API-Version", &header)], None)
}

fn time(v: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(v.as_str().expect("a time"), "%Y-%m-%dT%H:%M:%S%.6f").expect("Nova's format")
}

#[test]
fn each_action_is_recorded_with_its_request_id_and_its_event_timed_by_the_operation() {
    // Time at 1/100: a 10 s stop takes 0.1 s on the wall.
    let cloud = TestCloud::with(Scenario::builtin(), 0.01);
    let alice = cloud.token("alice", "alice-secret", "acme");
    let admin = cloud.admin_token();
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null}));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let request_id = r.headers["x-openstack-request-id"].to_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(300));

    let list = get(&cloud, &alice, &format!("/servers/{web}/os-instance-actions"), "2.58");
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let actions = list.body["instanceActions"].as_array().unwrap();
    assert_eq!(actions[0]["action"], "stop", "newest first: {actions:?}");
    assert_eq!(actions[0]["request_id"], request_id.as_str(), "the answer's own request id");
    assert_eq!(actions[0]["instance_uuid"], web.as_str());
    assert!(actions[0]["updated_at"].is_string(), "2.58 adds updated_at");

    let path = format!("/servers/{web}/os-instance-actions/{request_id}");
    let shown = get(&cloud, &admin, &path, "2.62").body["instanceAction"].clone();
    let event = &shown["events"][0];
    assert_eq!(event["event"], "compute_stop_instance");
    assert_eq!(event["result"], "Success");
    assert!(event["host"].is_string() && event["hostId"].is_string(), "{event}");
    assert!(event.get("traceback").is_some(), "an admin sees the traceback field");
    let took = time(&event["finish_time"]) - time(&event["start_time"]);
    assert_eq!(took.num_milliseconds(), 100, "stop_secs 10 at 1/100");

    // The owner sees no events before 2.51, and never the host or traceback.
    assert!(get(&cloud, &alice, &path, "2.50").body["instanceAction"].get("events").is_none());
    let owners = get(&cloud, &alice, &path, "2.62").body["instanceAction"]["events"][0].clone();
    assert!(owners.get("host").is_none() && owners.get("traceback").is_none(), "{owners}");
    assert_eq!(owners["hostId"], event["hostId"]);
    let r = get(&cloud, &alice, &format!("/servers/{web}/os-instance-actions/req-nope"), "2.1");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["itemNotFound"]["message"], "Action req-nope not found");

    // Another project's server is not there for alice.
    let app = server_id(&cloud, "RegionOne", "app-1");
    assert_eq!(
        get(&cloud, &alice, &format!("/servers/{app}/os-instance-actions"), "2.1").status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn a_deleted_servers_actions_are_listed_from_2_21_with_its_build_and_delete() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let (id, create_id) = boot(&cloud, &alice, "t");
    let built = get(&cloud, &alice, &format!("/servers/{id}"), "2.1");
    assert_eq!(built.body["server"]["status"], "ACTIVE");
    let r = cloud.call(Method::DELETE, &format!("{NOVA}/servers/{id}"), Some(&alice), &[], None);
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(get(&cloud, &alice, &format!("/servers/{id}"), "2.1").status, StatusCode::NOT_FOUND);

    let path = format!("/servers/{id}/os-instance-actions");
    assert_eq!(get(&cloud, &alice, &path, "2.20").status, StatusCode::NOT_FOUND, "deleted: gone before 2.21");
    let list = get(&cloud, &alice, &path, "2.21");
    let names: Vec<&str> =
        list.body["instanceActions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(names, ["delete", "create"]);
    let create = get(&cloud, &alice, &format!("{path}/{create_id}"), "2.51").body["instanceAction"].clone();
    let events: Vec<(&str, &str)> = create["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [("conductor_schedule_and_build_instances", "Success"), ("compute__do_build_and_run_instance", "Success")]
    );

    // Paging from 2.58: the newest, then the rest after its marker.
    let page = get(&cloud, &alice, &format!("{path}?limit=1"), "2.58").body;
    assert_eq!(page["instanceActions"][0]["action"], "delete");
    let marker = page["instanceActions"][0]["request_id"].as_str().unwrap();
    assert!(page["links"][0]["href"].as_str().unwrap().contains(&format!("marker={marker}")));
    let rest = get(&cloud, &alice, &format!("{path}?marker={marker}"), "2.58").body;
    assert_eq!(rest["instanceActions"][0]["action"], "create");
    let r = get(&cloud, &alice, &format!("{path}?changes-before=2020-01-01T00:00:00Z"), "2.58");
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "changes-before is 2.66's");
    let r = get(&cloud, &alice, &format!("{path}?changes-before=2020-01-01T00:00:00Z"), "2.66");
    assert_eq!(r.body["instanceActions"], json!([]), "nothing that old");
}

#[test]
fn a_build_that_fails_on_its_host_ends_its_action_in_error() {
    let cloud = TestCloud::start();
    {
        let mut w = cloud.sim().world();
        let region = w.compute.get_mut("RegionOne").unwrap();
        region.failing_hosts = region.hosts.keys().cloned().collect();
    }
    let alice = cloud.token("alice", "alice-secret", "acme");
    let (id, request_id) = boot(&cloud, &alice, "doomed");
    assert_eq!(get(&cloud, &alice, &format!("/servers/{id}"), "2.1").body["server"]["status"], "ERROR");
    let admin = cloud.admin_token();
    let shown = get(&cloud, &admin, &format!("/servers/{id}/os-instance-actions/{request_id}"), "2.84").body;
    let action = &shown["instanceAction"];
    assert_eq!(action["message"], "Error", "{shown}");
    let results: Vec<&str> =
        action["events"].as_array().unwrap().iter().map(|e| e["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["Success", "Error"], "scheduled, then failed on its host: {shown}");
    assert!(action["events"][1]["details"].as_str().unwrap().contains("Exceeded maximum number of retries"), "{shown}");
    let owners = get(&cloud, &alice, &format!("/servers/{id}/os-instance-actions/{request_id}"), "2.84").body;
    assert!(owners["instanceAction"]["events"][1].get("details").is_none(), "details are the admin's: {owners}");
}

/// Boots server `name` with no network as `token`'s project: its id and
/// the create request's id.
fn boot(cloud: &TestCloud, token: &str, name: &str) -> (String, String) {
    let body = json!({"server": {"name": name, "flavorRef": "2", "imageRef": image(cloud), "networks": "none"}});
    let header = [("OpenStack-API-Version", "compute 2.37")];
    let r = cloud.call(Method::POST, &format!("{NOVA}/servers"), Some(token), &header, Some(body));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    (id, r.headers["x-openstack-request-id"].to_str().unwrap().to_string())
}

/// An image alice may boot.
fn image(cloud: &TestCloud) -> String {
    let w = cloud.sim().world();
    w.image.images.values().find(|i| i.name.as_deref() == Some("cirros")).expect("cirros").id.clone()
}

#[test]
fn volume_and_interface_attachments_are_actions_too() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let app = server_id(&cloud, "RegionOne", "app-1");
    let (spare, network) = {
        let w = cloud.sim().world();
        let spare = w.volume.volumes.values().find(|v| v.name.as_deref() == Some("spare")).unwrap().id.clone();
        let server = &w.compute["RegionOne"].servers[&app];
        (spare, server.nics[0].network_id.clone())
    };
    let path = format!("{NOVA}/servers/{app}/os-volume_attachments");
    let r = cloud.post(&path, &admin, json!({"volumeAttachment": {"volumeId": spare}}));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = cloud.call(Method::DELETE, &format!("{path}/{spare}"), Some(&admin), &[], None);
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let r = cloud.post(
        &format!("{NOVA}/servers/{app}/os-interface"),
        &admin,
        json!({"interfaceAttachment": {"net_id": network}}),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = get(&cloud, &admin, &format!("/servers/{app}/os-instance-actions"), "2.1").body;
    let names: Vec<&str> =
        list["instanceActions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["attach_interface", "detach_volume", "attach_volume"], "{list}");
}
