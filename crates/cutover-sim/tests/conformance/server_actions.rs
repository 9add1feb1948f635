use cutover_sim::Scenario;

use crate::util::TestCloud;

/// The id of a server of the loaded scenario (the client runs as admin,
/// whose own project has no servers, so commands name servers by id).
fn server_id(cloud: &TestCloud, region: &str, name: &str) -> String {
    let w = cloud.sim().world();
    w.compute[region].servers.values().find(|s| s.name == name).expect("server exists").id.clone()
}

#[test]
fn server_stop_and_image_create_wait() {
    let cloud = TestCloud::start();
    let web = server_id(&cloud, "RegionOne", "web-1");
    cloud.openstack_ok(&["server", "stop", &web]);
    let shown = cloud.openstack(&["server", "show", &web]);
    assert_eq!(shown["status"], "SHUTOFF", "{shown}");

    let image = cloud.openstack(&["server", "image", "create", "--wait", "--name", "web-1-snap", &web]);
    assert_eq!(image["name"], "web-1-snap", "{image}");
    assert_eq!(image["status"], "active", "{image}");
    assert_eq!(image["checksum"].as_str().map(str::len), Some(32), "{image}");
}

#[test]
fn server_set_property_writes_metadata() {
    let cloud = TestCloud::start();
    let web = server_id(&cloud, "RegionOne", "web-1");
    cloud.openstack_ok(&["server", "set", "--property", "cutover=wave-1", &web]);
    let shown = cloud.openstack(&["server", "show", &web]);
    assert_eq!(shown["properties"]["cutover"], "wave-1", "{shown}");
    assert_eq!(shown["properties"]["role"], "web", "{shown}");
}

#[test]
fn server_add_volume_then_set_delete_on_termination_at_2_85() {
    let cloud = TestCloud::start();
    let app = server_id(&cloud, "RegionOne", "app-1");
    let spare = {
        let w = cloud.sim().world();
        w.volume.volumes.values().find(|v| v.name.as_deref() == Some("spare")).unwrap().id.clone()
    };
    let added = cloud.openstack(&["server", "add", "volume", &app, &spare]);
    assert_eq!(added["Volume ID"], spare.as_str(), "{added}");
    assert_eq!(added["Device"], "/dev/vdb", "{added}");

    let list =
        |cloud: &TestCloud| cloud.openstack(&["--os-compute-api-version", "2.85", "server", "volume", "list", &app]);
    let listed = list(&cloud);
    assert_eq!(listed[0]["Volume ID"], spare.as_str(), "{listed}");
    assert_eq!(listed[0]["Delete On Termination?"], false, "{listed}");
    cloud.openstack_ok(&[
        "--os-compute-api-version",
        "2.85",
        "server",
        "volume",
        "set",
        "--delete-on-termination",
        &app,
        &spare,
    ]);
    assert_eq!(list(&cloud)[0]["Delete On Termination?"], true);
}

#[test]
fn sdk_adds_a_nova_network_floating_ip_below_2_44() {
    let scenario = Scenario::from_yaml(include_str!("../scenarios/nova_network.yaml")).expect("scenario parses");
    let cloud = TestCloud::with(scenario, 0.0);
    let web = server_id(&cloud, "Legacy", "legacy-web");
    {
        // Allocated to acme, as `os-floating-ips` would have done.
        let mut w = cloud.sim().world();
        let acme = w.identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
        let region = w.compute.get_mut("Legacy").unwrap();
        region.floating_ips.values_mut().find(|f| f.address == "192.168.50.2").unwrap().project_id = Some(acme);
    }
    // OSC's `server add floating ip` speaks only Neutron; the SDK's compute
    // proxy still has the nova-network action, which a client must pin
    // below 2.44 to use.
    let script = format!(
        r#"
import json, openstack
conn = openstack.connect(cloud="sim", compute_api_version="2.43")
conn.compute.add_floating_ip_to_server("{web}", "192.168.50.2")
server = conn.compute.get_server("{web}")
print(json.dumps(server.addresses))
"#
    );
    let addresses = cloud.python(&script);
    let ips: Vec<&str> = addresses["private"].as_array().unwrap().iter().map(|a| a["addr"].as_str().unwrap()).collect();
    assert!(ips.contains(&"192.168.50.2"), "{addresses}");
    let w = cloud.sim().world();
    let fip = w.compute["Legacy"].floating_ips.values().find(|f| f.address == "192.168.50.2").unwrap();
    assert_eq!(fip.instance_id.as_deref(), Some(web.as_str()));
}

#[test]
fn server_event_list_and_show_read_the_instance_actions() {
    let cloud = TestCloud::start();
    let web = server_id(&cloud, "RegionOne", "web-1");
    cloud.openstack_ok(&["server", "stop", &web]);
    let events = cloud.openstack(&["server", "event", "list", &web]);
    let stop = events.as_array().and_then(|e| e.iter().find(|e| e["Action"] == "stop")).expect("the stop").clone();
    assert_eq!(stop["Server ID"], web.as_str(), "{events}");
    let request = stop["Request ID"].as_str().expect("a request id");
    let shown = cloud.openstack(&["server", "event", "show", &web, request]);
    assert_eq!(shown["action"], "stop", "{shown}");
    assert_eq!(shown["events"][0]["event"], "compute_stop_instance", "{shown}");
    assert_eq!(shown["events"][0]["result"], "Success", "{shown}");
}
