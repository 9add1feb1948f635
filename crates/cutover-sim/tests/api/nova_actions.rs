use cutover_sim::faults::SnapshotFault;
use cutover_sim::model::compute::{PowerState, VmState};
use cutover_sim::model::image::ImageStatus;
use cutover_sim::Scenario;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{Reply, TestCloud};

pub const NOVA: &str = "/compute/RegionOne/v2.1";

/// The id of a server of the loaded scenario, by name.
pub fn server_id(cloud: &TestCloud, region: &str, name: &str) -> String {
    let w = cloud.sim().world();
    w.compute[region].servers.values().find(|s| s.name == name).expect("server exists").id.clone()
}

/// `POST /servers/{id}/action` at a microversion.
pub fn action(cloud: &TestCloud, token: &str, base: &str, id: &str, version: &str, body: Value) -> Reply {
    let header = format!("compute {version}");
    let path = format!("{base}/servers/{id}/action");
    cloud.call(Method::POST, &path, Some(token), &[("OpenStack-API-Version", &header)], Some(body))
}

fn states(cloud: &TestCloud, id: &str) -> (VmState, Option<String>, PowerState) {
    let w = cloud.sim().world();
    let s = &w.compute["RegionOne"].servers[id];
    (s.vm_state, s.task_state.clone(), s.power_state)
}

#[test]
fn stop_and_start_follow_novas_state_machine() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null}));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(states(&cloud, &web), (VmState::Stopped, None, PowerState::Shutdown));

    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null}));
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body["conflictingRequest"]["message"],
        format!("Cannot 'stop' instance {web} while it is in vm_state stopped")
    );
    assert_eq!(action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-start": null})).status, StatusCode::ACCEPTED);
    assert_eq!(states(&cloud, &web), (VmState::Active, None, PowerState::Running));
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-start": null}));
    assert_eq!(
        r.body["conflictingRequest"]["message"],
        format!("Cannot 'start' instance {web} while it is in vm_state active")
    );

    // Another project's server does not exist for alice.
    let app = server_id(&cloud, "RegionOne", "app-1");
    let r = action(&cloud, &alice, NOVA, &app, "2.1", json!({"os-stop": null}));
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["itemNotFound"]["message"], format!("Instance {app} could not be found."));
}

#[test]
fn a_running_task_blocks_the_next_action() {
    let cloud = TestCloud::with(Scenario::builtin(), 1.0);
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    assert_eq!(action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null})).status, StatusCode::ACCEPTED);
    assert_eq!(states(&cloud, &web), (VmState::Active, Some("powering-off".into()), PowerState::Running));
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null}));
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body["conflictingRequest"]["message"],
        format!("Cannot 'stop' instance {web} while it is in task_state powering-off")
    );
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"reboot": {"type": "SOFT"}}));
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[test]
fn reboot_soft_and_hard() {
    let cloud = TestCloud::with(Scenario::builtin(), 1.0);
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let batch = server_id(&cloud, "RegionOne", "batch-1");
    assert_eq!(
        action(&cloud, &alice, NOVA, &web, "2.1", json!({"reboot": {"type": "SOFT"}})).status,
        StatusCode::ACCEPTED
    );
    {
        let w = cloud.sim().world();
        let s = &w.compute["RegionOne"].servers[&web];
        assert_eq!((s.task_state.as_deref(), s.status()), (Some("rebooting"), "REBOOT"));
    }
    // A hard reboot may interrupt a soft one.
    assert_eq!(
        action(&cloud, &alice, NOVA, &web, "2.1", json!({"reboot": {"type": "hard"}})).status,
        StatusCode::ACCEPTED
    );
    assert_eq!(cloud.sim().world().compute["RegionOne"].servers[&web].status(), "HARD_REBOOT");
    // A stopped server: soft reboot refused, hard reboot allowed.
    let r = action(&cloud, &alice, NOVA, &batch, "2.1", json!({"reboot": {"type": "SOFT"}}));
    assert_eq!(
        r.body["conflictingRequest"]["message"],
        format!("Cannot 'reboot' instance {batch} while it is in vm_state stopped")
    );
    assert_eq!(
        action(&cloud, &alice, NOVA, &batch, "2.1", json!({"reboot": {"type": "HARD"}})).status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        action(&cloud, &alice, NOVA, &batch, "2.1", json!({"reboot": {"type": "warm"}})).status,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn unknown_and_malformed_actions_are_400() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-fly": null}));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["badRequest"]["message"], "There is no such action: os-fly");
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null, "os-start": null}));
    assert_eq!(r.body["badRequest"]["message"], "Malformed request body");
}

