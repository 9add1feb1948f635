use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{Reply, TestCloud};

const V2: &str = "/network/v2.0";

fn id_of(cloud: &TestCloud, token: &str, collection: &str, name: &str) -> String {
    let r = cloud.get(&format!("{V2}/{collection}?name={name}"), token);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body[collection.replace('-', "_")][0]["id"].as_str().unwrap_or_else(|| panic!("{name} in {}", r.text)).to_string()
}

fn names(r: &Reply, collection: &str) -> Vec<String> {
    r.body[collection].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap().to_string()).collect()
}

fn assert_error(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["NeutronError"]["type"], kind, "{}", r.text);
}

fn put(cloud: &TestCloud, path: &str, token: &str, body: Value) -> Reply {
    cloud.call(Method::PUT, path, Some(token), &[], Some(body))
}

fn delete(cloud: &TestCloud, path: &str, token: &str) -> Reply {
    cloud.call(Method::DELETE, path, Some(token), &[], None)
}

#[test]
fn discovery_and_extensions() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let r = cloud.get(V2, &admin);
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["resources"].as_array().unwrap().iter().any(|x| x["collection"] == "ports"));
    let r = cloud.get(&format!("{V2}/extensions"), &admin);
    let aliases: Vec<&str> =
        r.body["extensions"].as_array().unwrap().iter().map(|e| e["alias"].as_str().unwrap()).collect();
    for a in ["router", "external-net", "binding", "security-group", "standard-attr-tag", "pagination"] {
        assert!(aliases.contains(&a), "{a} missing");
    }
    assert_eq!(cloud.get(&format!("{V2}/extensions/router"), &admin).body["extension"]["alias"], "router");
    let r = cloud.get(&format!("{V2}/extensions/dns-integration"), &admin);
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[test]
fn network_visibility_filters_and_policy() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let mut seen = names(&cloud.get(&format!("{V2}/networks"), &alice), "networks");
    seen.sort();
    assert_eq!(seen, ["acme-net", "public"]);
    assert_eq!(cloud.get(&format!("{V2}/networks"), &admin).body["networks"].as_array().unwrap().len(), 3);
    let external = cloud.get(&format!("{V2}/networks?router:external=True"), &alice);
    assert_eq!(names(&external, "networks"), ["public"]);
    assert!(external.body["networks"][0].get("provider:network_type").is_none(), "provider attrs are admin-only");
    let globex = id_of(&cloud, &admin, "networks", "globex-net");
    assert_error(&cloud.get(&format!("{V2}/networks/{globex}"), &alice), StatusCode::NOT_FOUND, "NetworkNotFound");
    assert_error(&cloud.get(&format!("{V2}/networks?colour=red"), &alice), StatusCode::BAD_REQUEST, "HTTPBadRequest");
    let r = cloud.post(&format!("{V2}/networks"), &alice, json!({"network": {"name": "x", "shared": true}}));
    assert_error(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    let r = cloud.get(&format!("{V2}/networks/{globex}?fields=id&fields=name"), &admin);
    assert_eq!(r.body["network"].as_object().unwrap().len(), 2);
}

#[test]
fn pagination_follows_next_links() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let first = cloud.get(&format!("{V2}/networks?limit=2"), &admin);
    assert_eq!(first.body["networks"].as_array().unwrap().len(), 2);
    let next = first.body["networks_links"][0]["href"].as_str().unwrap();
    assert_eq!(first.body["networks_links"][0]["rel"], "next");
    let path = next.strip_prefix(&cloud.base_url()).unwrap();
    let second = cloud.get(path, &admin);
    assert_eq!(second.body["networks"].as_array().unwrap().len(), 1);
    assert!(second.body["networks_links"].as_array().unwrap().iter().all(|l| l["rel"] != "next"));
    let r = cloud.get(&format!("{V2}/networks?marker=00000000-0000-0000-0000-000000000000"), &admin);
    assert_error(&r, StatusCode::NOT_FOUND, "NetworkNotFound");
}

