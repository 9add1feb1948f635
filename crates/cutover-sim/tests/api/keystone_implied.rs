//! Keystone's implied roles: the inference API, tokens and `effective`
//! assignment lists that carry the implied roles, and Nova's new-default
//! `member` rule that they satisfy (cutover's own `cutover` role implies
//! `member`, so that every assignment of it is recognisably cutover's).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{Reply, TestCloud};

fn role_id(cloud: &TestCloud, name: &str) -> String {
    cloud.sim().world().identity.role_by_name(name).unwrap().id.clone()
}

fn ids(cloud: &TestCloud) -> (String, String) {
    let w = cloud.sim().world();
    let admin = w.identity.users.values().find(|u| u.name == "admin").unwrap().id.clone();
    let globex = w.identity.projects.values().find(|p| p.name == "globex").unwrap().id.clone();
    (admin, globex)
}

fn call(cloud: &TestCloud, method: Method, path: &str, token: &str) -> Reply {
    cloud.call(method, path, Some(token), &[], None)
}

fn create_role(cloud: &TestCloud, token: &str, name: &str) -> String {
    let r = cloud.post("/v3/roles", token, json!({"role": {"name": name}}));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["role"]["id"].as_str().unwrap().to_string()
}

fn group(cloud: &TestCloud, token: &str) -> Reply {
    let body = json!({"server_group": {"name": "g", "policy": "affinity"}});
    let header = [("OpenStack-API-Version", "compute 2.64")];
    cloud.call(Method::POST, "/compute/RegionTwo/v2.1/os-server-groups", Some(token), &header, Some(body))
}

#[test]
fn implication_rules_are_created_once_listed_and_deleted() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let cutover = create_role(&cloud, &admin, "cutover");
    let (member, admin_role) = (role_id(&cloud, "member"), role_id(&cloud, "admin"));
    let rule = format!("/v3/roles/{cutover}/implies/{member}");
    let r = call(&cloud, Method::PUT, &rule, &admin);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (&r.body["role_inference"]["prior_role"]["name"], &r.body["role_inference"]["implies"]["id"]),
        (&json!("cutover"), &json!(member))
    );
    assert_eq!(call(&cloud, Method::PUT, &rule, &admin).status, StatusCode::CONFLICT);
    let to_admin = format!("/v3/roles/{cutover}/implies/{admin_role}");
    assert_eq!(call(&cloud, Method::PUT, &to_admin, &admin).status, StatusCode::FORBIDDEN, "admin is prohibited");
    let nope = format!("/v3/roles/{cutover}/implies/nope");
    assert_eq!(call(&cloud, Method::PUT, &nope, &admin).status, StatusCode::NOT_FOUND);
    assert_eq!(call(&cloud, Method::HEAD, &rule, &admin).status, StatusCode::NO_CONTENT);
    assert_eq!(call(&cloud, Method::GET, &rule, &admin).status, StatusCode::OK);
    let alice = cloud.token("alice", "alice-secret", "acme");
    assert_eq!(call(&cloud, Method::PUT, &rule, &alice).status, StatusCode::FORBIDDEN);
    let listed = call(&cloud, Method::GET, &format!("/v3/roles/{cutover}/implies"), &admin);
    assert_eq!(listed.body["role_inference"]["implies"][0]["name"], "member");
    let all = call(&cloud, Method::GET, "/v3/role_inferences", &admin);
    assert_eq!(all.body["role_inferences"].as_array().unwrap().len(), 1);
    assert_eq!(call(&cloud, Method::DELETE, &rule, &admin).status, StatusCode::NO_CONTENT);
    let r = call(&cloud, Method::GET, &rule, &admin);
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(call(&cloud, Method::GET, "/v3/role_inferences", &admin).body["role_inferences"], json!([]));
}

#[test]
fn a_grant_of_an_implying_role_gives_tokens_both_roles_and_satisfies_novas_member_rule() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let (me, globex) = ids(&cloud);
    let (cutover, observer, member) =
        (create_role(&cloud, &admin, "cutover"), create_role(&cloud, &admin, "observer"), role_id(&cloud, "member"));
    // A role implying nothing scopes a token, but Nova's new defaults (2.95+)
    // want `member` to create a project's server group.
    let observe = format!("/v3/projects/{globex}/users/{me}/roles/{observer}");
    assert_eq!(call(&cloud, Method::PUT, &observe, &admin).status, StatusCode::NO_CONTENT);
    let token = cloud.token("admin", "secret", "globex");
    let r = group(&cloud, &token);
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(call(&cloud, Method::DELETE, &observe, &admin).status, StatusCode::NO_CONTENT);

    assert_eq!(call(&cloud, Method::PUT, &format!("/v3/roles/{cutover}/implies/{member}"), &admin).status, 201);
    let grant = format!("/v3/projects/{globex}/users/{me}/roles/{cutover}");
    assert_eq!(call(&cloud, Method::PUT, &grant, &admin).status, StatusCode::NO_CONTENT);
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": "secret"}}},
        "scope": {"project": {"id": globex}}}});
    let issued = cloud.call(Method::POST, "/v3/auth/tokens?nocatalog", None, &[], Some(body));
    let mut roles: Vec<&str> =
        issued.body["token"]["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["cutover", "member"]);
    let token = issued.headers["x-subject-token"].to_str().unwrap().to_string();
    let r = group(&cloud, &token);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["server_group"]["project_id"], globex.as_str());

    // Direct assignments name cutover only; effective ones add member, linked to its prior role.
    let list = |q: &str| {
        let path = format!("/v3/role_assignments?user.id={me}&scope.project.id={globex}{q}");
        call(&cloud, Method::GET, &path, &admin).body["role_assignments"].clone()
    };
    let role_ids = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|a| a["role"]["id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(role_ids(&list("")), std::slice::from_ref(&cutover));
    let effective = list("&effective");
    assert_eq!(role_ids(&effective), [cutover.clone(), member.clone()]);
    assert!(effective[1]["links"]["prior_role"].as_str().unwrap().ends_with(&cutover));
    assert_eq!(role_ids(&list(&format!("&effective&role.id={member}"))), [member]);

    // Revoking the grant ends the token, whatever it implied.
    assert_eq!(call(&cloud, Method::DELETE, &grant, &admin).status, StatusCode::NO_CONTENT);
    assert_eq!(group(&cloud, &token).status, StatusCode::UNAUTHORIZED);
    // Deleting the role drops its rules.
    assert_eq!(call(&cloud, Method::DELETE, &format!("/v3/roles/{cutover}"), &admin).status, 204);
    assert_eq!(cloud.sim().world().identity.inferences, Vec::<(String, String)>::new());
}
