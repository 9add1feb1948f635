/*!
The whole cloud after `cutover run`: sync, plan and run on the demo
scenario (snapshot, volume and redeploy moves, data volumes, user ports,
floating IPs, shut-off servers, a server group, tags, user data, and a new
host whose boots fail), then every server compared with its rebuild record
in the simulator's own model, the drained hosts empty and nothing left
behind (see `util::endstate`); and each moved server's `key_name` as the
real `openstack` client shows it.
*/

use std::collections::HashSet;

use cutover_core::machine::Strategy;
use cutover_core::model::ServerStatus;
use cutover_sim::Scenario;

use crate::util::endstate::{self, Before};
use crate::util::moves::{roomy, run_to_end, sync_and_plan, DEMO_HOST_MAP, DEMO_RULE, FAILING_SERVER};
use crate::util::SimCloud;

#[test]
fn after_a_run_every_server_is_its_record_in_the_new_region_and_nothing_is_left() {
    let cloud = SimCloud::with(roomy(Scenario::demo()));
    let plan = sync_and_plan(&cloud, DEMO_HOST_MAP, &[DEMO_RULE], "whole");
    let strategies: HashSet<Strategy> = plan.servers().map(|(_, s)| s.strategy).collect();
    assert_eq!(strategies, HashSet::from([Strategy::Snapshot, Strategy::Volume, Strategy::Redeploy]));
    let records: Vec<_> = plan.servers().map(|(_, s)| &s.server).collect();
    assert!(records.iter().any(|r| r.status == ServerStatus::Shutoff) && records.iter().any(|r| r.user_data.is_some()));
    assert!(records.iter().any(|r| !r.tags.is_empty()) && records.iter().any(|r| r.server_group.is_some()));
    assert!(records.iter().any(|r| !r.floating_ips.is_empty()) && records.iter().any(|r| r.data_volumes().count() > 0));
    let before = Before::take(&cloud.sim().read());

    let (out, report) = run_to_end(&cloud, &[]);
    assert_eq!(out.status.code(), Some(3), "one server rolled back: {}", String::from_utf8_lossy(&out.stderr));
    for s in report["servers"].as_array().unwrap() {
        let wanted = if s["name"] == FAILING_SERVER { "rolled_back" } else { "moved" };
        assert_eq!(s["result"], wanted, "{s}");
    }
    endstate::assert_end_state(&plan, &report, &before, &cloud.sim().read(), "the demo scenario");

    // As an operator sees it: the real client shows each moved server with
    // the key_name it had, and cutover's user holds no key pair there.
    let keyed: Vec<_> = plan.servers().filter(|(_, s)| s.server.key_name.is_some()).collect();
    assert!(keyed.iter().any(|(_, s)| s.strategy == Strategy::Redeploy), "a redeploy needs its key");
    for (_, planned) in keyed {
        let row = report["servers"].as_array().unwrap().iter().find(|s| s["old_id"] == planned.server.id.as_str());
        let row = row.expect("reported");
        if row["result"] != "moved" {
            continue;
        }
        let id = row["new_id"].as_str().expect("the rebuild's id");
        let shown = cloud.openstack(&["--os-region-name", "RegionTwo", "server", "show", id]);
        assert_eq!(shown["key_name"], planned.server.key_name.as_deref().unwrap(), "{}", planned.server.name);
    }
    let own = cloud.openstack(&["--os-region-name", "RegionTwo", "keypair", "list"]);
    assert_eq!(own, serde_json::json!([]), "no key pair copy of cutover's user");
}
