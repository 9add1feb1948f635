/*!
The OpenStack driver against the simulator: one server of each strategy
walked through its state machine by a tiny loop (observe, step, execute;
not the engine), then the clouds checked; and each create run twice to
show it makes one resource.
*/

mod util;

#[path = "driver/keys.rs"]
mod keys;
#[path = "driver/nova_network.rs"]
mod nova_network;

use cutover_core::id::HostName;
use cutover_core::machine::{request, step, Action, BootSource, End, Requested, ServerState, Side, Strategy};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_engine::{Driver, OpenStackDriver};
use cutover_sim::model::compute::VmState;
use util::SimCloud;

/// Walks one planned server to the end of its move; returns the end and
/// every action run.
async fn run(driver: &OpenStackDriver, plan: &Plan, planned: &ServerPlan) -> (ServerState, Vec<Action>) {
    walk(driver, plan, planned, ServerState::new(0)).await
}

/// Walks from `state` to the end; a boot in the old region gets the
/// server's host enabled first, as the engine does.
async fn walk(
    driver: &OpenStackDriver,
    plan: &Plan,
    planned: &ServerPlan,
    mut state: ServerState,
) -> (ServerState, Vec<Action>) {
    let moving = plan.server_move(planned);
    let mut all = Vec::new();
    for now in 1..200 {
        let mut seen = driver.observe(plan, &[planned]).await.expect("observes");
        let obs = seen.remove(&planned.server.id).expect("observed");
        let next = step(&moving, &state, &obs, now);
        for action in &next.actions {
            if matches!(action, Action::BootServer { side: Side::Old, .. }) {
                driver.enable_host(plan, &planned.server.host).await.expect("enables the host");
            }
            driver.execute(plan, planned, action).await.unwrap_or_else(|e| panic!("{action:?}: {e}"));
        }
        all.extend(next.actions);
        state = next.state;
        if state.end.is_some() {
            return (state, all);
        }
    }
    panic!("the move did not end: {state:?}");
}

fn planned<'p>(plan: &'p Plan, id: &str) -> &'p ServerPlan {
    plan.hosts.iter().flat_map(|h| &h.servers).find(|s| s.server.id == id).expect("planned")
}

/// The one server in RegionTwo moved from `source`.
fn target(cloud: &SimCloud, source: &str) -> cutover_sim::model::compute::Server {
    let w = cloud.sim().world();
    let found: Vec<_> = w.compute["RegionTwo"]
        .servers
        .values()
        .filter(|s| s.metadata.get("cutover_source").map(String::as_str) == Some(source))
        .cloned()
        .collect();
    assert_eq!(found.len(), 1, "one rebuild of {source}");
    found.into_iter().next().expect("one")
}

