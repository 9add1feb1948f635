//! Ownership and permission rules cutover's sync and boots rely on: what an
//! admin may do for another project or user (keypairs, server groups,
//! quotas), nova-network pools recreated address for address with tokens
//! scoped by a temporary role grant, and Nova's proxies in Neutron regions.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{Reply, TestCloud};

fn at(cloud: &TestCloud, method: Method, path: &str, token: &str, version: &str, body: Option<Value>) -> Reply {
    nova(cloud, "RegionOne", method, path, token, version, body)
}

fn nova(
    cloud: &TestCloud,
    region: &str,
    method: Method,
    path: &str,
    token: &str,
    version: &str,
    body: Option<Value>,
) -> Reply {
    let header = format!("compute {version}");
    let url = format!("/compute/{region}/v2.1{path}");
    cloud.call(method, &url, Some(token), &[("OpenStack-API-Version", &header)], body)
}

/// Ids by name, read from the simulator's Keystone.
fn ids(cloud: &TestCloud, user: &str, project: &str, role: &str) -> (String, String, String) {
    let w = cloud.sim().world();
    let id = &w.identity;
    (
        id.users.values().find(|u| u.name == user).unwrap().id.clone(),
        id.projects.values().find(|p| p.name == project).unwrap().id.clone(),
        id.roles.values().find(|r| r.name == role).unwrap().id.clone(),
    )
}

fn try_token(cloud: &TestCloud, user: &str, password: &str, project: &str) -> Reply {
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}});
    cloud.call(Method::POST, "/v3/auth/tokens", None, &[], Some(body))
}

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9ub3RhcmVhbGtleWJ1dHdlbGxmb3JtZWQxMjM0 x";

#[test]
fn keypairs_of_other_users_are_admin_only_from_2_10_and_boot_uses_the_callers() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    let (bob_id, _, _) = ids(&cloud, "bob", "globex", "member");
    let for_bob = json!({"keypair": {"name": "copied", "public_key": KEY, "user_id": bob_id}});
    // Below 2.10 the schema has no user_id.
    assert_eq!(at(&cloud, Method::POST, "/os-keypairs", &admin, "2.9", Some(for_bob.clone())).status, 400);
    let r = at(&cloud, Method::POST, "/os-keypairs", &alice, "2.10", Some(for_bob.clone()));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = at(&cloud, Method::POST, "/os-keypairs", &admin, "2.10", Some(for_bob.clone()));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["keypair"]["user_id"].as_str(), r.body["keypair"]["type"].as_str()),
        (Some(&*bob_id), Some("ssh"))
    );
    assert_eq!(at(&cloud, Method::POST, "/os-keypairs", &admin, "2.10", Some(for_bob)).status, StatusCode::CONFLICT);
    // The admin's own list does not hold it; with user_id it does, and a
    // member may not look at bob's (below 2.10 user_id is ignored).
    let listed = |t: &str, v: &str, q: &str| at(&cloud, Method::GET, &format!("/os-keypairs{q}"), t, v, None);
    assert_eq!(listed(&admin, "2.10", "").body["keypairs"], json!([]));
    assert_eq!(listed(&admin, "2.10", &format!("?user_id={bob_id}")).body["keypairs"].as_array().unwrap().len(), 2);
    assert_eq!(listed(&alice, "2.10", &format!("?user_id={bob_id}")).status, StatusCode::FORBIDDEN);
    assert_eq!(
        listed(&alice, "2.9", &format!("?user_id={bob_id}")).body["keypairs"][0]["keypair"]["name"],
        "alice-key"
    );
    assert_eq!(listed(&admin, "2.35", "?limit=1&marker=nope").status, StatusCode::BAD_REQUEST);
    // Boot: key_name names one of the requesting user's keypairs.
    let boot = |t: &str, key: &str| {
        let body = json!({"server": {"name": "k", "flavorRef": "1", "imageRef": image_id(&cloud),
            "networks": "none", "key_name": key}});
        at(&cloud, Method::POST, "/servers", t, "2.37", Some(body))
    };
    let bob = cloud.token("bob", "bob-secret", "globex");
    let r = boot(&admin, "copied");
    assert_eq!(
        (r.status, r.body["badRequest"]["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Invalid key_name provided."))
    );
    assert_eq!(boot(&bob, "copied").status, StatusCode::ACCEPTED);
}

fn image_id(cloud: &TestCloud) -> String {
    let w = cloud.sim().world();
    w.image.images.values().find(|i| i.name.as_deref() == Some("cirros")).unwrap().id.clone()
}

