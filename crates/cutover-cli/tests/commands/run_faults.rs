/*!
`cutover run` on a cloud that misbehaves: once the demo scenario is synced
and planned, the simulator fails about 8% of the requests of every service
(500, 503, 429 with `Retry-After`), answers Glance slowly, takes five times
as long per snapshot and kills one in ten, and new-3 fails every boot. Run
and resumed as an operator would (at most a few times), every server ends
moved or rolled back, the report says which, and the end state checks out
(`util::endstate`). The simulator's own counts show the faults were hit.
*/

use cutover_sim::faults::{FaultKind, FaultRule, Faults, SnapshotFault};
use cutover_sim::Scenario;
use serde_json::Value;

use crate::util::endstate::{self, Before};
use crate::util::moves::{roomy, sync_and_plan, try_run, DEMO_HOST_MAP, DEMO_RULE, FAILING_SERVER};
use crate::util::{one_line_failure, SimCloud};

/// Runs that may stop short (a cloud unreachable at the start, servers
/// held after repeated errors) before the one that completes.
const RESUMES: usize = 6;

/// A rule for every service (the simulator's own `/sim/` is never hit).
fn everywhere(rate: f64, kind: FaultKind) -> FaultRule {
    FaultRule { service: None, region: None, method: None, path_contains: None, rate, limit: None, kind, hits: 0 }
}

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

/// The requests answered with an injected error or 429, and all requests.
fn hits_and_requests(cloud: &SimCloud) -> (u64, u64) {
    let answered: u64 = cloud.sim().request_counts().values().sum();
    let world = cloud.sim().read();
    let hits: u64 =
        world.faults.rules.iter().filter(|r| !matches!(r.kind, FaultKind::Latency { .. })).map(|r| r.hits).sum();
    (hits, answered + hits)
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

    let mut report = Value::Null;
    let mut runs = 0;
    while runs < RESUMES {
        runs += 1;
        let (out, last) = try_run(&cloud, &[]);
        let Some(last) = last else {
            // Stopped before the plan ran (a token refused at the start).
            one_line_failure(&out, 1);
            continue;
        };
        report = last;
        let totals = &report["totals"];
        if totals["held"] == 0 && totals["unfinished"] == 0 {
            break;
        }
        assert!(matches!(out.status.code(), Some(1 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (hits, requests) = hits_and_requests(&cloud);
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
