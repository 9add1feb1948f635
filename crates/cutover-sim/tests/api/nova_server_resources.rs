use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::nova_actions::{server_id, NOVA};
use crate::util::{Reply, TestCloud};

fn at(cloud: &TestCloud, method: Method, path: &str, token: &str, version: &str, body: Option<Value>) -> Reply {
    let header = format!("compute {version}");
    cloud.call(method, &format!("{NOVA}{path}"), Some(token), &[("OpenStack-API-Version", &header)], body)
}

#[test]
fn metadata_crud_and_validation() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let base = format!("/servers/{web}/metadata");
    let r = at(&cloud, Method::GET, &base, &alice, "2.1", None);
    assert_eq!(r.body, json!({"metadata": {"role": "web"}}));
    let r = at(&cloud, Method::POST, &base, &alice, "2.1", Some(json!({"metadata": {"tier": "1"}})));
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!({"metadata": {"role": "web", "tier": "1"}})));
    let r = at(&cloud, Method::PUT, &base, &alice, "2.1", Some(json!({"metadata": {"only": "this"}})));
    assert_eq!(r.body, json!({"metadata": {"only": "this"}}));
    let r = at(&cloud, Method::PUT, &format!("{base}/k"), &alice, "2.1", Some(json!({"meta": {"k": "v"}})));
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!({"meta": {"k": "v"}})));
    let r = at(&cloud, Method::PUT, &format!("{base}/k"), &alice, "2.1", Some(json!({"meta": {"other": "v"}})));
    assert_eq!(r.body["badRequest"]["message"], "Request body and URI mismatch");
    let r = at(&cloud, Method::GET, &format!("{base}/k"), &alice, "2.1", None);
    assert_eq!(r.body, json!({"meta": {"k": "v"}}));
    assert_eq!(at(&cloud, Method::DELETE, &format!("{base}/k"), &alice, "2.1", None).status, StatusCode::NO_CONTENT);
    let r = at(&cloud, Method::GET, &format!("{base}/k"), &alice, "2.1", None);
    assert_eq!(
        (r.status, r.body["itemNotFound"]["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("Metadata item was not found"))
    );

    let r = at(&cloud, Method::POST, &base, &alice, "2.1", Some(json!({"metadata": {"bad/key": "v"}})));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = at(&cloud, Method::POST, &base, &alice, "2.1", Some(json!({"metadata": {"k": "x".repeat(256)}})));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = at(&cloud, Method::POST, &base, &alice, "2.1", Some(json!({"metadata": {"n": 1}})));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[test]
fn metadata_counts_against_the_quota() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    {
        let mut w = cloud.sim().world();
        let acme = w.identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
        let region = w.compute.get_mut("RegionOne").unwrap();
        let mut quota = region.effective_quota(&acme);
        quota.metadata_items = 2;
        region.quotas.insert(acme, quota);
    }
    let base = format!("/servers/{web}/metadata");
    let r = at(&cloud, Method::POST, &base, &alice, "2.1", Some(json!({"metadata": {"a": "1", "b": "2"}})));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "role + a + b is 3 items");
    assert_eq!(r.body["forbidden"]["message"], "Maximum number of metadata items exceeds 2");
    let r = at(&cloud, Method::PUT, &base, &alice, "2.1", Some(json!({"metadata": {"a": "1", "b": "2"}})));
    assert_eq!(r.status, StatusCode::OK);
}

#[test]
fn tags_need_2_26_and_follow_novas_rules() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let base = format!("/servers/{web}/tags");
    assert_eq!(at(&cloud, Method::GET, &base, &alice, "2.25", None).status, StatusCode::NOT_FOUND);
    let r = at(&cloud, Method::GET, &base, &alice, "2.26", None);
    assert_eq!(r.body, json!({"tags": ["prod"]}));

    let r = at(&cloud, Method::PUT, &format!("{base}/blue"), &alice, "2.26", None);
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.headers["location"].to_str().unwrap().ends_with(&format!("/servers/{web}/tags/blue")));
    assert_eq!(at(&cloud, Method::PUT, &format!("{base}/blue"), &alice, "2.26", None).status, StatusCode::NO_CONTENT);
    assert_eq!(at(&cloud, Method::GET, &format!("{base}/blue"), &alice, "2.26", None).status, StatusCode::NO_CONTENT);
    assert_eq!(at(&cloud, Method::GET, &format!("{base}/green"), &alice, "2.26", None).status, StatusCode::NOT_FOUND);
    let r = at(&cloud, Method::PUT, &format!("{base}/a,b"), &alice, "2.26", None);
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        at(&cloud, Method::DELETE, &format!("{base}/blue"), &alice, "2.26", None).status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(at(&cloud, Method::DELETE, &format!("{base}/blue"), &alice, "2.26", None).status, StatusCode::NOT_FOUND);

    let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    let r = at(&cloud, Method::PUT, &base, &alice, "2.26", Some(json!({"tags": many})));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let fifty = &many[..50];
    let r = at(&cloud, Method::PUT, &base, &alice, "2.26", Some(json!({"tags": fifty})));
    assert_eq!((r.status, r.body["tags"].as_array().map(Vec::len)), (StatusCode::OK, Some(50)));
    let r = at(&cloud, Method::PUT, &format!("{base}/one-more"), &alice, "2.26", None);
    assert_eq!(r.body["badRequest"]["message"], "The number of tags exceeded the per-server limit 50");
    assert_eq!(at(&cloud, Method::DELETE, &base, &alice, "2.26", None).status, StatusCode::NO_CONTENT);
    assert_eq!(at(&cloud, Method::GET, &base, &alice, "2.26", None).body, json!({"tags": []}));
}

