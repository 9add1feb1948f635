/*!
A `redeploy` keeps its user's port bound to the rebuild through the
source's delete. Nova unbinds, when a server is deleted, every port it was
given by id, by the ids it cached at boot, even when another server holds
the port now (the simulator does the same): web-2's user port leaves the
rebuild when web-2's old self goes. After a run, after a move back, and
after `cleanup` deletes an old server the plan kept, the port is the
rebuild's again, bound to the host it runs on.
*/

use super::run::{edit_plan, ok, plan_all};
use crate::util::SimCloud;

/// web-2's port: the one its user created and passed by id.
fn user_port(cloud: &SimCloud) -> (String, String) {
    let w = cloud.sim().world();
    let web2 = w.compute["RegionOne"].servers.values().find(|s| s.name == "web-2").expect("web-2");
    (web2.id.clone(), web2.nics[0].port_id.clone().expect("a port"))
}

/// The port is web-2's in `region`: its device, bound to its host.
fn held_by_web2(cloud: &SimCloud, region: &str, port: &str) {
    let w = cloud.sim().world();
    let server = w.compute[region].servers.values().find(|s| s.name == "web-2").expect("web-2 in the region");
    let p = &w.network.ports[port];
    assert_eq!(
        (p.device_id.as_str(), Some(p.binding_host_id.as_str()), p.status.as_str()),
        (server.id.as_str(), server.host.as_deref(), "ACTIVE"),
        "{region}: web-2's port is bound to web-2"
    );
}

#[test]
fn the_user_port_stays_with_the_rebuild_after_the_run_and_a_move_back() {
    let cloud = SimCloud::start();
    let (web2, port) = user_port(&cloud);
    plan_all(&cloud, &["--strategy", &format!("server={web2}:redeploy")]);
    ok(&cloud, &["run", "plan.yaml", "--poll-max", "1"]);
    assert!(!cloud.sim().world().compute["RegionOne"].servers.contains_key(&web2), "the source is deleted");
    held_by_web2(&cloud, "RegionTwo", &port);

    ok(&cloud, &["rollback", "plan.yaml", "web-2", "--poll-max", "1"]);
    assert!(!cloud.sim().world().compute["RegionTwo"].servers.values().any(|s| s.name == "web-2"));
    held_by_web2(&cloud, "RegionOne", &port);
}

#[test]
fn the_user_port_stays_with_the_rebuild_when_cleanup_deletes_the_kept_source() {
    let cloud = SimCloud::start();
    let (web2, port) = user_port(&cloud);
    plan_all(&cloud, &["--strategy", &format!("server={web2}:redeploy")]);
    edit_plan(&cloud, |plan| plan.options.keep_redeployed_sources = true);
    ok(&cloud, &["run", "plan.yaml", "--poll-max", "1"]);
    assert!(cloud.sim().world().compute["RegionOne"].servers.contains_key(&web2), "the source is kept");
    held_by_web2(&cloud, "RegionTwo", &port);

    ok(&cloud, &["cleanup", "plan.yaml", "--yes"]);
    assert!(!cloud.sim().world().compute["RegionOne"].servers.contains_key(&web2), "cleanup deleted it");
    held_by_web2(&cloud, "RegionTwo", &port);
}