#[test]
fn server_groups_belong_to_the_token_and_admins_list_them_with_all_projects() {
    let cloud = TestCloud::start();
    let (admin, alice, bob) =
        (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"), cloud.token("bob", "bob-secret", "globex"));
    let (_, acme, _) = ids(&cloud, "alice", "acme", "member");
    // No project_id in the body: a group is the token's project's.
    let body = json!({"server_group": {"name": "g", "policy": "affinity", "project_id": acme}});
    assert_eq!(at(&cloud, Method::POST, "/os-server-groups", &admin, "2.64", Some(body)).status, 400);
    let body = json!({"server_group": {"name": "g", "policies": ["affinity"], "policy": "affinity"}});
    assert_eq!(at(&cloud, Method::POST, "/os-server-groups", &admin, "2.63", Some(body)).status, 400);
    let rules =
        json!({"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": "+2"}}});
    assert_eq!(at(&cloud, Method::POST, "/os-server-groups", &bob, "2.64", Some(rules)).status, 400);
    let body =
        json!({"server_group": {"name": "spread", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}});
    let r = at(&cloud, Method::POST, "/os-server-groups", &bob, "2.64", Some(body));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let group = r.body["server_group"]["id"].as_str().unwrap().to_string();
    let count = |t: &str, q: &str| {
        at(&cloud, Method::GET, &format!("/os-server-groups{q}"), t, "2.64", None).body["server_groups"]
            .as_array()
            .unwrap()
            .len()
    };
    // Nova reads only the key's presence, and ignores it for a non-admin.
    assert_eq!(
        (count(&admin, ""), count(&admin, "?all_projects=True"), count(&admin, "?all_projects=false")),
        (0, 2, 2)
    );
    assert_eq!((count(&alice, "?all_projects=True"), count(&bob, "?all_projects=1")), (1, 1));
    assert_eq!(at(&cloud, Method::GET, &format!("/os-server-groups/{group}"), &alice, "2.64", None).status, 404);
    // A member cannot boot into another project's group; an admin can.
    let boot = |t: &str| {
        let body = json!({"server": {"name": "g", "flavorRef": "1", "imageRef": image_id(&cloud), "networks": "none"},
            "os:scheduler_hints": {"group": group}});
        at(&cloud, Method::POST, "/servers", t, "2.37", Some(body))
    };
    assert_eq!(boot(&alice).status, StatusCode::BAD_REQUEST);
    assert_eq!(boot(&admin).status, StatusCode::ACCEPTED);
}

#[test]
fn group_member_quota_counts_the_requesting_users_members() {
    let cloud = TestCloud::start();
    let (admin, bob) = (cloud.admin_token(), cloud.token("bob", "bob-secret", "globex"));
    let (_, globex, _) = ids(&cloud, "bob", "globex", "member");
    let body = json!({"quota_set": {"server_group_members": 1}});
    assert_eq!(at(&cloud, Method::PUT, &format!("/os-quota-sets/{globex}"), &admin, "2.64", Some(body)).status, 200);
    let body = json!({"server_group": {"name": "pair", "policy": "soft-affinity"}});
    let group = at(&cloud, Method::POST, "/os-server-groups", &bob, "2.64", Some(body)).body["server_group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let boot = |t: &str| {
        let body = json!({"server": {"name": "m", "flavorRef": "1", "imageRef": image_id(&cloud), "networks": "none"},
            "os:scheduler_hints": {"group": group}});
        at(&cloud, Method::POST, "/servers", t, "2.37", Some(body)).status
    };
    assert_eq!(boot(&bob), StatusCode::ACCEPTED);
    assert_eq!(boot(&bob), StatusCode::FORBIDDEN, "bob's one member fills his quota");
    // The admin's boot counts the admin's members, against the admin project's quota.
    assert_eq!(boot(&admin), StatusCode::ACCEPTED);
}

#[test]
fn quotas_per_user_follow_novas_settable_range() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    let (alice_id, acme, _) = ids(&cloud, "alice", "acme", "member");
    let put = |q: &str, body: Value| {
        at(&cloud, Method::PUT, &format!("/os-quota-sets/{acme}{q}"), &admin, "2.57", Some(json!({"quota_set": body})))
    };
    let show = |t: &str, q: &str| at(&cloud, Method::GET, &format!("/os-quota-sets/{acme}{q}"), t, "2.57", None);
    assert_eq!(put("", json!({"instances": 20})).status, StatusCode::OK);
    let user = format!("?user_id={alice_id}");
    assert_eq!(put(&user, json!({"instances": 21})).status, StatusCode::BAD_REQUEST, "above the project's");
    let r = put(&user, json!({"instances": 12, "key_pairs": 3}));
    assert_eq!((r.status, r.body["quota_set"]["instances"].as_i64()), (StatusCode::OK, Some(12)));
    assert_eq!(show(&alice, &user).body["quota_set"]["key_pairs"], 3);
    assert_eq!(show(&alice, "").body["quota_set"]["instances"], 20);
    // The project cannot go below what its users were given, unless forced.
    assert_eq!(put("", json!({"instances": 11})).status, StatusCode::BAD_REQUEST);
    assert_eq!(put("", json!({"instances": 11, "force": true})).status, StatusCode::OK);
    let detail = at(&cloud, Method::GET, &format!("/os-quota-sets/{acme}/detail{user}"), &alice, "2.57", None);
    assert_eq!(detail.body["quota_set"]["instances"]["limit"], 12);
    let del = at(&cloud, Method::DELETE, &format!("/os-quota-sets/{acme}{user}"), &admin, "2.57", None);
    assert_eq!(del.status, StatusCode::ACCEPTED);
    assert_eq!(show(&alice, &user).body["quota_set"]["instances"], 11);
    assert_eq!(show(&admin, "-nope").status, StatusCode::BAD_REQUEST, "an unknown project");
    assert_eq!(put(&user, json!({"instances": 1})).status, StatusCode::BAD_REQUEST, "below alice's use");
}