#[test]
fn interfaces_attach_a_network_and_detach_keeps_user_ports() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let base = format!("/servers/{web}/os-interface");
    let r = at(&cloud, Method::GET, &base, &alice, "2.70", None);
    let list = r.body["interfaceAttachments"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["fixed_ips"][0]["ip_address"], "10.0.0.10");
    assert!(list[0].get("tag").is_some());

    let net = cloud.sim().world().network.networks.values().find(|n| n.name == "acme-net").unwrap().id.clone();
    let body = json!({"interfaceAttachment": {"net_id": net, "fixed_ips": [{"ip_address": "10.0.0.77"}]}});
    let r = at(&cloud, Method::POST, &base, &alice, "2.1", Some(body.clone()));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let port = r.body["interfaceAttachment"]["port_id"].as_str().unwrap().to_string();
    assert_eq!(r.body["interfaceAttachment"]["port_state"], "ACTIVE");
    let r = at(&cloud, Method::POST, &base, &alice, "2.1", Some(body));
    assert_eq!(r.status, StatusCode::CONFLICT, "10.0.0.77 is taken");
    assert_eq!(at(&cloud, Method::GET, &format!("{base}/{port}"), &alice, "2.1", None).status, StatusCode::OK);
    assert_eq!(at(&cloud, Method::DELETE, &format!("{base}/{port}"), &alice, "2.1", None).status, StatusCode::ACCEPTED);
    assert!(!cloud.sim().world().network.ports.contains_key(&port), "Nova's own port is deleted");

    // web-2's port was the user's: detaching unbinds it and keeps it.
    let web2 = server_id(&cloud, "RegionOne", "web-2");
    let user_port = cloud.sim().world().compute["RegionOne"].servers[&web2].nics[0].port_id.clone().unwrap();
    let path = format!("/servers/{web2}/os-interface/{user_port}");
    assert_eq!(at(&cloud, Method::DELETE, &path, &alice, "2.1", None).status, StatusCode::ACCEPTED);
    {
        let w = cloud.sim().world();
        let port = &w.network.ports[&user_port];
        assert_eq!((port.device_id.as_str(), port.status.as_str()), ("", "DOWN"));
    }
    // ...and can be attached again by id.
    let body = json!({"interfaceAttachment": {"port_id": user_port}});
    let r = at(&cloud, Method::POST, &format!("/servers/{web}/os-interface"), &alice, "2.1", Some(body));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(cloud.sim().world().network.ports[&user_port].device_id, web);
}

fn volume_id(cloud: &TestCloud, name: &str) -> String {
    let w = cloud.sim().world();
    w.volume.volumes.values().find(|v| v.name.as_deref() == Some(name)).unwrap().id.clone()
}

fn volume_status(cloud: &TestCloud, id: &str) -> String {
    cloud.sim().world().volume.volumes[id].status.clone()
}

