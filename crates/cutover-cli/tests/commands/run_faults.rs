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