/// No keypair copy and no grant of role cutover left behind.
fn nothing_left(cloud: &SimCloud) {
    let w = cloud.sim().world();
    let admin = w.identity.users.values().find(|u| u.name == "admin").expect("admin").id.clone();
    let copies: Vec<_> = w.compute["RegionTwo"].keypairs.keys().filter(|(user, _)| *user == admin).collect();
    assert!(copies.is_empty(), "keypair copies left: {copies:?}");
    let cutover = w.identity.roles.values().find(|r| r.name == "cutover").map(|r| r.id.clone());
    let grants = w.identity.assignments.iter().filter(|a| Some(&a.role_id) == cutover.as_ref()).count();
    assert_eq!(grants, 0, "grants of role cutover left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_move_keeps_port_ip_mac_floating_ip_metadata_and_group() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "web-1");
    let plan = cloud.plan(&[("web-1", Strategy::Snapshot)]);
    let record = planned(&plan, &source).server.clone();
    let (state, actions) = run(&driver, &plan, planned(&plan, &source)).await;
    assert_eq!(state.end, Some(End::Moved), "{state:?} after {actions:?}");

    let new = target(&cloud, &source);
    let w = cloud.sim().world();
    assert!(!w.compute["RegionOne"].servers.contains_key(&source), "the source is gone");
    assert_eq!(new.vm_state, VmState::Active);
    assert_eq!(new.name, "web-1");
    assert_eq!(new.project_id, record.project_id, "booted in the source's project");
    assert_eq!(new.flavor_id, record.flavor_id);
    assert_eq!(new.metadata["role"], "web");
    assert_eq!(new.metadata["cutover_migration"], "m1");
    assert_eq!(new.metadata["cutover_original_user"], record.user_id);
    assert_eq!(new.metadata["cutover_key_name"], "alice-key");
    assert_eq!(new.tags.iter().collect::<Vec<_>>(), ["prod"]);
    assert_eq!(new.description.as_deref(), Some("front end"));
    assert_eq!(new.user_data, record.user_data);
    let group = new.server_group.as_ref().expect("in a group");
    assert_eq!(w.compute["RegionTwo"].server_groups[group].name, "web-ha");
    let port = &record.ports[0];
    let now = &w.network.ports[port.id.as_str()];
    assert_eq!(now.device_id, new.id, "the same port");
    assert_eq!(now.mac_address, port.mac);
    assert_eq!(now.fixed_ips[0].ip_address, "10.0.0.10");
    let fip = w.network.floating_ips.values().find(|f| f.floating_ip_address == "172.24.4.10").expect("fip");
    assert_eq!(fip.port_id.as_deref(), Some(port.id.as_str()), "the floating IP stayed on the port");
    let snapshot = plan.snapshot_name(&source);
    assert!(w.image.images.values().all(|i| i.name.as_deref() != Some(&snapshot)), "the snapshot is removed");
    drop(w);
    nothing_left(&cloud);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_move_boots_from_the_kept_root_volume_and_reattaches_data() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "db-1");
    let plan = cloud.plan(&[("db-1", Strategy::Volume)]);
    let record = planned(&plan, &source).server.clone();
    let (state, actions) = run(&driver, &plan, planned(&plan, &source)).await;
    assert_eq!(state.end, Some(End::Moved), "{state:?} after {actions:?}");
    assert!(actions.iter().any(|a| matches!(a, Action::KeepRootVolume { .. })));

    let new = target(&cloud, &source);
    let w = cloud.sim().world();
    assert!(!w.compute["RegionOne"].servers.contains_key(&source));
    let root = record.root_volume().expect("root").id.clone();
    let data = record.data_volumes().next().expect("data").id.clone();
    let boot = new.block_devices.iter().find(|b| b.boot_index == Some(0)).expect("boots from a volume");
    assert_eq!(boot.volume_id, root, "the same root volume");
    let root_record = record.root_volume().expect("root");
    assert!(root_record.delete_on_termination, "the scenario's db-1 root goes with its server");
    assert!(boot.delete_on_termination, "and so it does with the rebuild, once verified");
    assert!(actions.iter().any(|a| matches!(a, Action::DeleteWithServer { .. })));
    assert!(new.block_devices.iter().any(|b| b.volume_id == data), "the data volume is reattached");
    assert_eq!(w.volume.volumes[data.as_str()].status, "in-use");
    assert_eq!(new.flavor_id, "gold");
    assert_eq!(w.network.ports[record.ports[0].id.as_str()].device_id, new.id);
    drop(w);
    nothing_left(&cloud);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeploy_boots_the_original_image_with_the_owners_key() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "app-1");
    let plan = cloud.plan(&[("app-1", Strategy::Redeploy)]);
    let record = planned(&plan, &source).server.clone();
    let (state, actions) = run(&driver, &plan, planned(&plan, &source)).await;
    assert_eq!(state.end, Some(End::Moved), "{state:?} after {actions:?}");

    let new = target(&cloud, &source);
    let w = cloud.sim().world();
    assert!(!w.compute["RegionOne"].servers.contains_key(&source), "deleted after the rebuild was verified");
    assert_eq!(new.image_id.as_deref(), record.image_id.as_deref(), "the original image");
    assert_eq!(new.metadata["owner"], "ops");
    assert_eq!(new.key_name.as_deref(), Some(plan.snapshot_name(&source).as_str()), "a copy of bob's key");
    let fip = w.network.floating_ips.values().find(|f| f.floating_ip_address == "172.24.4.20").expect("fip");
    assert_eq!(fip.port_id.as_deref(), Some(record.ports[0].id.as_str()));
    assert_eq!(w.network.ports[record.ports[0].id.as_str()].device_id, new.id);
    drop(w);
    nothing_left(&cloud);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shut_off_server_stays_off() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "win-1");
    {
        let mut w = cloud.sim().world();
        let s = w.compute.get_mut("RegionOne").unwrap().servers.get_mut(&source).unwrap();
        s.vm_state = VmState::Stopped;
        s.power_state = cutover_sim::model::compute::PowerState::Shutdown;
    }
    let plan = cloud.plan(&[("win-1", Strategy::Snapshot)]);
    let (state, actions) = run(&driver, &plan, planned(&plan, &source)).await;
    assert_eq!(state.end, Some(End::Moved), "{state:?} after {actions:?}");
    let new = target(&cloud, &source);
    assert_eq!(new.vm_state, VmState::Stopped);
    assert!(new.config_drive);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_create_run_twice_makes_one_resource() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "web-2");
    let plan = cloud.plan(&[("web-2", Strategy::Snapshot)]);
    let p = planned(&plan, &source);
    let twice = |action: Action| {
        let (driver, plan) = (&driver, &plan);
        async move {
            for _ in 0..2 {
                driver.execute(plan, p, &action).await.unwrap_or_else(|e| panic!("{action:?}: {e}"));
            }
        }
    };
    twice(Action::StopServer { side: Side::Old, server: source.clone().into() }).await;
    let name = plan.snapshot_name(&source);
    twice(Action::CreateImage { side: Side::Old, server: source.clone().into(), name: name.clone() }).await;
    let images: Vec<String> = {
        let w = cloud.sim().world();
        w.image.images.values().filter(|i| i.name.as_deref() == Some(&name)).map(|i| i.id.clone()).collect()
    };
    assert_eq!(images.len(), 1, "one snapshot");
    // Make the snapshot whole before booting from it.
    driver.observe(&plan, &[p]).await.expect("observes");

    let port = p.server.ports[0].id.clone();
    twice(Action::ReleasePort { port: port.clone() }).await;
    twice(Action::DeleteServer { side: Side::Old, server: source.clone().into() }).await;
    driver.observe(&plan, &[p]).await.expect("observes");
    twice(Action::BootServer { side: Side::New, source: BootSource::Image { id: images[0].clone().into() } }).await;
    let new = target(&cloud, &source);
    assert_eq!(cloud.sim().world().network.ports[port.as_str()].device_id, new.id);
    twice(Action::DeleteImage { image: images[0].clone().into() }).await;
    assert!(!cloud.sim().world().image.images.contains_key(&images[0]));
    nothing_left(&cloud);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volumes_attach_and_detach_once() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "db-1");
    let plan = cloud.plan(&[("db-1", Strategy::Volume)]);
    let p = planned(&plan, &source);
    let data = p.server.data_volumes().next().expect("data").id.clone();
    let detach = Action::DetachVolume { side: Side::Old, server: source.clone().into(), volume: data.clone() };
    let attach = Action::AttachVolume { side: Side::Old, server: source.clone().into(), volume: data.clone() };
    for action in [&detach, &detach] {
        driver.execute(&plan, p, action).await.expect("detaches");
        driver.observe(&plan, &[p]).await.expect("observes");
    }
    assert!(cloud.sim().world().volume.volumes[data.as_str()].attachments.is_empty());
    for action in [&attach, &attach] {
        driver.execute(&plan, p, action).await.expect("attaches");
        driver.observe(&plan, &[p]).await.expect("observes");
    }
    assert_eq!(cloud.sim().world().volume.volumes[data.as_str()].attachments.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_host_disables_its_compute_service_with_the_reason() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let plan = cloud.plan(&[]);
    for _ in 0..2 {
        driver.disable_host(&plan, &HostName::from("old-1"), "cutover m1: draining").await.expect("disables");
    }
    let (disabled, reason) = {
        let w = cloud.sim().world();
        let service = w.compute["RegionOne"]
            .services
            .values()
            .find(|s| s.host == "old-1" && s.binary == "nova-compute")
            .expect("service");
        (service.disabled, service.disabled_reason.clone())
    };
    assert!(disabled);
    assert_eq!(reason.as_deref(), Some("cutover m1: draining"));
    let err = driver.disable_host(&plan, &HostName::from("nowhere"), "x").await.expect_err("no such host");
    assert!(err.permanent, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_host_enables_its_compute_service_again() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let plan = cloud.plan(&[]);
    driver.disable_host(&plan, &HostName::from("old-2"), "cutover m1: draining").await.expect("disables");
    for _ in 0..2 {
        driver.enable_host(&plan, &HostName::from("old-2")).await.expect("enables");
    }
    {
        let w = cloud.sim().world();
        let services = &w.compute["RegionOne"].services;
        let service = services.values().find(|s| s.host == "old-2" && s.binary == "nova-compute").unwrap();
        assert!(!service.disabled && service.disabled_reason.is_none(), "{service:?}");
    }
    assert!(driver.enable_host(&plan, &HostName::from("nowhere")).await.expect_err("no such host").permanent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_server_goes_back_into_a_drained_old_region_with_its_port_and_floating_ip() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "web-1");
    let plan = cloud.plan(&[("web-1", Strategy::Snapshot)]);
    let planned = planned(&plan, &source);
    let (moved, _) = run(&driver, &plan, planned).await;
    assert_eq!(moved.end, Some(End::Moved));
    let rebuild = target(&cloud, &source).id;
    for host in ["old-1", "old-2", "old-3"] {
        driver
            .disable_host(&plan, &HostName::from(host), "cutover migration m1: moving its servers to RegionTwo")
            .await
            .unwrap();
    }

    let Requested::Recorded(asked) = request(&plan.server_move(planned), &moved, true, 500) else { panic!() };
    let (back, actions) = walk(&driver, &plan, planned, asked).await;
    assert!(matches!(&back.end, Some(End::RolledBack { .. })), "{back:?} after {actions:?}");
    assert!(actions.iter().any(|a| matches!(a, Action::CreateImage { side: Side::New, .. })), "{actions:?}");

    let w = cloud.sim().world();
    assert!(!w.compute["RegionTwo"].servers.contains_key(&rebuild), "the rebuild is gone");
    let restored: Vec<_> = w.compute["RegionOne"]
        .servers
        .values()
        .filter(|s| s.metadata.get("cutover_restored_from") == Some(&source))
        .collect();
    assert_eq!(restored.len(), 1);
    let restored = restored[0];
    assert_eq!((restored.vm_state, restored.name.as_str()), (VmState::Active, "web-1"));
    assert_eq!(restored.host.as_deref(), Some(planned.server.host.as_str()), "on its own host again");
    let port = &planned.server.ports[0];
    let now = &w.network.ports[port.id.as_str()];
    assert_eq!((now.device_id.as_str(), now.mac_address.as_str()), (restored.id.as_str(), port.mac.as_str()));
    assert_eq!(now.fixed_ips[0].ip_address, "10.0.0.10");
    let fip = w.network.floating_ips.values().find(|f| f.floating_ip_address == "172.24.4.10").expect("fip");
    assert_eq!(fip.port_id.as_deref(), Some(port.id.as_str()));
    let names = [plan.snapshot_name(&source), plan.server_move(planned).back_snapshot_name()];
    assert!(w.image.images.values().all(|i| !names.iter().any(|n| i.name.as_deref() == Some(n))), "no snapshot left");
    drop(w);
    nothing_left(&cloud);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tidy_removes_the_grant_and_key_copy_of_a_boot_killed_halfway() {
    let cloud = SimCloud::start().await;
    let driver = cloud.driver().await;
    let source = cloud.server_id("RegionOne", "web-1");
    let plan = cloud.plan(&[("web-1", Strategy::Redeploy)]);
    let project = planned(&plan, &source).server.project_id.clone();
    // What a run killed between its grant and key import and their undoing leaves.
    let old = cutover_cloud::RegionClient::connect(&cloud.profile(), "RegionOne", util::quick_retries()).await.unwrap();
    let new = cutover_cloud::RegionClient::connect(&cloud.profile(), "RegionTwo", util::quick_retries()).await.unwrap();
    let role = cutover_cloud::scoped::prepare_role(&old).await.unwrap();
    old.grant_project_role(&project, &old.scope().user_id, &role.id).await.unwrap();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGFsaWNlYWxpY2VhbGljZWFsaWNlYWxpY2VhbGljZWFs a@b";
    new.import_own_keypair(&plan.snapshot_name(&source), key, "ssh").await.unwrap();
    new.import_own_keypair("operator-key", key, "ssh").await.unwrap();

    driver.tidy(&plan).await.expect("tidies");
    let w = cloud.sim().world();
    let left: Vec<&String> = w.compute["RegionTwo"].keypairs.keys().map(|(_, name)| name).collect();
    assert!(left.contains(&&"operator-key".to_string()), "other keys stay: {left:?}");
    assert!(!left.iter().any(|name| name.starts_with("cutover-")), "the copy is deleted: {left:?}");
    let grants = w.identity.assignments.iter().filter(|a| a.role_id == role.id).count();
    assert_eq!(grants, 0, "the grant is revoked");
}
