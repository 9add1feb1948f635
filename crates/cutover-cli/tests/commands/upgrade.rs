/*!
`cutover upgrade`: first it stops once the plan is written, having changed
nothing; with `--approve` and a hand-off hook it applies that plan, hands
every emptied host to the new region and retires the old Nova's services.
*/

use std::path::Path;

use super::run::edit_plan;
use crate::util::SimCloud;

#[test]
fn upgrade_stops_at_the_plan_then_with_approve_carries_the_cloud_through() {
    let cloud = SimCloud::start();
    let servers = cloud.sim().read().compute["RegionOne"].servers.len();
    let first = cloud.run(&["upgrade", "--plan", "plan.yaml", "--migration", "m1"]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("--approve") && cloud.dir().join("plan.yaml").exists(), "{stderr}");
    assert_eq!(cloud.sim().read().compute["RegionOne"].servers.len(), servers, "nothing moved before approval");

    // The operator reads the plan; RegionTwo has no zone like old-3's.
    edit_plan(&cloud, |plan| {
        for planned in plan.hosts.iter_mut().flat_map(|h| &mut h.servers) {
            planned.server.availability_zone = None;
        }
    });
    let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hooks/sim-redeploy");
    let hook = hook.canonicalize().unwrap().display().to_string();
    let out =
        cloud.run(&["upgrade", "--plan", "plan.yaml", "--approve", "--on-host-empty", &hook, "--empty-interval", "0"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let world = cloud.sim().read();
    assert!(world.compute["RegionOne"].servers.is_empty());
    assert!(world.compute["RegionOne"].services.is_empty(), "retired: {:?}", world.compute["RegionOne"].services);
    assert_eq!(world.compute["RegionTwo"].servers.len(), servers);
}