#[test]
fn lock_blocks_the_owner_and_an_admins_lock_needs_an_admin() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let admin = cloud.admin_token();
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &alice, NOVA, &web, "2.73", json!({"lock": {"locked_reason": "maintenance"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(cloud.sim().world().compute["RegionOne"].servers[&web].locked_reason.as_deref(), Some("maintenance"));
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null}));
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["conflictingRequest"]["message"], format!("Instance {web} is locked"));
    assert_eq!(action(&cloud, &alice, NOVA, &web, "2.1", json!({"unlock": null})).status, StatusCode::ACCEPTED);

    assert_eq!(action(&cloud, &admin, NOVA, &web, "2.1", json!({"lock": null})).status, StatusCode::ACCEPTED);
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"unlock": null}));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(action(&cloud, &admin, NOVA, &web, "2.1", json!({"unlock": null})).status, StatusCode::ACCEPTED);
}

#[test]
fn reset_state_is_for_admins() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let admin = cloud.admin_token();
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-resetState": {"state": "error"}}));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = action(&cloud, &admin, NOVA, &web, "2.1", json!({"os-resetState": {"state": "error"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(states(&cloud, &web).0, VmState::Error);
    // ERROR allows a stop, as Nova's `stop` does.
    assert_eq!(action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null})).status, StatusCode::ACCEPTED);
}

fn image_id_from_location(r: &Reply) -> String {
    let location = r.headers["location"].to_str().unwrap();
    assert!(location.contains("/image/v2/images/"), "{location}");
    location.rsplit('/').next().unwrap().to_string()
}

