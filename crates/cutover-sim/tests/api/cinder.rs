use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::util::TestCloud;

/// Alice's token and the base of her project's Cinder URLs.
fn alice(cloud: &TestCloud) -> (String, String) {
    let token = cloud.token("alice", "alice-secret", "acme");
    let project = cloud.sim().world().identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
    (token, format!("/volume/v3/{project}"))
}

#[test]
fn discovery_and_microversions() {
    let cloud = TestCloud::start();
    let root = cloud.call(Method::GET, "/volume", None, &[], None);
    assert_eq!(root.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(root.body["versions"][0]["version"], "3.70");
    assert_eq!(cloud.call(Method::GET, "/volume/v3", None, &[], None).status, StatusCode::OK);
    let (t, base) = alice(&cloud);
    let r = cloud.call(
        Method::GET,
        &format!("{base}/volumes"),
        Some(&t),
        &[("OpenStack-API-Version", "volume 3.60")],
        None,
    );
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["openstack-api-version"], "volume 3.60");
    let r = cloud.call(
        Method::GET,
        &format!("{base}/volumes"),
        Some(&t),
        &[("OpenStack-API-Version", "volume 3.99")],
        None,
    );
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    let r =
        cloud.call(Method::GET, &format!("{base}/volumes"), Some(&t), &[("OpenStack-API-Version", "volume x")], None);
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Another project's URL is refused to a member.
    let other = cloud.sim().world().identity.projects.values().find(|p| p.name == "globex").unwrap().id.clone();
    assert_eq!(cloud.get(&format!("/volume/v3/{other}/volumes"), &t).status, StatusCode::BAD_REQUEST);
}

#[test]
fn create_from_image_attach_detach_delete() {
    let cloud = TestCloud::start();
    let (t, base) = alice(&cloud);
    let image =
        cloud.sim().world().image.images.values().find(|i| i.name.as_deref() == Some("cirros")).unwrap().id.clone();
    let r = cloud.post(&format!("{base}/volumes"), &t, json!({"volume": {"size": 1, "name": "bv", "imageRef": image}}));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["volume"]["status"], "creating");
    let id = r.body["volume"]["id"].as_str().unwrap().to_string();
    let v = cloud.get(&format!("{base}/volumes/{id}"), &t).body["volume"].clone();
    assert_eq!(v["status"], "available");
    assert_eq!(v["bootable"], "true");
    assert_eq!(v["volume_image_metadata"]["image_id"], image.as_str());

    let attachment =
        cloud.sim().world().volume.attach(&id, "srv-1", Some("host-1".into()), "/dev/vdb", chrono::Utc::now()).unwrap();
    let v = cloud.get(&format!("{base}/volumes/{id}"), &t).body["volume"].clone();
    assert_eq!(v["status"], "in-use");
    assert_eq!(v["attachments"][0]["server_id"], "srv-1");
    assert_eq!(v["attachments"][0]["attachment_id"], attachment.id.as_str());
    assert_eq!(v["attachments"][0]["device"], "/dev/vdb");
    let again = cloud.sim().world().volume.attach(&id, "srv-2", None, "/dev/vdc", chrono::Utc::now());
    assert!(again.unwrap_err().to_string().starts_with("Invalid volume: Volume"));

    let del = cloud.call(Method::DELETE, &format!("{base}/volumes/{id}"), Some(&t), &[], None);
    assert_eq!(del.status, StatusCode::BAD_REQUEST, "Cinder's InvalidVolume for an attached volume");
    cloud.sim().world().volume.detach(&id, "srv-1").unwrap();
    let del = cloud.call(Method::DELETE, &format!("{base}/volumes/{id}"), Some(&t), &[], None);
    assert_eq!(del.status, StatusCode::ACCEPTED);
    assert_eq!(cloud.get(&format!("{base}/volumes/{id}"), &t).status, StatusCode::NOT_FOUND);
}