#[test]
fn port_with_explicit_ip_and_mac_and_duplicates() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let net = id_of(&cloud, &admin, "networks", "acme-net");
    let subnet = id_of(&cloud, &admin, "subnets", "acme-subnet");
    let body = |ip: &str, mac: &str| {
        json!({"port": {"network_id": net, "name": "p", "mac_address": mac,
            "fixed_ips": [{"subnet_id": subnet, "ip_address": ip}]}})
    };
    let r = cloud.post(&format!("{V2}/ports"), &admin, body("10.0.0.50", "FA:16:3E:AA:BB:CC"));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let port = &r.body["port"];
    assert_eq!(port["fixed_ips"][0]["ip_address"], "10.0.0.50");
    assert_eq!(port["mac_address"], "fa:16:3e:aa:bb:cc");
    assert_eq!(port["status"], "DOWN");
    assert_eq!(port["binding:vif_type"], "unbound");
    assert_eq!(port["security_groups"].as_array().unwrap().len(), 1, "the project's default group");
    let r = cloud.post(&format!("{V2}/ports"), &admin, body("10.0.0.50", "fa:16:3e:aa:bb:cd"));
    assert_error(&r, StatusCode::CONFLICT, "IpAddressAlreadyAllocated");
    let r = cloud.post(&format!("{V2}/ports"), &admin, body("10.0.0.51", "fa:16:3e:aa:bb:cc"));
    assert_error(&r, StatusCode::CONFLICT, "MacAddressInUse");
    let r = cloud.post(&format!("{V2}/ports"), &admin, body("10.9.0.5", "fa:16:3e:aa:bb:ce"));
    assert_error(&r, StatusCode::BAD_REQUEST, "InvalidIpForSubnet");
    let r = cloud.post(&format!("{V2}/ports"), &admin, body("10.0.0.52", "zz:16:3e:aa:bb:ce"));
    assert_error(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    // The scenario's server ports hold .10 and .11 already.
    let r = cloud.post(
        &format!("{V2}/ports"),
        &admin,
        json!({"port": {"network_id": net, "fixed_ips": [{"ip_address": "10.0.0.10"}]}}),
    );
    assert_error(&r, StatusCode::CONFLICT, "IpAddressAlreadyAllocated");
    let found = cloud.get(&format!("{V2}/ports?fixed_ips=ip_address%3D10.0.0.50"), &admin);
    assert_eq!(found.body["ports"].as_array().unwrap().len(), 1);
    let found = cloud.get(&format!("{V2}/ports?mac_address=fa:16:3e:aa:bb:cc&network_id={net}"), &admin);
    assert_eq!(found.body["ports"][0]["fixed_ips"][0]["ip_address"], "10.0.0.50");
    let world = cloud.sim().world();
    assert!(world.network.ip_in_use(&net, "10.0.0.50", None));
}