#[test]
fn create_image_answers_by_microversion_and_the_image_becomes_active() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let body = json!({"createImage": {"name": "web-1-snap", "metadata": {"purpose": "cutover"}}});
    let r = action(&cloud, &alice, NOVA, &web, "2.1", body.clone());
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert!(r.text.is_empty());
    let old = image_id_from_location(&r);

    let r = action(&cloud, &alice, NOVA, &web, "2.45", json!({"createImage": {"name": "web-1-snap-2"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.headers.get("location").is_none());
    let new = r.body["image_id"].as_str().expect("image_id").to_string();

    let w = cloud.sim().world();
    let acme = w.identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
    let server = &w.compute["RegionOne"].servers[&web];
    assert_eq!(server.task_state, None);
    let base = &w.image.images[server.image_id.as_ref().unwrap()];
    for id in [&old, &new] {
        let image = &w.image.images[id];
        assert_eq!(image.status, ImageStatus::Active);
        assert_eq!(image.owner.as_deref(), Some(acme.as_str()));
        assert_eq!(image.visibility, "private");
        assert_eq!(image.size, base.size);
        assert_eq!(image.checksum.as_ref().map(String::len), Some(32));
        assert_ne!(image.checksum, base.checksum);
        assert_eq!(image.min_disk, 20, "the m1.small root disk");
        assert_eq!(image.properties["image_type"], "snapshot");
        assert_eq!(image.properties["instance_uuid"], web.as_str());
        assert_eq!(image.properties["base_image_ref"], base.id.as_str());
        assert_eq!(image.properties["owner_project_name"], "acme");
        assert_eq!(image.properties["owner_id"], acme.as_str());
    }
    assert_eq!(w.image.images[&old].properties["purpose"], "cutover");
}

#[test]
fn an_admins_snapshot_is_shared_with_the_servers_project() {
    let cloud = TestCloud::start();
    let admin = cloud.admin_token();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &admin, NOVA, &web, "2.45", json!({"createImage": {"name": "by-admin"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["image_id"].as_str().expect("image_id").to_string();
    // Nova's `instance_owner`: shared, the server's project a member, so
    // that project can see (and boot from) the admin's image.
    let seen = cloud.get(&format!("/image/v2/images/{id}"), &alice);
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert_eq!(seen.body["visibility"], "shared");
    let w = cloud.sim().world();
    let acme = w.identity.projects.values().find(|p| p.name == "acme").unwrap().id.clone();
    assert_eq!(w.image.images[&id].members.get(&acme).map(String::as_str), Some("pending"));
}

#[test]
fn snapshot_passes_through_task_states() {
    let cloud = TestCloud::with(Scenario::builtin(), 1.0);
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &alice, NOVA, &web, "2.45", json!({"createImage": {"name": "slow"}}));
    let image = r.body["image_id"].as_str().unwrap().to_string();
    {
        let w = cloud.sim().world();
        assert_eq!(w.image.images[&image].status, ImageStatus::Queued);
        assert_eq!(w.image.images[&image].size, None);
        assert_eq!(w.compute["RegionOne"].servers[&web].task_state.as_deref(), Some("image_snapshot"));
    }
    let r = action(&cloud, &alice, NOVA, &web, "2.1", json!({"os-stop": null}));
    assert_eq!(
        r.body["conflictingRequest"]["message"],
        format!("Cannot 'stop' instance {web} while it is in task_state image_snapshot")
    );
    // A stopped server may be snapshotted too.
    let batch = server_id(&cloud, "RegionOne", "batch-1");
    assert_eq!(
        action(&cloud, &alice, NOVA, &batch, "2.45", json!({"createImage": {"name": "b"}})).status,
        StatusCode::ACCEPTED
    );
}

#[test]
fn snapshot_killed_fault_kills_the_image_and_frees_the_server() {
    let mut scenario = Scenario::builtin();
    scenario.faults.snapshot_killed = Some(SnapshotFault { region: Some("RegionOne".into()), rate: 1.0 });
    let cloud = TestCloud::with(scenario, 0.0);
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "RegionOne", "web-1");
    let r = action(&cloud, &alice, NOVA, &web, "2.45", json!({"createImage": {"name": "doomed"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let image = r.body["image_id"].as_str().unwrap().to_string();
    let w = cloud.sim().world();
    assert_eq!(w.image.images[&image].status, ImageStatus::Killed);
    assert_eq!(w.image.images[&image].checksum, None);
    let server = &w.compute["RegionOne"].servers[&web];
    assert_eq!((server.vm_state, server.task_state.as_deref()), (VmState::Active, None));
}

#[test]
fn volume_backed_snapshot_maps_the_volumes() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let db = server_id(&cloud, "RegionOne", "db-1");
    let r = action(&cloud, &alice, NOVA, &db, "2.45", json!({"createImage": {"name": "db-1-snap"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let image = r.body["image_id"].as_str().unwrap().to_string();
    let w = cloud.sim().world();
    let image = &w.image.images[&image];
    assert_eq!((image.status, image.size), (ImageStatus::Active, Some(0)));
    assert_eq!(image.properties["root_device_name"], "/dev/vda");
    assert_eq!(image.properties["bdm_v2"], "True");
    let mapping: Value = serde_json::from_str(image.properties["block_device_mapping"].as_str().unwrap()).unwrap();
    let mapping = mapping.as_array().unwrap();
    assert_eq!(mapping.len(), 2, "root and data volumes");
    assert_eq!(mapping[0]["boot_index"], 0);
    assert_eq!(mapping[0]["source_type"], "snapshot");
    assert!(!image.properties.contains_key("instance_uuid"));
}

#[test]
fn neutron_add_floating_ip_below_2_44_moves_it_to_the_servers_port() {
    let cloud = TestCloud::start();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web2 = server_id(&cloud, "RegionOne", "web-2");
    let r = action(&cloud, &alice, NOVA, &web2, "2.43", json!({"addFloatingIp": {"address": "172.24.4.30"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    {
        let w = cloud.sim().world();
        let fip = w.network.floating_ips.values().find(|f| f.floating_ip_address == "172.24.4.30").unwrap();
        let port = &w.network.ports[fip.port_id.as_ref().unwrap()];
        assert_eq!((port.device_id.as_str(), fip.fixed_ip_address.as_deref()), (web2.as_str(), Some("10.0.0.11")));
    }
    let r = action(&cloud, &alice, NOVA, &web2, "2.44", json!({"removeFloatingIp": {"address": "172.24.4.30"}}));
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // globex's floating IP is not alice's to use.
    let r = action(&cloud, &alice, NOVA, &web2, "2.1", json!({"addFloatingIp": {"address": "172.24.4.20"}}));
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = action(&cloud, &alice, NOVA, &web2, "2.1", json!({"removeFloatingIp": {"address": "172.24.4.30"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = action(&cloud, &alice, NOVA, &web2, "2.1", json!({"removeFloatingIp": {"address": "172.24.4.30"}}));
    assert_eq!(r.status, StatusCode::CONFLICT);
}

pub fn nova_network_cloud() -> TestCloud {
    let scenario = Scenario::from_yaml(include_str!("../scenarios/nova_network.yaml")).expect("scenario parses");
    TestCloud::with(scenario, 0.0)
}

/// Allocates a nova-network floating IP to a project, as `os-floating-ips` would.
pub fn allocate(cloud: &TestCloud, address: &str, project: &str) {
    let mut w = cloud.sim().world();
    let project_id = w.identity.projects.values().find(|p| p.name == project).unwrap().id.clone();
    let fip = w.compute.get_mut("Legacy").unwrap().floating_ips.values_mut().find(|f| f.address == address).unwrap();
    fip.project_id = Some(project_id);
}

#[test]
fn nova_network_floating_ips() {
    const LEGACY: &str = "/compute/Legacy/v2.1";
    let cloud = nova_network_cloud();
    let alice = cloud.token("alice", "alice-secret", "acme");
    let web = server_id(&cloud, "Legacy", "legacy-web");
    allocate(&cloud, "192.168.50.2", "acme");

    let r = action(&cloud, &alice, LEGACY, &web, "2.1", json!({"addFloatingIp": {"address": "192.168.50.3"}}));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "not allocated to acme");
    let r = action(&cloud, &alice, LEGACY, &web, "2.1", json!({"addFloatingIp": {"address": "10.99.0.1"}}));
    assert_eq!(
        (r.status, r.body["itemNotFound"]["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("floating IP not found"))
    );
    let r = action(&cloud, &alice, LEGACY, &web, "2.44", json!({"addFloatingIp": {"address": "192.168.50.2"}}));
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = action(&cloud, &alice, LEGACY, &web, "2.1", json!({"addFloatingIp": {"address": "192.168.50.2"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    {
        let w = cloud.sim().world();
        let region = &w.compute["Legacy"];
        let fip = region.floating_ips.values().find(|f| f.address == "192.168.50.2").unwrap();
        assert_eq!(fip.instance_id.as_deref(), Some(web.as_str()));
        assert_eq!(fip.fixed_ip.as_ref(), region.servers[&web].nics[0].fixed_ips.first());
        assert_eq!(region.servers[&web].nics[0].floating_ips, vec!["192.168.50.2".to_string()]);
    }
    // nova-network has no ports to attach.
    let r = cloud.get(&format!("{LEGACY}/servers/{web}/os-interface"), &alice);
    assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED);

    let r = action(&cloud, &alice, LEGACY, &web, "2.1", json!({"removeFloatingIp": {"address": "192.168.50.2"}}));
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(cloud.sim().world().compute["Legacy"].servers[&web].nics[0].floating_ips.is_empty());
    let r = action(&cloud, &alice, LEGACY, &web, "2.1", json!({"removeFloatingIp": {"address": "192.168.50.2"}}));
    assert_eq!(r.status, StatusCode::CONFLICT);
}