/// What realcloud's Cinder answered an admin (the differential fixtures
/// `cinder-root-create`, `cinder-root`, `cinder-volume-delete`): the create
/// answer carries `migration_status` but none of the extension attributes,
/// `show` adds them and `volume_image_metadata` with the image's `size` and
/// `signature_verified`, and the delete's 202 has no body and webob's
/// default `text/html` type.
#[test]
fn views_and_answers_as_real_cinder_gives_them() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let project = cloud.sim().world().identity.projects.values().find(|p| p.name == "admin").unwrap().id.clone();
    let base = format!("/volume/v3/{project}");
    let image =
        cloud.sim().world().image.images.values().find(|i| i.name.as_deref() == Some("cirros")).unwrap().id.clone();
    let created = cloud.post(
        &format!("{base}/volumes"),
        &admin,
        json!({"volume": {"size": 1, "name": "root", "imageRef": image}}),
    );
    assert_eq!(created.status, StatusCode::ACCEPTED, "{}", created.text);
    let v = &created.body["volume"];
    assert!(v.as_object().unwrap().contains_key("migration_status"), "an admin sees migration_status: {v}");
    for extended in ["os-vol-host-attr:host", "os-vol-tenant-attr:tenant_id", "volume_image_metadata"] {
        assert!(v.get(extended).is_none(), "{extended} is not in the create answer: {v}");
    }
    let id = v["id"].as_str().unwrap().to_string();
    let shown = cloud.get(&format!("{base}/volumes/{id}"), &admin).body["volume"].clone();
    assert_eq!(shown["os-vol-tenant-attr:tenant_id"], project.as_str());
    assert!(shown["os-vol-host-attr:host"].is_string());
    assert_eq!(shown["volume_image_metadata"]["signature_verified"], "False");
    assert!(shown["volume_image_metadata"]["size"].is_string(), "{shown}");
    let (alice, alice_base) = alice(&cloud);
    let own = cloud.post(&format!("{alice_base}/volumes"), &alice, json!({"volume": {"size": 1}}));
    assert!(own.body["volume"].get("migration_status").is_none(), "only admins see migration_status");

    let deleted = cloud.call(Method::DELETE, &format!("{base}/volumes/{id}"), Some(&admin), &[], None);
    assert_eq!(deleted.status, StatusCode::ACCEPTED);
    assert_eq!(deleted.headers["content-type"], "text/html; charset=UTF-8");
    assert!(deleted.text.is_empty());
}

#[test]
fn create_validation_update_and_actions() {
    let cloud = TestCloud::start();
    let (t, base) = alice(&cloud);
    let bad = cloud.post(&format!("{base}/volumes"), &t, json!({"volume": {"size": 0}}));
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = cloud.post(&format!("{base}/volumes"), &t, json!({"volume": {"size": 1, "volume_type": "nope"}}));
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    let id = cloud.post(&format!("{base}/volumes"), &t, json!({"volume": {"size": 1, "name": "d"}})).body["volume"]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let action = |body| cloud.post(&format!("{base}/volumes/{id}/action"), &t, body).status;
    assert_eq!(action(json!({"os-set_bootable": {"bootable": true}})), StatusCode::OK);
    assert_eq!(action(json!({"os-extend": {"new_size": 1}})), StatusCode::BAD_REQUEST);
    assert_eq!(action(json!({"os-extend": {"new_size": 3}})), StatusCode::ACCEPTED);
    assert_eq!(action(json!({"os-reset_status": {"status": "error"}})), StatusCode::FORBIDDEN);
    let r = cloud.call(
        Method::PUT,
        &format!("{base}/volumes/{id}"),
        Some(&t),
        &[],
        Some(json!({"volume": {"name": "e", "metadata": {"k": "v"}}})),
    );
    assert_eq!(r.status, StatusCode::OK);
    let v = &r.body["volume"];
    assert_eq!(
        (v["name"].clone(), v["size"].clone(), v["bootable"].clone(), v["metadata"]["k"].clone()),
        (json!("e"), json!(3), json!("true"), json!("v"))
    );
}