#[test]
fn a_role_grant_scopes_the_admin_to_a_project_until_it_is_revoked() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let (admin_id, globex, member) = ids(&cloud, "admin", "globex", "member");
    assert_eq!(try_token(&cloud, "admin", "secret", "globex").status, StatusCode::UNAUTHORIZED);
    let grant = format!("/v3/projects/{globex}/users/{admin_id}/roles/{member}");
    assert_eq!(cloud.call(Method::PUT, &grant, Some(&admin), &[], None).status, StatusCode::NO_CONTENT);
    let listed = cloud.get(&format!("/v3/role_assignments?user.id={admin_id}&scope.project.id={globex}"), &admin);
    assert_eq!(listed.body["role_assignments"][0]["role"]["id"], member.as_str());
    let r = try_token(&cloud, "admin", "secret", "globex");
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let scoped = r.headers["x-subject-token"].to_str().unwrap().to_string();
    let body = json!({"server_group": {"name": "for-globex", "policies": ["affinity"]}});
    let g = at(&cloud, Method::POST, "/os-server-groups", &scoped, "2.13", Some(body));
    assert_eq!(g.body["server_group"]["project_id"], globex.as_str());
    assert_eq!(g.body["server_group"]["user_id"], admin_id.as_str());

    assert_eq!(cloud.call(Method::DELETE, &grant, Some(&admin), &[], None).status, StatusCode::NO_CONTENT);
    assert_eq!(try_token(&cloud, "admin", "secret", "globex").status, StatusCode::UNAUTHORIZED);
    // The scoped token stops validating with its last role on the project.
    assert_eq!(at(&cloud, Method::GET, "/os-server-groups", &scoped, "2.13", None).status, StatusCode::UNAUTHORIZED);
    let listed = cloud.get(&format!("/v3/role_assignments?user.id={admin_id}&scope.project.id={globex}"), &admin);
    assert_eq!(listed.body["role_assignments"], json!([]));
}

