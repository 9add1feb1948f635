/*!
Never down: a plan run before `cutover sync` (the new region has none of
the flavors and server groups the moves need) leaves every server running
where it was on its own port, held with the reason or turned back, exit
3; after `sync` the same plan moves them all. A plan between regions of
different networking modes is refused before anything changes.
*/

use cutover_sim::Scenario;

use crate::util::endstate::{self, Before};
use crate::util::moves::{read_plan, roomy, run_to_end, DEMO_HOST_MAP, DEMO_RULE};
use crate::util::{one_line_failure, SimCloud};

/// The demo's cloud with room for every server and no host failing boots:
/// whatever does not move here, cutover kept from moving.
fn healthy_demo() -> Scenario {
    let mut scenario = roomy(Scenario::demo());
    for region in &mut scenario.regions {
        region.failing_hosts.clear();
    }
    scenario
}

#[test]
fn a_plan_run_before_sync_leaves_every_server_where_it_was_then_moves_them_after_sync() {
    let cloud = SimCloud::with(healthy_demo());
    let plan = cloud.run(&["plan", "-o", "plan.yaml", "--migration", "early", "--strategy", DEMO_RULE]);
    assert_eq!(plan.status.code(), Some(0), "cutover plan: {}", String::from_utf8_lossy(&plan.stderr));
    let plan = read_plan(&cloud);
    let before = Before::take(&cloud.sim().read());

    let (out, report) = run_to_end(&cloud, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for s in report["servers"].as_array().unwrap() {
        assert!(s["result"] == "held" || s["result"] == "rolled_back", "{s}");
        let reason = s["reason"].as_str().unwrap_or_default();
        let named = ["flavor", "server group", "zone"].iter().any(|what| reason.contains(what));
        assert!(named && reason.contains("RegionTwo"), "the reason names what RegionTwo lacks: {s}");
    }
    // Each server is its own record where it was: same port, MAC, IPs,
    // volumes, floating IPs, power state; nothing left behind.
    endstate::assert_end_state(&plan, &report, &before, &cloud.sim().read(), "a run before sync");

    std::fs::write(cloud.dir().join("hosts.yaml"), DEMO_HOST_MAP).expect("host map written");
    let sync = cloud.run(&["sync", "--host-map", "hosts.yaml"]);
    assert_eq!(sync.status.code(), Some(0), "cutover sync: {}", String::from_utf8_lossy(&sync.stderr));
    let (out, report) = run_to_end(&cloud, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(report["servers"].as_array().unwrap().iter().all(|s| s["result"] == "moved"), "{report}");
    endstate::assert_end_state(&plan, &report, &before, &cloud.sim().read(), "the same plan after sync");
}

#[test]
fn a_plan_from_nova_network_into_neutron_is_refused_with_nothing_changed() {
    let cloud = SimCloud::with(Scenario::demo());
    let regions = ["--old-region", "RegionThree", "--new-region", "RegionTwo"];
    let plan = cloud.run(&[&regions[..], &["plan", "-o", "plan.yaml"]].concat());
    assert_eq!(plan.status.code(), Some(0), "cutover plan: {}", String::from_utf8_lossy(&plan.stderr));
    cloud.sim().reset_request_counts();

    let out = cloud.run(&[&regions[..], &["run", "plan.yaml", "--journal", "journal.db"]].concat());
    let line = one_line_failure(&out, 2);
    assert!(line.contains("RegionThree runs nova-network and RegionTwo runs Neutron"), "{line}");
    assert!(!cloud.dir().join("journal.db").exists(), "no journal was created");
    for (request, _) in cloud.sim().request_counts() {
        let read = request.starts_with("GET ") || request == "POST /v3/auth/tokens";
        assert!(read, "the refused run sent {request}");
    }
}