#[test]
fn list_detail_tenancy_and_paging() {
    let cloud = TestCloud::start();
    let (t, base) = alice(&cloud);
    for n in ["p1", "p2", "p3"] {
        cloud.post(&format!("{base}/volumes"), &t, json!({"volume": {"size": 1, "name": n}}));
    }
    let page = cloud.get(&format!("{base}/volumes/detail?limit=2&sort=name:asc"), &t).body;
    assert_eq!(page["volumes"].as_array().unwrap().len(), 2);
    let next = page["volumes_links"][0]["href"].as_str().unwrap();
    assert!(next.contains("marker="), "{next}");
    let named = cloud.get(&format!("{base}/volumes?name=p2"), &t).body;
    assert_eq!(named["volumes"].as_array().unwrap().len(), 1);
    assert_eq!(cloud.get(&format!("{base}/volumes?bogus=1"), &t).status, StatusCode::BAD_REQUEST);

    let admin = cloud.admin_token();
    let admin_project = cloud.sim().world().identity.projects.values().find(|p| p.name == "admin").unwrap().id.clone();
    let own = cloud.get(&format!("/volume/v3/{admin_project}/volumes/detail"), &admin).body;
    assert!(own["volumes"].as_array().unwrap().iter().all(|v| v["name"] != "p1"));
    let all = cloud.get(&format!("/volume/v3/{admin_project}/volumes/detail?all_tenants=1"), &admin).body;
    assert!(all["volumes"].as_array().unwrap().iter().any(|v| v["name"] == "p1"));
    assert!(all["volumes"][0].get("os-vol-host-attr:host").is_some());

    let types = cloud.get(&format!("{base}/types"), &t).body;
    assert!(types["volume_types"].as_array().unwrap().iter().any(|v| v["name"] == "__DEFAULT__"));
    let zones = cloud.get(&format!("{base}/os-availability-zone"), &t).body;
    assert_eq!(zones["availabilityZoneInfo"][0]["zoneName"], "nova");
    let limits = cloud.get(&format!("{base}/limits"), &t).body;
    assert!(limits["limits"]["absolute"]["totalVolumesUsed"].as_u64().unwrap() >= 3);
}

#[test]
fn lists_filter_by_time_from_3_60() {
    let cloud = TestCloud::start();
    let (t, base) = alice(&cloud);
    let created = cloud.post(&format!("{base}/volumes"), &t, json!({"volume": {"size": 1, "name": "fresh"}}));
    assert_eq!(created.status, StatusCode::ACCEPTED, "{}", created.text);
    let at = |version: &str, query: &str| {
        let header = format!("volume {version}");
        let path = format!("{base}/volumes?{query}");
        cloud.call(Method::GET, &path, Some(&t), &[("OpenStack-API-Version", &header)], None)
    };
    let names = |reply: &crate::util::Reply| -> Vec<String> {
        reply.body["volumes"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap_or("").to_string()).collect()
    };
    let since = "updated_at=gte:2000-01-01T00:00:00Z";
    assert!(names(&at("3.60", since)).contains(&"fresh".to_string()), "updated when it became available");
    let future = "created_at=gt:2999-01-01T00:00:00";
    assert!(names(&at("3.60", future)).is_empty());
    assert!(!names(&at("3.59", future)).is_empty(), "before 3.60 Cinder drops the filter");
    let both = "created_at=gte:2000-01-01T00:00:00Z,lt:2999-01-01T00:00:00Z";
    assert!(names(&at("3.60", both)).contains(&"fresh".to_string()));
    let bad = at("3.60", "updated_at=soon:2000-01-01T00:00:00Z");
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["badRequest"]["message"], "Invalid soon operator");
    let bad = at("3.60", "updated_at=gt:yesterday");
    assert_eq!(bad.body["badRequest"]["message"], "Invalid yesterday value");
}
