use serde_json::Value;

use crate::util::TestCloud;

fn column<'a>(rows: &'a Value, name: &str) -> Vec<&'a str> {
    rows.as_array().unwrap().iter().map(|r| r[name].as_str().unwrap()).collect()
}

#[test]
fn network_and_subnet_list() {
    let cloud = TestCloud::start();
    let networks = cloud.openstack(&["network", "list"]);
    let mut names = column(&networks, "Name");
    names.sort();
    assert_eq!(names, ["acme-net", "globex-net", "public"]);
    let subnets = cloud.openstack(&["subnet", "list"]);
    let acme = subnets.as_array().unwrap().iter().find(|s| s["Name"] == "acme-subnet").unwrap();
    assert_eq!(acme["Subnet"], "10.0.0.0/24");
    let external = cloud.openstack(&["network", "list", "--external"]);
    assert_eq!(column(&external, "Name"), ["public"]);
}

#[test]
fn port_with_fixed_ip_and_mac() {
    let cloud = TestCloud::start();
    let port = cloud.openstack(&[
        "port",
        "create",
        "--network",
        "acme-net",
        "--fixed-ip",
        "subnet=acme-subnet,ip-address=10.0.0.50",
        "--mac-address",
        "fa:16:3e:aa:bb:cc",
        "p1",
    ]);
    assert_eq!(port["mac_address"], "fa:16:3e:aa:bb:cc");
    let shown = cloud.openstack(&["port", "show", "p1"]);
    assert_eq!(shown["id"], port["id"]);
    assert_eq!(shown["fixed_ips"][0]["ip_address"], "10.0.0.50");
    assert_eq!(shown["status"], "DOWN");
    let dup = cloud.openstack_output(&[
        "port",
        "create",
        "--network",
        "acme-net",
        "--fixed-ip",
        "ip-address=10.0.0.50",
        "p2",
    ]);
    assert!(!dup.status.success());
    assert!(
        String::from_utf8_lossy(&dup.stderr).contains("already allocated"),
        "{}",
        String::from_utf8_lossy(&dup.stderr)
    );
}

#[test]
fn floating_ip_create_set_list() {
    let cloud = TestCloud::start();
    let port = cloud.openstack(&["port", "create", "--network", "acme-net", "fip-port"]);
    let port_id = port["id"].as_str().unwrap();
    let fixed = port["fixed_ips"][0]["ip_address"].as_str().unwrap();
    let fip = cloud.openstack(&["floating", "ip", "create", "--floating-ip-address", "172.24.4.99", "public"]);
    assert_eq!(fip["floating_ip_address"], "172.24.4.99");
    let fip_id = fip["id"].as_str().unwrap();
    cloud.openstack_ok(&["floating", "ip", "set", "--port", port_id, fip_id]);
    let list = cloud.openstack(&["floating", "ip", "list"]);
    let row = list.as_array().unwrap().iter().find(|r| r["Floating IP Address"] == "172.24.4.99").unwrap();
    assert_eq!(row["Port"], port_id);
    assert_eq!(row["Fixed IP Address"], fixed);
    cloud.openstack_ok(&["floating", "ip", "unset", "--port", "172.24.4.99"]);
    let shown = cloud.openstack(&["floating", "ip", "show", fip_id]);
    assert_eq!(shown["port_id"], Value::Null);
}

#[test]
fn security_group_list() {
    let cloud = TestCloud::start();
    let groups = cloud.openstack(&["security", "group", "list"]);
    let names = column(&groups, "Name");
    assert!(names.iter().filter(|n| **n == "default").count() >= 3, "one default per project: {names:?}");
    assert!(names.contains(&"web"));
}

#[test]
fn router_with_gateway_and_subnet_interface() {
    let cloud = TestCloud::start();
    cloud.openstack(&["network", "create", "rnet"]);
    cloud.openstack(&["subnet", "create", "--network", "rnet", "--subnet-range", "10.50.0.0/24", "rsub"]);
    let router = cloud.openstack(&["router", "create", "--external-gateway", "public", "r1"]);
    assert_eq!(router["name"], "r1");
    cloud.openstack_ok(&["router", "add", "subnet", "r1", "rsub"]);
    let ports = cloud.openstack(&["port", "list", "--router", "r1", "--device-owner", "network:router_interface"]);
    assert_eq!(ports[0]["Fixed IP Addresses"][0]["ip_address"], "10.50.0.1", "{ports}");
    let busy = cloud.openstack_output(&["router", "delete", "r1"]);
    assert!(!busy.status.success(), "a router with interfaces stays");
    cloud.openstack_ok(&["router", "remove", "subnet", "r1", "rsub"]);
    cloud.openstack_ok(&["router", "delete", "r1"]);
    assert!(!column(&cloud.openstack(&["router", "list"]), "Name").contains(&"r1"));
}