#[test]
fn port_policy_for_members() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let bob = cloud.token("bob", "bob-secret", "globex");
    let acme_net = id_of(&cloud, &admin, "networks", "acme-net");
    let public = id_of(&cloud, &admin, "networks", "public");
    // Alice owns acme-net: she may choose the address and the MAC.
    let r = cloud.post(
        &format!("{V2}/ports"),
        &alice,
        json!({"port": {"network_id": acme_net,
        "fixed_ips": [{"ip_address": "10.0.0.60"}], "mac_address": "fa:16:3e:00:00:60"}}),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["port"].get("binding:host_id").is_none(), "binding attributes are admin-only");
    let port = r.body["port"]["id"].as_str().unwrap().to_string();
    let r = cloud.post(
        &format!("{V2}/ports"),
        &alice,
        json!({"port": {"network_id": acme_net, "binding:host_id": "old-1"}}),
    );
    assert_error(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    assert_error(
        &cloud.post(&format!("{V2}/ports"), &bob, json!({"port": {"network_id": acme_net}})),
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );
    assert_error(
        &cloud.post(&format!("{V2}/ports"), &alice, json!({"port": {"network_id": public}})),
        StatusCode::FORBIDDEN,
        "HTTPForbidden",
    );
    assert_error(&cloud.get(&format!("{V2}/ports/{port}"), &bob), StatusCode::NOT_FOUND, "PortNotFound");
    let r = put(
        &cloud,
        &format!("{V2}/ports/{port}"),
        &alice,
        json!({"port": {"device_id": "vm-1", "device_owner": "compute:nova", "name": "renamed"}}),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["port"]["device_id"], "vm-1");
    let r = put(&cloud, &format!("{V2}/ports/{port}"), &alice, json!({"port": {"mac_address": "fa:16:3e:00:00:61"}}));
    assert_error(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    let r = put(&cloud, &format!("{V2}/ports/{port}"), &admin, json!({"port": {"binding:host_id": "new-1"}}));
    assert_eq!(r.body["port"]["status"], "ACTIVE");
    assert_eq!(r.body["port"]["binding:vif_type"], "ovs");
    assert_eq!(cloud.sim().world().network.ports_of_device("vm-1").len(), 1);
    let r = put(&cloud, &format!("{V2}/ports/{port}"), &admin, json!({"port": {"network_id": public}}));
    assert_error(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    assert_eq!(cloud.get(&format!("{V2}/ports?device_id=vm-1"), &alice).body["ports"].as_array().unwrap().len(), 1);
    assert_eq!(delete(&cloud, &format!("{V2}/ports/{port}"), &alice).status, StatusCode::NO_CONTENT);
    assert!(cloud.sim().world().network.ports_of_device("vm-1").is_empty());
}

#[test]
fn floating_ip_allocate_associate_disassociate() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let public = id_of(&cloud, &admin, "networks", "public");
    let acme_net = id_of(&cloud, &admin, "networks", "acme-net");
    let r = cloud.post(
        &format!("{V2}/floatingips"),
        &alice,
        json!({"floatingip": {"floating_network_id": public, "floating_ip_address": "172.24.4.98"}}),
    );
    assert_error(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    let r = cloud.post(&format!("{V2}/floatingips"), &alice, json!({"floatingip": {"floating_network_id": acme_net}}));
    assert_error(&r, StatusCode::BAD_REQUEST, "BadRequest");
    let r = cloud.post(&format!("{V2}/floatingips"), &alice, json!({"floatingip": {"floating_network_id": public}}));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["floatingip"]["status"], "DOWN");
    let address = r.body["floatingip"]["floating_ip_address"].as_str().unwrap().to_string();
    assert!(!["172.24.4.10", "172.24.4.20", "172.24.4.30", "172.24.4.1"].contains(&address.as_str()));
    let fip = r.body["floatingip"]["id"].as_str().unwrap().to_string();
    let r = cloud.post(
        &format!("{V2}/floatingips"),
        &admin,
        json!({"floatingip": {"floating_network_id": public, "floating_ip_address": address}}),
    );
    assert_error(&r, StatusCode::CONFLICT, "IpAddressAlreadyAllocated");

    let r = cloud.post(&format!("{V2}/ports"), &alice, json!({"port": {"network_id": acme_net}}));
    let port = r.body["port"]["id"].as_str().unwrap().to_string();
    let fixed = r.body["port"]["fixed_ips"][0]["ip_address"].as_str().unwrap().to_string();
    let r = put(&cloud, &format!("{V2}/floatingips/{fip}"), &alice, json!({"floatingip": {"port_id": port}}));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["floatingip"]["fixed_ip_address"], fixed.as_str());
    assert_eq!(r.body["floatingip"]["port_details"]["network_id"], acme_net.as_str());
    assert_eq!(r.body["floatingip"]["router_id"], id_of(&cloud, &alice, "routers", "acme-router").as_str());
    let shown = cloud.get(&format!("{V2}/floatingips/{fip}"), &alice);
    assert_eq!(shown.body["floatingip"]["status"], "ACTIVE");
    // A second floating IP of the same network cannot take the same fixed IP.
    let other =
        cloud.post(&format!("{V2}/floatingips"), &alice, json!({"floatingip": {"floating_network_id": public}}));
    let other = other.body["floatingip"]["id"].as_str().unwrap().to_string();
    let r = put(&cloud, &format!("{V2}/floatingips/{other}"), &alice, json!({"floatingip": {"port_id": port}}));
    assert_error(&r, StatusCode::CONFLICT, "FloatingIPPortAlreadyAssociated");
    let r = put(&cloud, &format!("{V2}/floatingips/{fip}"), &alice, json!({"floatingip": {"port_id": null}}));
    assert_eq!(r.body["floatingip"]["port_id"], Value::Null);
    assert_eq!(r.body["floatingip"]["fixed_ip_address"], Value::Null);
    assert_eq!(cloud.get(&format!("{V2}/floatingips/{fip}"), &alice).body["floatingip"]["status"], "DOWN");
    // Deleting a port disassociates its floating IP.
    put(&cloud, &format!("{V2}/floatingips/{other}"), &alice, json!({"floatingip": {"port_id": port}}));
    delete(&cloud, &format!("{V2}/ports/{port}"), &alice);
    assert_eq!(cloud.get(&format!("{V2}/floatingips/{other}"), &alice).body["floatingip"]["port_id"], Value::Null);
    let bob = cloud.token("bob", "bob-secret", "globex");
    assert_error(&cloud.get(&format!("{V2}/floatingips/{fip}"), &bob), StatusCode::NOT_FOUND, "FloatingIPNotFound");
    let listed = cloud.get(&format!("{V2}/floatingips?floating_ip_address={address}"), &alice);
    assert_eq!(listed.body["floatingips"][0]["id"], fip.as_str());
}

