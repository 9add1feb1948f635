/*!
The driver against a nova-network cloud: each strategy rebuilds the server
in RegionTwo on the network of the same label with the same fixed IP, and
adds the same floating address (allocated there to the same project, as
`cutover sync` leaves it); and a move rolled back to the old region gets
its fixed IP back although nova-network holds a deleted server's address
for a while, and so does one moved back after its move.
*/

use std::time::{Duration, Instant};

use cutover_core::machine::{request, step, Action, End, Observation, Refused, Requested, ServerState, Strategy};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_engine::{Driver, OpenStackDriver};
use cutover_sim::model::compute::{Server, VmState};

use super::{planned, run, target, walk};
use crate::util::SimCloud;

/// (network label, fixed IP) of each interface, and the floating addresses.
fn addresses(cloud: &SimCloud, region: &str, server: &Server) -> (Vec<(String, String)>, Vec<String>) {
    let w = cloud.sim().world();
    let fixed = server.nics.iter().flat_map(|n| n.fixed_ips.iter().map(|ip| (n.network_name.clone(), ip.clone())));
    let floating = w.compute[region].floating_ips.values().filter(|f| f.instance_id.as_deref() == Some(&server.id));
    (fixed.collect(), floating.map(|f| f.address.clone()).collect())
}

fn old_server(cloud: &SimCloud, name: &str) -> Server {
    cloud.sim().world().compute["RegionOne"].servers.values().find(|s| s.name == name).expect("server").clone()
}

