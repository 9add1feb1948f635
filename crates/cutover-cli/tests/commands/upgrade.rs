/*!
`cutover upgrade`: first it stops once the plan is written, having changed
nothing; with `--approve` and a hand-off hook it applies that plan, hands
every emptied host to the new region and retires the old Nova's services.
*/

use std::path::Path;

use cutover_core::plan::Plan;
use cutover_sim::Scenario;
use serde_json::Value;

use crate::util::endstate::{self, Before};
use crate::util::hooks::{counting_hook, hook_calls};
use crate::util::SimCloud;

#[test]
fn upgrade_stops_at_the_plan_then_with_approve_carries_the_cloud_through() {
    let cloud = SimCloud::start();
    let servers = cloud.sim().read().compute["RegionOne"].servers.len();
    // RegionTwo has no zone like old-3's: its servers go to the default zone.
    let first = cloud.run(&["upgrade", "--plan", "plan.yaml", "--migration", "m1", "--zone-map", "az-fast="]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("--approve") && cloud.dir().join("plan.yaml").exists(), "{stderr}");
    assert_eq!(cloud.sim().read().compute["RegionOne"].servers.len(), servers, "nothing moved before approval");

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

#[test]
fn a_new_region_with_room_for_part_of_the_cloud_takes_it_host_by_host_as_each_is_redeployed() {
    // RegionTwo starts with one small host: room for the largest old host's
    // servers (old-1's web-1 and db-1: 10 GiB of RAM), not for all (24 GiB).
    let mut scenario = Scenario::builtin();
    let new = scenario.regions.iter_mut().find(|r| r.name == "RegionTwo").unwrap();
    new.hosts.truncate(1);
    (new.hosts[0].vcpus, new.hosts[0].memory_mb, new.hosts[0].disk_gb) = (4, 12 * 1024, 200);
    let cloud = SimCloud::with(scenario);
    let old_hosts: Vec<String> = cloud.sim().read().compute["RegionOne"].hosts.keys().cloned().collect();
    let before = Before::take(&cloud.sim().read());
    let servers = cloud.sim().read().compute["RegionOne"].servers.len();
    let hook = counting_hook(&cloud);
    let hook = hook.display().to_string();

    let out = cloud.run(&[
        "upgrade",
        "--plan",
        "plan.yaml",
        "--migration",
        "m1",
        "--zone-map",
        "az-fast=",
        "--approve",
        "--on-host-empty",
        &hook,
        "--empty-interval",
        "0",
        "-f",
        "json",
        "-v",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("wait for room in RegionTwo"), "the wait for room is told: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("the run's report on stdout");
    let plan: Plan = yaml_serde::from_str(&std::fs::read_to_string(cloud.dir().join("plan.yaml")).unwrap()).unwrap();
    endstate::assert_end_state(&plan, &report, &before, &cloud.sim().read(), "a tight new region");

    let mut calls = hook_calls(&cloud);
    calls.sort();
    let wanted: Vec<String> = old_hosts.iter().map(|h| format!("{h} RegionOne RegionTwo m1")).collect();
    assert_eq!(calls, wanted, "the hook ran once per host");
    let world = cloud.sim().read();
    let (old, new) = (&world.compute["RegionOne"], &world.compute["RegionTwo"]);
    for host in &old_hosts {
        let service = new.service_of_host(host, "nova-compute");
        assert!(service.is_some_and(|s| s.up && !s.disabled), "{host} is a compute of RegionTwo");
    }
    assert!(old.servers.is_empty() && old.services.is_empty(), "no old Nova service left: {:?}", old.services);
    assert_eq!(new.servers.len(), servers, "every server in RegionTwo");
}
