use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::TestCloud;

/// A request with a raw body and content type (image data, JSON patches).
fn raw(
    cloud: &TestCloud,
    method: Method,
    path: &str,
    token: &str,
    ctype: &str,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let resp = reqwest::blocking::Client::new()
        .request(method, format!("{}{path}", cloud.base_url()))
        .header("X-Auth-Token", token)
        .header("Content-Type", ctype)
        .body(body)
        .send()
        .expect("request sent");
    let status = resp.status();
    (status, resp.bytes().unwrap_or_default().to_vec())
}

fn patch(cloud: &TestCloud, id: &str, token: &str, ops: Value) -> (StatusCode, Value) {
    let ctype = "application/openstack-images-v2.1-json-patch";
    let (s, b) =
        raw(cloud, Method::PATCH, &format!("/image/v2/images/{id}"), token, ctype, ops.to_string().into_bytes());
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

#[test]
fn discovery_at_root_and_v2() {
    let cloud = TestCloud::start();
    for path in ["/image", "/image/v2"] {
        let r = cloud.call(Method::GET, path, None, &[], None);
        assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES, "{path}");
        assert_eq!(r.body["versions"][0]["links"][0]["href"], format!("{}/image/v2/", cloud.base_url()));
    }
}

#[test]
fn create_upload_download_and_delete() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let r = cloud.post(
        "/image/v2/images",
        &alice,
        json!({"name": "mine", "disk_format": "raw", "container_format": "bare", "os_distro": "debian"}),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let img = &r.body;
    assert_eq!(img["status"], "queued");
    assert_eq!(img["visibility"], "shared");
    assert_eq!(img["os_distro"], "debian");
    assert_eq!(img["size"], Value::Null);
    let id = img["id"].as_str().unwrap().to_string();
    assert_eq!(img["self"], format!("/v2/images/{id}"));
    assert_eq!(img["file"], format!("/v2/images/{id}/file"));

    let file = format!("/image/v2/images/{id}/file");
    assert_eq!(cloud.get(&file, &alice).status, StatusCode::NO_CONTENT);
    let (s, _) = raw(&cloud, Method::PUT, &file, &alice, "application/json", b"x".to_vec());
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, _) = raw(&cloud, Method::PUT, &file, &alice, "application/octet-stream", b"hello".to_vec());
    assert_eq!(s, StatusCode::NO_CONTENT);
    let shown = cloud.get(&format!("/image/v2/images/{id}"), &alice).body;
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["size"], 5);
    assert_eq!(shown["checksum"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(shown["os_hash_algo"], "sha512");
    let (s, _) = raw(&cloud, Method::PUT, &file, &alice, "application/octet-stream", b"again".to_vec());
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, body) = raw(&cloud, Method::GET, &file, &alice, "application/json", Vec::new());
    assert_eq!((s, body.as_slice()), (StatusCode::OK, b"hello".as_slice()));

    // Bob (globex) does not see a shared image he is no member of.
    let bob = cloud.token("bob", "bob-secret", "globex");
    assert_eq!(cloud.get(&format!("/image/v2/images/{id}"), &bob).status, StatusCode::NOT_FOUND);

    let (s, _) = patch(&cloud, &id, &alice, json!([{"op": "replace", "path": "/protected", "value": true}]));
    assert_eq!(s, StatusCode::OK);
    let del = cloud.call(Method::DELETE, &format!("/image/v2/images/{id}"), Some(&alice), &[], None);
    assert_eq!(del.status, StatusCode::FORBIDDEN);
    patch(&cloud, &id, &alice, json!([{"op": "replace", "path": "/protected", "value": false}]));
    let del = cloud.call(Method::DELETE, &format!("/image/v2/images/{id}"), Some(&alice), &[], None);
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_eq!(cloud.get(&format!("/image/v2/images/{id}"), &alice).status, StatusCode::NOT_FOUND);
}