#[test]
fn neutron_regions_proxy_the_nova_network_apis_below_2_36() {
    let cloud = TestCloud::start();
    let (admin, alice) = (cloud.admin_token(), cloud.token("alice", "alice-secret", "acme"));
    let get = |t: &str, path: &str, v: &str| at(&cloud, Method::GET, path, t, v, None);
    assert_eq!(get(&alice, "/os-floating-ip-pools", "2.1").body, json!({"floating_ip_pools": [{"name": "public"}]}));
    // acme's two Neutron floating IPs, in nova-network's shape; the admin's
    // project holds none, and admins see no more in the list.
    let mine = get(&alice, "/os-floating-ips", "2.35").body["floating_ips"].clone();
    let mut ips: Vec<&str> = mine.as_array().unwrap().iter().map(|f| f["ip"].as_str().unwrap()).collect();
    ips.sort();
    assert_eq!(ips, ["172.24.4.10", "172.24.4.30"]);
    assert!(mine[0]["pool"] == "public" && mine[0].get("instance_id").is_some());
    assert_eq!(get(&admin, "/os-floating-ips", "2.1").body["floating_ips"], json!([]));
    let id = mine[0]["id"].as_str().unwrap().to_string();
    assert_eq!(get(&admin, &format!("/os-floating-ips/{id}"), "2.1").status, StatusCode::OK, "admins reach any by id");
    let bob = cloud.token("bob", "bob-secret", "globex");
    assert_eq!(get(&bob, &format!("/os-floating-ips/{id}"), "2.1").status, StatusCode::NOT_FOUND);
    // Allocation creates a Neutron floating IP of the token's project.
    let r = at(&cloud, Method::POST, "/os-floating-ips", &alice, "2.1", Some(json!({"pool": "public"})));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new_id = r.body["floating_ip"]["id"].as_str().unwrap().to_string();
    let neutron = cloud.get(&format!("/network/v2.0/floatingips/{new_id}"), &alice);
    assert_eq!(neutron.body["floatingip"]["floating_ip_address"], r.body["floating_ip"]["ip"]);
    let r = at(&cloud, Method::POST, "/os-floating-ips", &alice, "2.1", Some(json!({"pool": "acme-net"})));
    assert_eq!(r.status, StatusCode::NOT_FOUND, "only external networks are pools");
    let del = at(&cloud, Method::DELETE, &format!("/os-floating-ips/{new_id}"), &alice, "2.1", None);
    assert_eq!(del.status, StatusCode::ACCEPTED);
    assert_eq!(cloud.get(&format!("/network/v2.0/floatingips/{new_id}"), &alice).status, StatusCode::NOT_FOUND);
    let nets = get(&alice, "/os-networks", "2.1").body["networks"].clone();
    let labels: Vec<&str> = nets.as_array().unwrap().iter().map(|n| n["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"acme-net") && labels.contains(&"public") && !labels.contains(&"globex-net"));
    assert!(nets[0]["cidr"].is_null() && nets[0].get("project_id").is_none());
    // Gone from 2.36; the bulk API was removed with nova-network (410).
    for path in ["/os-floating-ip-pools", "/os-floating-ips", "/os-networks"] {
        assert_eq!(get(&admin, path, "2.36").status, StatusCode::NOT_FOUND, "{path}");
    }
    for v in ["2.1", "2.36"] {
        let r = get(&admin, "/os-floating-ips-bulk", v);
        assert_eq!((r.status, r.body["computeFault"]["code"].as_u64()), (StatusCode::GONE, Some(410)));
    }
}

/// cutover's recreation of a nova-network pool in the new region: each
/// address a project held is bulk-created alone and allocated with a token
/// scoped to that project (the pool's only free address), then the free
/// addresses are bulk-created.
#[test]
fn nova_network_pool_recreated_address_for_address() {
    let opts = cutover_sim::GenerateOptions {
        hosts: 3,
        servers: 60,
        new_hosts: Some(2),
        networking: cutover_sim::model::compute::Networking::NovaNetwork,
        seed: 11,
    };
    let cloud = TestCloud::with(cutover_sim::generate(&opts), 0.0);
    let admin = cloud.admin_token();
    let old_rows = |region: &str| {
        let mut rows: Vec<(String, Option<String>, String)> =
            nova(&cloud, region, Method::GET, "/os-floating-ips-bulk", &admin, "2.1", None).body["floating_ip_info"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let project = f["project_id"].as_str().map(str::to_string);
                    (f["address"].as_str().unwrap().to_string(), project, f["pool"].as_str().unwrap().to_string())
                })
                .collect();
        rows.sort();
        rows
    };
    let old = old_rows("RegionOne");
    assert!(old.iter().any(|r| r.1.is_some()) && old.iter().any(|r| r.1.is_none()), "held and free addresses");
    let (admin_id, _, member) = ids(&cloud, "admin", "admin", "member");
    let bulk = |address: &str, pool: &str| {
        let body = json!({"floating_ips_bulk_create": {"ip_range": address, "pool": pool, "interface": "eth0"}});
        nova(&cloud, "RegionTwo", Method::POST, "/os-floating-ips-bulk", &admin, "2.1", Some(body))
    };
    for (address, project, pool) in old.iter().filter(|r| r.1.is_some()) {
        let project = project.as_deref().unwrap();
        let name = cloud.sim().world().identity.projects[project].name.clone();
        let grant = format!("/v3/projects/{project}/users/{admin_id}/roles/{member}");
        assert_eq!(bulk(address, pool).status, StatusCode::OK);
        cloud.call(Method::PUT, &grant, Some(&admin), &[], None);
        let scoped = cloud.token("admin", "secret", &name);
        let body = json!({"pool": pool});
        let r = nova(&cloud, "RegionTwo", Method::POST, "/os-floating-ips", &scoped, "2.1", Some(body));
        assert_eq!(r.body["floating_ip"]["ip"], address.as_str(), "{}", r.text);
        let listed = nova(&cloud, "RegionTwo", Method::GET, "/os-floating-ips", &admin, "2.1", None);
        assert_eq!(listed.body["floating_ips"], json!([]), "the admin's own project holds none");
        assert_eq!(cloud.call(Method::DELETE, &grant, Some(&admin), &[], None).status, StatusCode::NO_CONTENT);
    }
    for (address, _, pool) in old.iter().filter(|r| r.1.is_none()) {
        assert_eq!(bulk(address, pool).status, StatusCode::OK);
    }
    assert_eq!(old_rows("RegionTwo"), old);
    // Running the sync again finds every address in place.
    assert_eq!(bulk(&old[0].0, &old[0].2).status, StatusCode::CONFLICT);
}