#[test]
fn volume_attachments_detach_attach_and_update() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let admin = cloud.admin_token();
    let (db, web) = (server_id(&cloud, "RegionOne", "db-1"), server_id(&cloud, "RegionOne", "web-1"));
    let (root, data) = (volume_id(&cloud, "db-1-root"), volume_id(&cloud, "db-1-data"));

    let r = at(&cloud, Method::GET, &format!("/servers/{db}/os-volume_attachments"), &alice, "2.1", None);
    let list = r.body["volumeAttachments"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], list[0]["volumeId"]);
    assert!(list[0].get("tag").is_none());

    let r = at(&cloud, Method::DELETE, &format!("/servers/{db}/os-volume_attachments/{root}"), &alice, "2.1", None);
    assert_eq!(r.body["badRequest"]["message"], "Cannot detach a root device volume");
    let r = at(&cloud, Method::DELETE, &format!("/servers/{db}/os-volume_attachments/{data}"), &alice, "2.1", None);
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(volume_status(&cloud, &data), "available");

    let body = json!({"volumeAttachment": {"volumeId": data, "tag": "data", "delete_on_termination": true}});
    let r =
        at(&cloud, Method::POST, &format!("/servers/{web}/os-volume_attachments"), &alice, "2.78", Some(body.clone()));
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "delete_on_termination needs 2.79");
    let r =
        at(&cloud, Method::POST, &format!("/servers/{web}/os-volume_attachments"), &alice, "2.79", Some(body.clone()));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let att = &r.body["volumeAttachment"];
    assert_eq!((att["device"].as_str(), att["tag"].as_str()), (Some("/dev/vdb"), Some("data")));
    assert_eq!(att["delete_on_termination"], true);
    assert_eq!(volume_status(&cloud, &data), "in-use");
    // What real Nova (34 and 2024.1) answers for a volume in use on
    // another server: Cinder's refusal to reserve it (tools/realcloud).
    let r = at(&cloud, Method::POST, &format!("/servers/{db}/os-volume_attachments"), &alice, "2.79", Some(body));
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "already attached: {}", r.text);
    assert_eq!(
        r.body["badRequest"]["message"],
        format!(
            "Invalid input received: Invalid volume: Volume {data} status must be available or downloading to \
             reserve, but the current status is in-use."
        )
    );

    let one = format!("/servers/{web}/os-volume_attachments/{data}");
    let r = at(&cloud, Method::GET, &one, &alice, "2.89", None);
    let att = &r.body["volumeAttachment"];
    assert!(att.get("id").is_none());
    assert!(att["attachment_id"].is_string() && att["bdm_uuid"].is_string());

    let update = json!({"volumeAttachment": {"volumeId": data, "delete_on_termination": false}});
    let r = at(&cloud, Method::PUT, &one, &alice, "2.84", Some(update.clone()));
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "2.84 knows only volumeId");
    let swap = json!({"volumeAttachment": {"volumeId": data}});
    assert_eq!(at(&cloud, Method::PUT, &one, &alice, "2.84", Some(swap.clone())).status, StatusCode::FORBIDDEN);
    assert_eq!(at(&cloud, Method::PUT, &one, &admin, "2.84", Some(swap)).status, StatusCode::CONFLICT);
    let r = at(&cloud, Method::PUT, &one, &alice, "2.85", Some(update));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let r = at(&cloud, Method::GET, &one, &alice, "2.85", None);
    assert_eq!(r.body["volumeAttachment"]["delete_on_termination"], false);
    let r = at(
        &cloud,
        Method::PUT,
        &one,
        &alice,
        "2.85",
        Some(json!({"volumeAttachment": {"volumeId": data, "tag": "x"}})),
    );
    assert_eq!(r.body["badRequest"]["message"], "The tag property is not mutable");
}

/// Nova unbinds the ports the user gave a server by the ids it cached at
/// boot, without asking Neutron whose they are now (`_unbind_ports` in
/// `deallocate_for_instance`): deleting web-2 takes its port from the
/// server an admin handed it to (a rebuild, as a move makes). web-1's own
/// port (Nova created it), handed over the same way, is left alone:
/// Neutron no longer lists it on web-1, and it is not the user's.
#[test]
fn delete_unbinds_the_users_port_even_from_the_server_holding_it_now() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let (web1, web2) = (server_id(&cloud, "RegionOne", "web-1"), server_id(&cloud, "RegionOne", "web-2"));
    let port_of = |server: &str| {
        cloud.sim().world().compute["RegionOne"].servers[server].nics[0].port_id.clone().expect("a Neutron port")
    };
    let (nova_port, user_port) = (port_of(&web1), port_of(&web2));
    let image = cloud
        .sim()
        .world()
        .image
        .images
        .values()
        .find(|i| i.name.as_deref() == Some("cirros"))
        .expect("cirros")
        .id
        .clone();
    let mut rebuilds = Vec::new();
    for (old, port, name) in [(&web1, &nova_port, "web-1"), (&web2, &user_port, "web-2")] {
        let stop =
            at(&cloud, Method::POST, &format!("/servers/{old}/action"), &alice, "2.1", Some(json!({"os-stop": null})));
        assert_eq!(stop.status, StatusCode::ACCEPTED);
        let release = json!({"port": {"device_id": "", "device_owner": ""}});
        let r = cloud.call(Method::PUT, &format!("/network/v2.0/ports/{port}"), Some(&admin), &[], Some(release));
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let body = json!({"server": {"name": name, "flavorRef": "1", "imageRef": image, "networks": [{"port": port}]}});
        let r = at(&cloud, Method::POST, "/servers", &alice, "2.1", Some(body));
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        rebuilds.push(r.body["server"]["id"].as_str().expect("an id").to_string());
    }
    {
        let w = cloud.sim().world();
        assert_eq!(w.network.ports[&nova_port].device_id, rebuilds[0]);
        assert_eq!(w.network.ports[&user_port].device_id, rebuilds[1]);
    }
    for old in [&web1, &web2] {
        let r = at(&cloud, Method::DELETE, &format!("/servers/{old}"), &alice, "2.1", None);
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(at(&cloud, Method::GET, &format!("/servers/{web2}"), &alice, "2.1", None).status, StatusCode::NOT_FOUND);
    let w = cloud.sim().world();
    let kept = &w.network.ports[&nova_port];
    assert_eq!((kept.device_id.as_str(), kept.binding_host_id.is_empty()), (rebuilds[0].as_str(), false));
    let taken = &w.network.ports[&user_port];
    assert_eq!(
        (taken.device_id.as_str(), taken.device_owner.as_str(), taken.binding_host_id.as_str(), taken.status.as_str()),
        ("", "", "", "DOWN"),
        "web-2's delete unbinds its user port from the rebuild"
    );
}