#[test]
fn network_delete_refuses_while_ports_exist() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let r = cloud.post(&format!("{V2}/networks"), &alice, json!({"network": {"name": "scratch"}}));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["network"]["mtu"], 1450);
    let net = r.body["network"]["id"].as_str().unwrap().to_string();
    let r = cloud.post(&format!("{V2}/subnets"), &alice, json!({"subnet": {"network_id": net, "ip_version": 4,
        "cidr": "192.168.5.0/24", "gateway_ip": "192.168.5.1", "allocation_pools": [{"start": "192.168.5.1", "end": "192.168.5.9"}]}}));
    assert_error(&r, StatusCode::CONFLICT, "GatewayConflictWithAllocationPools");
    let r = cloud.post(
        &format!("{V2}/subnets"),
        &alice,
        json!({"subnet": {"network_id": net, "ip_version": 4,
        "cidr": "192.168.5.0/24", "allocation_pools": [{"start": "192.168.5.100", "end": "192.168.5.101"}]}}),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["subnet"]["gateway_ip"], "192.168.5.1");
    let subnet = r.body["subnet"]["id"].as_str().unwrap().to_string();
    let port = |_: u8| cloud.post(&format!("{V2}/ports"), &alice, json!({"port": {"network_id": net}}));
    let p1 = port(1);
    assert_eq!(p1.body["port"]["fixed_ips"][0]["ip_address"], "192.168.5.100");
    assert_eq!(port(2).status, StatusCode::CREATED);
    assert_error(&port(3), StatusCode::CONFLICT, "IpAddressGenerationFailure");
    assert_error(&delete(&cloud, &format!("{V2}/networks/{net}"), &alice), StatusCode::CONFLICT, "NetworkInUse");
    assert_error(&delete(&cloud, &format!("{V2}/subnets/{subnet}"), &alice), StatusCode::CONFLICT, "SubnetInUse");
    let ports = cloud.get(&format!("{V2}/ports?network_id={net}"), &alice);
    for p in ports.body["ports"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        assert_eq!(delete(&cloud, &format!("{V2}/ports/{id}"), &alice).status, StatusCode::NO_CONTENT);
    }
    assert_eq!(delete(&cloud, &format!("{V2}/networks/{net}"), &alice).status, StatusCode::NO_CONTENT);
    assert!(!cloud.sim().world().network.subnets.contains_key(&subnet));
}