/// Names of the old servers with a floating address: image-backed ones,
/// and volume-backed ones.
fn candidates(cloud: &SimCloud) -> (Vec<String>, Vec<String>) {
    let w = cloud.sim().world();
    let old = &w.compute["RegionOne"];
    let floating = |s: &&Server| old.floating_ips.values().any(|f| f.instance_id.as_deref() == Some(&s.id));
    let names = |image: bool| {
        let mut names: Vec<String> = old
            .servers
            .values()
            .filter(|s| s.image_id.is_some() == image)
            .filter(floating)
            .map(|s| s.name.clone())
            .collect();
        names.sort();
        names
    };
    (names(true), names(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_strategy_keeps_the_fixed_ip_and_the_floating_address() {
    let cloud = SimCloud::nova_network(0.0).await;
    let driver = cloud.driver().await;
    let (imaged, volumed) = candidates(&cloud);
    assert!(imaged.len() >= 2 && !volumed.is_empty(), "the scenario has what this test moves: {imaged:?} {volumed:?}");
    let moves = [(&imaged[0], Strategy::Redeploy), (&imaged[1], Strategy::Snapshot), (&volumed[0], Strategy::Volume)];
    for (name, strategy) in moves {
        let before = old_server(&cloud, name);
        let (fixed, floating) = addresses(&cloud, "RegionOne", &before);
        let plan = cloud.plan(&[(name, strategy)]);
        let (state, actions) = run(&driver, &plan, planned(&plan, &before.id)).await;
        assert_eq!(state.end, Some(End::Moved), "{name} by {strategy:?}: {state:?} after {actions:?}");
        let after = target(&cloud, &before.id);
        assert_eq!(addresses(&cloud, "RegionTwo", &after), (fixed, floating), "{name} by {strategy:?}");
        assert_eq!(after.project_id, before.project_id);
        assert!(!cloud.sim().world().compute["RegionOne"].servers.contains_key(&before.id), "{name}: source deleted");
    }
}

/// Walks `planned` to its end as the engine would, at `time_scale`: a
/// boot refused for good is told to the machine, a failure that may pass
/// is retried (and returned, for the test to see).
async fn run_retrying(
    driver: &OpenStackDriver,
    plan: &Plan,
    planned: &ServerPlan,
) -> (ServerState, Vec<Action>, Vec<String>) {
    let moving = plan.server_move(planned);
    let started = Instant::now();
    let mut state = ServerState::new(0);
    let (mut all, mut retried, mut refused) = (Vec::new(), Vec::new(), None);
    while started.elapsed() < Duration::from_secs(60) {
        let mut seen = driver.observe(plan, &[planned]).await.expect("observes");
        let obs = Observation { refused: refused.take(), ..seen.remove(&planned.server.id).expect("observed") };
        let next = step(&moving, &state, &obs, started.elapsed().as_secs() as i64);
        for action in &next.actions {
            match driver.execute(plan, planned, action).await {
                Ok(()) => {}
                Err(e) if e.permanent && matches!(action, Action::BootServer { .. }) => {
                    refused = Some(Refused { at: next.state.place(), reason: e.message })
                }
                Err(e) if e.permanent => panic!("{action:?}: {e}"),
                Err(e) => retried.push(e.message),
            }
        }
        all.extend(next.actions);
        state = next.state;
        if state.end.is_some() {
            return (state, all, retried);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the move did not end: {state:?} after {all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_waits_for_nova_network_to_free_the_fixed_ip() {
    // Time at 1/100: nova-network disassociates a deleted server's fixed IP
    // 300 s (3 s) after its delete, as without force_dhcp_release.
    let cloud = SimCloud::nova_network(0.01).await;
    {
        let mut w = cloud.sim().world();
        w.time.fixed_ip_release_secs = 300.0;
        let new = w.compute.get_mut("RegionTwo").expect("RegionTwo");
        new.failing_hosts = new.services.values().map(|s| s.host.clone()).collect();
    }
    let driver = cloud.driver().await;
    let (imaged, _) = candidates(&cloud);
    let before = old_server(&cloud, &imaged[0]);
    let (fixed, floating) = addresses(&cloud, "RegionOne", &before);
    let plan = cloud.plan(&[(&imaged[0], Strategy::Snapshot)]);
    let (state, actions, retried) = run_retrying(&driver, &plan, planned(&plan, &before.id)).await;
    assert!(matches!(state.end, Some(End::RolledBack { .. })), "{state:?} after {actions:?}");
    assert!(
        retried.iter().any(|r| r.contains(&format!("is still held by deleted server {}", before.id))),
        "the restore's boot waited for the address: {retried:?}"
    );
    let restored = {
        let w = cloud.sim().world();
        let found: Vec<Server> = w.compute["RegionOne"]
            .servers
            .values()
            .filter(|s| s.metadata.get("cutover_restored_from") == Some(&before.id))
            .cloned()
            .collect();
        assert_eq!(found.len(), 1, "one restored server");
        found.into_iter().next().expect("one")
    };
    assert_eq!(restored.vm_state, VmState::Active);
    assert_eq!(addresses(&cloud, "RegionOne", &restored), (fixed, floating), "restored with its addresses");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeployed_server_goes_back_with_its_fixed_ip_and_floating_address() {
    let cloud = SimCloud::nova_network(0.0).await;
    let driver = cloud.driver().await;
    let (imaged, _) = candidates(&cloud);
    let before = old_server(&cloud, &imaged[0]);
    let (fixed, floating) = addresses(&cloud, "RegionOne", &before);
    let plan = cloud.plan(&[(&imaged[0], Strategy::Redeploy)]);
    let planned = planned(&plan, &before.id);
    let (moved, _) = run(&driver, &plan, planned).await;
    assert_eq!(moved.end, Some(End::Moved));
    let rebuild = target(&cloud, &before.id);

    // Going back, the rebuild keeps its address in RegionTwo until the
    // server restored in RegionOne has the same one.
    let Requested::Recorded(asked) = request(&plan.server_move(planned), &moved, true, 500) else { panic!() };
    let (back, actions) = walk(&driver, &plan, planned, asked).await;
    assert!(matches!(&back.end, Some(End::RolledBack { .. })), "{back:?} after {actions:?}");
    let restored = {
        let w = cloud.sim().world();
        assert!(!w.compute["RegionTwo"].servers.contains_key(&rebuild.id), "the rebuild is gone");
        let mut found = w.compute["RegionOne"]
            .servers
            .values()
            .filter(|s| s.metadata.get("cutover_restored_from") == Some(&before.id))
            .cloned();
        found.next().expect("restored")
    };
    assert_eq!(addresses(&cloud, "RegionOne", &restored), (fixed, floating));
}
