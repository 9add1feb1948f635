use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::util::TestCloud;

#[test]
fn discovery_lists_v3() {
    let cloud = TestCloud::start();
    let root = cloud.call(Method::GET, "/", None, &[], None);
    assert_eq!(root.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(root.body["versions"]["values"][0]["id"], "v3.14");
    let v3 = cloud.call(Method::GET, "/v3/", None, &[], None);
    assert_eq!(v3.status, StatusCode::OK);
    assert_eq!(v3.body["version"]["links"][0]["href"], format!("{}/v3/", cloud.base_url()));
}

#[test]
fn password_auth_scopes_and_catalog() {
    let cloud = TestCloud::start();
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "alice", "domain": {"id": "default"}, "password": "alice-secret"}}},
        "scope": {"project": {"name": "acme", "domain": {"name": "Default"}}}}});
    let r = cloud.call(Method::POST, "/v3/auth/tokens", None, &[], Some(body));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.headers.contains_key("x-subject-token"));
    let token = &r.body["token"];
    assert_eq!(token["project"]["name"], "acme");
    assert_eq!(token["user"]["name"], "alice");
    assert_eq!(token["roles"][0]["name"], "member");
    let compute = token["catalog"].as_array().unwrap().iter().find(|s| s["type"] == "compute").unwrap();
    let regions: Vec<&str> =
        compute["endpoints"].as_array().unwrap().iter().map(|e| e["region_id"].as_str().unwrap()).collect();
    assert!(regions.contains(&"RegionOne") && regions.contains(&"RegionTwo"));
    let volume = token["catalog"].as_array().unwrap().iter().find(|s| s["type"] == "block-storage").unwrap();
    let project_id = token["project"]["id"].as_str().unwrap();
    assert!(volume["endpoints"][0]["url"].as_str().unwrap().ends_with(&format!("/volume/v3/{project_id}")));
}

#[test]
fn wrong_password_and_foreign_project_are_401() {
    let cloud = TestCloud::start();
    let attempt = |user: &str, password: &str, project: &str| {
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}});
        cloud.call(Method::POST, "/v3/auth/tokens", None, &[], Some(body))
    };
    let r = attempt("alice", "wrong", "acme");
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["code"], 401);
    assert_eq!(attempt("alice", "alice-secret", "globex").status, StatusCode::UNAUTHORIZED);
}

#[test]
fn token_validation_and_revocation() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let r = cloud.call(Method::GET, "/v3/auth/tokens", Some(&admin), &[("X-Subject-Token", &alice)], None);
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["token"]["user"]["name"], "alice");
    let r = cloud.call(Method::DELETE, "/v3/auth/tokens", Some(&admin), &[("X-Subject-Token", &alice)], None);
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = cloud.call(Method::GET, "/v3/auth/tokens", Some(&admin), &[("X-Subject-Token", &alice)], None);
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(cloud.get("/v3/projects", &alice).status, StatusCode::UNAUTHORIZED);
}

#[test]
fn token_auth_rescopes() {
    let cloud = TestCloud::start();
    let unscoped = {
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": "secret"}}}}});
        let r = cloud.call(Method::POST, "/v3/auth/tokens", None, &[], Some(body));
        assert_eq!(r.status, StatusCode::CREATED);
        assert!(r.body["token"].get("catalog").is_none());
        r.headers["x-subject-token"].to_str().unwrap().to_string()
    };
    let body = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}});
    let r = cloud.call(Method::POST, "/v3/auth/tokens", None, &[], Some(body));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["token"]["methods"], json!(["password", "token"]));
}

#[test]
fn identity_admin_api_needs_admin() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let r = cloud.post("/v3/regions", &alice, json!({"region": {"id": "RegionThree"}}));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["error"]["title"], "Forbidden");
}

#[test]
fn grants_give_access_to_a_project() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let users = cloud.get("/v3/users?name=admin", &admin).body;
    let admin_id = users["users"][0]["id"].as_str().unwrap().to_string();
    let projects = cloud.get("/v3/projects?name=globex", &admin).body;
    let globex = projects["projects"][0]["id"].as_str().unwrap().to_string();
    let roles = cloud.get("/v3/roles?name=admin", &admin).body;
    let role = roles["roles"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/v3/projects/{globex}/users/{admin_id}/roles/{role}");
    assert_eq!(cloud.call(Method::PUT, &path, Some(&admin), &[], None).status, StatusCode::NO_CONTENT);
    assert_eq!(cloud.call(Method::HEAD, &path, Some(&admin), &[], None).status, StatusCode::NO_CONTENT);
    cloud.token("admin", "secret", "globex");
    let assignments = cloud.get(&format!("/v3/role_assignments?user.id={admin_id}&include_names"), &admin).body;
    assert!(assignments["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["scope"]["project"]["name"] == "globex" && a["role"]["name"] == "admin"));
}

/// Keystone's policy: services and endpoints are read by an admin (or a
/// system reader), regions by anyone.
#[test]
fn only_an_admin_reads_services_and_endpoints() {
    let cloud = TestCloud::start();
    let member = cloud.token("alice", "alice-secret", "acme");
    let admin = cloud.admin_token();
    for path in ["/v3/services", "/v3/endpoints"] {
        assert_eq!(cloud.get(path, &member).status, StatusCode::FORBIDDEN, "{path}");
        let r = cloud.get(path, &admin);
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
    let endpoint = cloud.get("/v3/endpoints", &admin).body["endpoints"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(cloud.get(&format!("/v3/endpoints/{endpoint}"), &member).status, StatusCode::FORBIDDEN);
    assert_eq!(cloud.get("/v3/regions", &member).status, StatusCode::OK);
}