#[test]
fn security_groups_default_rules_and_tags() {
    let cloud = TestCloud::start();
    let bob = cloud.token("bob", "bob-secret", "globex");
    let globex = {
        let mut world = cloud.sim().world();
        let project = world.identity.projects.values().find(|p| p.name == "globex").unwrap().id.clone();
        world.network.security_groups.retain(|_, g| g.project_id != project);
        project
    };
    let r = cloud.get(&format!("{V2}/security-groups"), &bob);
    assert_eq!(names(&r, "security_groups"), ["default"], "created on first use");
    let default = &r.body["security_groups"][0];
    assert_eq!(default["project_id"], globex.as_str());
    assert_eq!(default["security_group_rules"].as_array().unwrap().len(), 4);
    let default_id = default["id"].as_str().unwrap().to_string();
    assert_error(
        &delete(&cloud, &format!("{V2}/security-groups/{default_id}"), &bob),
        StatusCode::CONFLICT,
        "SecurityGroupCannotRemoveDefault",
    );
    let r = cloud.post(&format!("{V2}/security-groups"), &bob, json!({"security_group": {"name": "default"}}));
    assert_error(&r, StatusCode::CONFLICT, "SecurityGroupDefaultAlreadyExists");
    let r = cloud.post(
        &format!("{V2}/security-groups"),
        &bob,
        json!({"security_group": {"name": "ssh", "tags": ["blue"]}}),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sg = r.body["security_group"]["id"].as_str().unwrap().to_string();
    let rule = json!({"security_group_rule": {"security_group_id": sg, "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}});
    assert_eq!(cloud.post(&format!("{V2}/security-group-rules"), &bob, rule.clone()).status, StatusCode::CREATED);
    assert_error(
        &cloud.post(&format!("{V2}/security-group-rules"), &bob, rule),
        StatusCode::CONFLICT,
        "SecurityGroupRuleExists",
    );
    assert_eq!(
        cloud.get(&format!("{V2}/security-groups?tags=blue"), &bob).body["security_groups"][0]["id"],
        sg.as_str()
    );
    let r = put(&cloud, &format!("{V2}/security-groups/{sg}/tags"), &bob, json!({"tags": ["red", "green"]}));
    assert_eq!(r.body["tags"], json!(["green", "red"]));
    let alice = cloud.token("alice", "alice-secret", "acme");
    assert_error(
        &cloud.get(&format!("{V2}/security-groups/{sg}"), &alice),
        StatusCode::NOT_FOUND,
        "SecurityGroupNotFound",
    );
}

/// A new network of the caller's project with one subnet; (network, subnet).
fn own_subnet(cloud: &TestCloud, token: &str, name: &str, cidr: &str) -> (String, String) {
    let r = cloud.post(&format!("{V2}/networks"), token, json!({"network": {"name": name}}));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let net = r.body["network"]["id"].as_str().unwrap().to_string();
    let body = json!({"subnet": {"network_id": net, "cidr": cidr, "ip_version": 4, "name": format!("{name}-subnet")}});
    let r = cloud.post(&format!("{V2}/subnets"), token, body);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (net, r.body["subnet"]["id"].as_str().unwrap().to_string())
}

fn interface(cloud: &TestCloud, token: &str, router: &str, action: &str, body: Value) -> Reply {
    put(cloud, &format!("{V2}/routers/{router}/{action}_router_interface"), token, body)
}

#[test]
fn router_crud_gateway_and_interfaces() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let bob = cloud.token("bob", "bob-secret", "globex");
    let public = id_of(&cloud, &alice, "networks", "public");
    let acme_net = id_of(&cloud, &alice, "networks", "acme-net");
    let create = |gw: Value| {
        cloud.post(&format!("{V2}/routers"), &alice, json!({"router": {"name": "r1", "external_gateway_info": gw}}))
    };
    assert_error(&create(json!({"network_id": acme_net})), StatusCode::BAD_REQUEST, "BadRequest");
    let r = create(json!({"network_id": public, "enable_snat": false}));
    assert_error(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    let r = create(json!({"network_id": public}));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let router = r.body["router"]["id"].as_str().unwrap().to_string();
    let gw = &r.body["router"]["external_gateway_info"];
    assert_eq!((gw["network_id"].as_str(), gw["enable_snat"].as_bool()), (Some(public.as_str()), Some(true)));
    let gw_ip = gw["external_fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert!(gw_ip.starts_with("172.24.4."), "{gw_ip}");
    assert!(r.body["router"].get("distributed").is_none(), "distributed is admin-only");
    assert_error(&cloud.get(&format!("{V2}/routers/{router}"), &bob), StatusCode::NOT_FOUND, "RouterNotFound");
    let mut listed = names(&cloud.get(&format!("{V2}/routers"), &alice), "routers");
    listed.sort();
    assert_eq!(listed, ["acme-router", "r1"]);

    let (_, subnet) = own_subnet(&cloud, &alice, "inner", "10.9.0.0/24");
    let r = interface(&cloud, &alice, &router, "add", json!({}));
    assert_error(&r, StatusCode::BAD_REQUEST, "BadRequest");
    let r = interface(&cloud, &alice, &router, "add", json!({"subnet_id": subnet}));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["id"].as_str(), r.body["subnet_id"].as_str()), (Some(router.as_str()), Some(subnet.as_str())));
    let port = r.body["port_id"].as_str().unwrap().to_string();
    let p = &cloud.get(&format!("{V2}/ports/{port}"), &alice).body["port"];
    assert_eq!(
        (p["device_owner"].as_str(), p["device_id"].as_str()),
        (Some("network:router_interface"), Some(router.as_str()))
    );
    assert_eq!(p["fixed_ips"][0]["ip_address"], "10.9.0.1", "the interface holds the subnet's gateway IP");
    let again = interface(&cloud, &alice, &router, "add", json!({"subnet_id": subnet}));
    assert_error(&again, StatusCode::BAD_REQUEST, "BadRequest");
    assert_error(&delete(&cloud, &format!("{V2}/routers/{router}"), &alice), StatusCode::CONFLICT, "RouterInUse");
    assert_error(&delete(&cloud, &format!("{V2}/ports/{port}"), &alice), StatusCode::CONFLICT, "ServicePortInUse");

    let r = interface(&cloud, &alice, &router, "remove", json!({"subnet_id": subnet}));
    assert_eq!((r.status, r.body["port_id"].as_str()), (StatusCode::OK, Some(port.as_str())), "{}", r.text);
    assert_error(&cloud.get(&format!("{V2}/ports/{port}"), &alice), StatusCode::NOT_FOUND, "PortNotFound");
    let r = interface(&cloud, &alice, &router, "remove", json!({"subnet_id": subnet}));
    assert_error(&r, StatusCode::NOT_FOUND, "RouterInterfaceNotFoundForSubnet");
    let r = interface(&cloud, &alice, &router, "remove", json!({"port_id": port}));
    assert_error(&r, StatusCode::NOT_FOUND, "RouterInterfaceNotFound");

    let body = json!({"router": {"name": "r1b", "external_gateway_info": null}});
    let r = put(&cloud, &format!("{V2}/routers/{router}"), &alice, body);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["router"]["name"].as_str(), &r.body["router"]["external_gateway_info"]),
        (Some("r1b"), &Value::Null)
    );
    let gw_ports = cloud.sim().world().network.ports.values().filter(|p| p.device_id == router).count();
    assert_eq!(gw_ports, 0, "clearing the gateway frees its port");
    assert_eq!(delete(&cloud, &format!("{V2}/routers/{router}"), &alice).status, StatusCode::NO_CONTENT);
    assert_error(&cloud.get(&format!("{V2}/routers/{router}"), &alice), StatusCode::NOT_FOUND, "RouterNotFound");
}

#[test]
fn floating_ip_association_goes_through_a_router() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let public = id_of(&cloud, &alice, "networks", "public");
    let (net, subnet) = own_subnet(&cloud, &alice, "lonely", "10.8.0.0/24");
    let r = cloud.post(&format!("{V2}/ports"), &alice, json!({"port": {"network_id": net}}));
    let port = r.body["port"]["id"].as_str().unwrap().to_string();
    let fips = format!("{V2}/floatingips");
    let r = cloud.post(&fips, &alice, json!({"floatingip": {"floating_network_id": public, "port_id": port}}));
    assert_error(&r, StatusCode::NOT_FOUND, "ExternalGatewayForFloatingIPNotFound");
    let message = r.body["NeutronError"]["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!("External network {public} is not reachable from subnet {subnet}.  Therefore, cannot associate Port {port} with a Floating IP.")
    );
    let r = cloud.post(&fips, &alice, json!({"floatingip": {"floating_network_id": public}}));
    let fip = r.body["floatingip"]["id"].as_str().unwrap().to_string();
    let r = put(&cloud, &format!("{fips}/{fip}"), &alice, json!({"floatingip": {"port_id": port}}));
    assert_error(&r, StatusCode::NOT_FOUND, "ExternalGatewayForFloatingIPNotFound");

    let body = json!({"router": {"name": "gw", "external_gateway_info": {"network_id": public}}});
    let router = cloud.post(&format!("{V2}/routers"), &alice, body).body["router"]["id"].as_str().unwrap().to_string();
    assert_eq!(interface(&cloud, &alice, &router, "add", json!({"subnet_id": subnet})).status, StatusCode::OK);
    let r = put(&cloud, &format!("{fips}/{fip}"), &alice, json!({"floatingip": {"port_id": port}}));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["floatingip"]["router_id"], router.as_str());

    let r = interface(&cloud, &alice, &router, "remove", json!({"subnet_id": subnet}));
    assert_error(&r, StatusCode::CONFLICT, "RouterInterfaceInUseByFloatingIP");
    let r = put(&cloud, &format!("{V2}/routers/{router}"), &alice, json!({"router": {"external_gateway_info": {}}}));
    assert_error(&r, StatusCode::CONFLICT, "RouterExternalGatewayInUseByFloatingIp");

    let r = put(&cloud, &format!("{fips}/{fip}"), &alice, json!({"floatingip": {"port_id": null}}));
    assert_eq!(r.body["floatingip"]["router_id"], Value::Null, "{}", r.text);
    assert_eq!(interface(&cloud, &alice, &router, "remove", json!({"subnet_id": subnet})).status, StatusCode::OK);
}
