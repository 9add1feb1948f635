/*!
`cutover run` on a cloud that misbehaves: once the demo scenario is synced
and planned, the simulator fails about 8% of the requests of every service
(500, 503, 429 with `Retry-After`), answers Glance slowly, takes five times
as long per snapshot and kills one in ten, and new-3 fails every boot. Run
and resumed as an operator would (at most a few times), every server ends
moved or rolled back, the report says which, and the end state checks out
(`util::endstate`). The simulator's own counts show the faults were hit.
*/

use std::time::Duration;

use cutover_sim::faults::{FaultKind, FaultRule, Faults, SnapshotFault};
use cutover_sim::Scenario;

use crate::util::endstate::{self, Before};
use crate::util::faults::{everywhere, hits_and_requests};
use crate::util::moves::{roomy, run_until, sync_and_plan, DEMO_HOST_MAP, DEMO_RULE, FAILING_SERVER};
use crate::util::SimCloud;

/// Runs that may stop short (a cloud unreachable at the start, servers
/// held after repeated errors) before the one that completes.
const RESUMES: usize = 6;
/// A run still going after this long hangs (one takes seconds).
const HANGS: Duration = Duration::from_secs(300);

fn faults() -> Faults {
    let slow_glance = FaultRule {
        service: Some(cutover_sim::service::ServiceKind::Image),
        ..everywhere(0.2, FaultKind::Latency { millis: 30 })
    };
    Faults {
        rules: vec![
            slow_glance,
            everywhere(0.04, FaultKind::Error { status: 503 }),
            everywhere(0.02, FaultKind::Error { status: 500 }),
            everywhere(0.02, FaultKind::RateLimit { retry_after_secs: 0 }),
        ],
        snapshot_killed: Some(SnapshotFault { region: None, rate: 0.1 }),
    }
}

#[test]
fn under_injected_faults_every_server_ends_moved_or_rolled_back_and_reported() {
    let cloud = SimCloud::with_scale(roomy(Scenario::demo()), 0.005);
    let plan = sync_and_plan(&cloud, DEMO_HOST_MAP, &[DEMO_RULE], "faults");
    let before = Before::take(&cloud.sim().read());
    cloud.sim().reset_request_counts();
    {
        let mut world = cloud.sim().world();
        world.faults = faults();
        world.time.snapshot_secs_per_gb *= 5.0;
    }

    let resumed = run_until(&cloud, &[], (RESUMES, HANGS), |report| {
        let totals = &report["totals"];
        totals["held"] == 0 && totals["unfinished"] == 0
    });
    assert!(resumed.wrong_exits.is_empty(), "{:?}", resumed.wrong_exits);
    let (runs, report) = (resumed.runs, resumed.report);
    let (hits, requests) = hits_and_requests(&cloud, |r| !matches!(r.kind, FaultKind::Latency { .. }));
    eprintln!("{runs} run(s); {hits} of {requests} requests failed by injected faults");
    assert!(hits as f64 >= 0.05 * requests as f64, "at least 5% of {requests} requests hit, not {hits}");

    let servers = report["servers"].as_array().expect("the report's servers");
    assert_eq!(servers.len(), plan.servers().count(), "every server reported");
    for s in servers {
        assert!(matches!(s["result"].as_str(), Some("moved" | "rolled_back")), "after {runs} runs: {s}");
        if s["result"] == "rolled_back" {
            assert!(s["reason"].is_string(), "a rollback says why: {s}");
        }
    }
    let failing = servers.iter().find(|s| s["name"] == FAILING_SERVER).expect("legacy-1 reported");
    assert_eq!(failing["result"], "rolled_back", "its boots on new-3 fail: {failing}");
    endstate::assert_end_state(&plan, &report, &before, &cloud.sim().read(), "under faults");
}

/// The old region's servers, each with its VM state.
fn old_servers(cloud: &SimCloud) -> Vec<(String, String)> {
    let world = cloud.sim().read();
    world.compute["RegionOne"].servers.values().map(|s| (s.id.clone(), format!("{:?}", s.vm_state))).collect()
}

#[test]
fn a_listing_refused_for_good_stops_the_run_with_its_reason_and_changes_nothing() {
    let cloud = SimCloud::with_scale(roomy(Scenario::demo()), 0.0);
    sync_and_plan(&cloud, DEMO_HOST_MAP, &[DEMO_RULE], "refused-listing");
    let before = old_servers(&cloud);
    // Cinder refuses the volume listing for good: the moves of servers with
    // volumes could never go on.
    cloud.sim().world().faults.rules.push(FaultRule {
        service: Some(cutover_sim::service::ServiceKind::Volume),
        path_contains: Some("volumes/detail".into()),
        ..everywhere(1.0, FaultKind::Error { status: 403 })
    });
    let (hung, out, _) = crate::util::moves::try_run_within(&cloud, &[], HANGS);
    assert!(!hung, "the run waited for a listing that can never come");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("cutover: error:")).collect();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(errors.len() == 1 && errors[0].contains("observing volumes") && errors[0].contains("403"), "{stderr}");
    assert_eq!(old_servers(&cloud), before, "no server touched");
}