#[test]
fn patch_properties_and_media_type() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let id = cloud.post("/image/v2/images", &admin, json!({"name": "p"})).body["id"].as_str().unwrap().to_string();
    let (s, img) = patch(
        &cloud,
        &id,
        &admin,
        json!([
            {"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "add", "path": "/tags", "value": ["a", "b"]}
        ]),
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (img["hw_disk_bus"].clone(), img["name"].clone(), img["tags"].clone()),
        (json!("scsi"), json!("renamed"), json!(["a", "b"]))
    );
    let (s, img) = patch(&cloud, &id, &admin, json!([{"op": "remove", "path": "/hw_disk_bus"}]));
    assert_eq!(s, StatusCode::OK);
    assert!(img.get("hw_disk_bus").is_none());
    assert_eq!(patch(&cloud, &id, &admin, json!([{"op": "remove", "path": "/nope"}])).0, StatusCode::CONFLICT);
    assert_eq!(
        patch(&cloud, &id, &admin, json!([{"op": "replace", "path": "/status", "value": "active"}])).0,
        StatusCode::FORBIDDEN
    );
    let (s, _) =
        raw(&cloud, Method::PATCH, &format!("/image/v2/images/{id}"), &admin, "application/json", b"[]".to_vec());
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[test]
fn list_filters_sorting_and_paging() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    for n in ["a1", "a2", "a3"] {
        cloud.post("/image/v2/images", &admin, json!({"name": n, "visibility": "public"}));
    }
    let all = cloud.get("/image/v2/images", &admin).body;
    assert_eq!(all["first"], "/v2/images");
    assert_eq!(all["schema"], "/v2/schemas/images");
    let names = |v: &Value| {
        v["images"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()
    };

    let queued = cloud.get("/image/v2/images?status=queued&sort_key=name&sort_dir=asc", &admin).body;
    assert_eq!(names(&queued), ["a1", "a2", "a3"]);
    let sorted = cloud.get("/image/v2/images?status=queued&sort=name:desc", &admin).body;
    assert_eq!(names(&sorted), ["a3", "a2", "a1"]);
    let inlist = cloud.get("/image/v2/images?name=in:a1,a3&sort=name:asc", &admin).body;
    assert_eq!(names(&inlist), ["a1", "a3"]);

    let p1 = cloud.get("/image/v2/images?status=queued&sort=name:asc&limit=2", &admin).body;
    assert_eq!(names(&p1), ["a1", "a2"]);
    let next = p1["next"].as_str().unwrap();
    assert!(next.starts_with("/v2/images?") && next.contains("marker="), "{next}");
    let p2 = cloud.get(&format!("/image{next}"), &admin).body;
    assert_eq!(names(&p2), ["a3"]);
    assert!(p2.get("next").is_none());

    let future = cloud.get("/image/v2/images?created_at=gt:2999-01-01T00:00:00Z", &admin).body;
    assert_eq!(names(&future).len(), 0);
    assert_eq!(cloud.get("/image/v2/images?sort_key=bogus", &admin).status, StatusCode::BAD_REQUEST);
    assert_eq!(cloud.get("/image/v2/images?visibility=bogus", &admin).status, StatusCode::BAD_REQUEST);
}

#[test]
fn visibility_rules() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let bob = cloud.token("bob", "bob-secret", "globex");
    let r = cloud.post("/image/v2/images", &alice, json!({"name": "pub", "visibility": "public"}));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "members cannot publicize");
    let private = cloud.post("/image/v2/images", &alice, json!({"name": "priv", "visibility": "private"})).body;
    let community = cloud.post("/image/v2/images", &alice, json!({"name": "comm", "visibility": "community"})).body;
    let names = |t: &str, q: &str| {
        cloud.get(&format!("/image/v2/images{q}"), t).body["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert!(names(&alice, "").contains(&"priv".to_string()));
    assert!(names(&alice, "").contains(&"comm".to_string()), "owners list their community images");
    assert!(!names(&bob, "").contains(&"priv".to_string()));
    assert!(!names(&bob, "").contains(&"comm".to_string()), "community images are listed only when asked for");
    assert!(names(&bob, "?visibility=community").contains(&"comm".to_string()));
    assert_eq!(
        cloud.get(&format!("/image/v2/images/{}", community["id"].as_str().unwrap()), &bob).status,
        StatusCode::OK
    );
    assert_eq!(
        cloud.get(&format!("/image/v2/images/{}", private["id"].as_str().unwrap()), &bob).status,
        StatusCode::NOT_FOUND
    );
    let (s, _) = patch(
        &cloud,
        community["id"].as_str().unwrap(),
        &bob,
        json!([{"op": "replace", "path": "/name", "value": "x"}]),
    );
    assert_eq!(s, StatusCode::FORBIDDEN);
}
