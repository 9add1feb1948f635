//! A nova-network region driven by the legacy client (python-openstackclient
//! 6.6.1), which speaks Nova's own floating IP API when a region has no
//! network service, as operators of such clouds use it.

use crate::util::TestCloud;

/// A cloud whose only Nova region runs nova-network: with a network
/// service anywhere in the catalog, this client would speak Neutron.
fn nova_network_cloud() -> TestCloud {
    let yaml = r#"
users: [{name: admin, password: secret, project: admin, roles: {admin: [admin]}}]
images: [{name: cirros}]
regions:
  - name: RegionLegacy
    networking: nova-network
    max_microversion: "2.1"
    hosts: [{name: legacy-1}]
    flavors: [{id: "1", name: m1.tiny, vcpus: 1, ram_mb: 512, disk_gb: 1}]
    fixed_networks: [{label: private, cidr: 10.9.0.0/24, project: admin}]
    floating_ip_pools: [{name: public, ip_range: 192.0.2.0/29}]
    servers:
      - {name: legacy-web, project: admin, user: admin, host: legacy-1, flavor: m1.tiny, image: cirros,
         nics: [{network: private, fixed_ip: 10.9.0.5}]}
"#;
    TestCloud::with(cutover_sim::Scenario::from_yaml(yaml).unwrap(), 0.0)
}

#[test]
fn pool_list_allocate_and_add_to_a_server() {
    let cloud = nova_network_cloud();
    let pools = cloud.openstack_legacy(&["floating", "ip", "pool", "list"]);
    assert_eq!(pools, serde_json::json!([{"Name": "public"}]));

    let fip = cloud.openstack_legacy(&["floating", "ip", "create", "public"]);
    assert_eq!(fip["ip"], "192.0.2.1", "Nova allocates the pool's first free address: {fip}");

    let out = cloud.client_output_legacy(&["server", "add", "floating", "ip", "legacy-web", "192.0.2.1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = cloud.openstack_legacy(&["server", "show", "legacy-web"]);
    let addresses = server["addresses"].to_string();
    assert!(addresses.contains("10.9.0.5") && addresses.contains("192.0.2.1"), "{addresses}");

    let listed = cloud.openstack_legacy(&["floating", "ip", "list"]);
    let entry = listed.as_array().unwrap().iter().find(|f| f["Floating IP Address"] == "192.0.2.1").unwrap();
    assert_eq!(entry["Fixed IP Address"], "10.9.0.5");
}
