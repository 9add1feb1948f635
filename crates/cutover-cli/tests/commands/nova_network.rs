/*!
A nova-network cloud moved end to end with the real binary: `cutover sync`
recreates the floating pools and allocates each held address to its
project in the new region, `cutover plan` records fixed and floating
addresses, and `cutover run` rebuilds every server in RegionTwo on the
network of the same label with the same fixed IP, the same floating
addresses added to it, its data volumes reattached and its power state
kept, by every strategy (snapshot, volume, redeploy).
*/

use std::collections::BTreeMap;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use cutover_core::machine::Strategy;
use cutover_core::plan::Plan;
use cutover_sim::model::compute::Networking;
use cutover_sim::{generate, GenerateOptions, Scenario};
use serde_json::Value;

use crate::util::SimCloud;

fn ok(cloud: &SimCloud, args: &[&str]) -> Vec<u8> {
    let out = cloud.run(args);
    assert!(out.status.success(), "cutover {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// One old server as the test compares it with its rebuild.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    name: String,
    project: String,
    /// (network label, fixed IP) per interface.
    fixed: Vec<(String, String)>,
    floating: Vec<String>,
    data_volumes: Vec<String>,
    status: String,
}

fn servers(cloud: &SimCloud, region: &str) -> BTreeMap<String, Seen> {
    let w = cloud.sim().world();
    let r = &w.compute[region];
    r.servers
        .values()
        .map(|s| {
            let mut floating: Vec<String> = r
                .floating_ips
                .values()
                .filter(|f| f.instance_id.as_deref() == Some(s.id.as_str()))
                .map(|f| f.address.clone())
                .collect();
            floating.sort();
            let seen = Seen {
                name: s.name.clone(),
                project: s.project_id.clone(),
                fixed: s
                    .nics
                    .iter()
                    .flat_map(|n| n.fixed_ips.iter().map(|ip| (n.network_name.clone(), ip.clone())))
                    .collect(),
                floating,
                data_volumes: s
                    .block_devices
                    .iter()
                    .filter(|b| b.boot_index != Some(0))
                    .map(|b| b.volume_id.clone())
                    .collect(),
                status: s.status().to_string(),
            };
            (s.id.clone(), seen)
        })
        .collect()
}

/// The generated nova-network cloud as a Mitaka Nova (2.25, where
/// `delete_on_termination` shows), its root volumes booted to be kept (no
/// Nova with nova-network can turn that on later), one server shut off.
fn scenario() -> Scenario {
    let mut scenario = generate(&GenerateOptions {
        hosts: 2,
        servers: 12,
        new_hosts: None,
        networking: Networking::NovaNetwork,
        seed: 7,
    });
    let old = &mut scenario.regions[0];
    old.max_microversion = "2.25".into();
    for server in &mut old.servers {
        server.boot_volume_delete_on_termination = false;
    }
    if let Some(server) = old.servers.iter_mut().find(|s| s.image.is_some()) {
        server.status = "SHUTOFF".into();
    }
    scenario
}

/// `cutover ARGS`, killed after `secs` (a run that never ends fails the
/// test instead of hanging it).
fn run_within(cloud: &SimCloud, args: &[&str], secs: u64) -> Output {
    let mut child =
        cloud.cutover().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("cutover starts");
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().expect("waits").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    child.wait_with_output().expect("output")
}

#[test]
fn a_nova_network_cloud_moves_with_its_fixed_and_floating_addresses() {
    let cloud = SimCloud::with(scenario());
    let before = servers(&cloud, "RegionOne");
    assert!(before.values().any(|s| !s.floating.is_empty()), "the scenario has floating addresses");
    assert!(before.values().any(|s| !s.data_volumes.is_empty()), "and data volumes");
    assert!(before.values().any(|s| s.status == "SHUTOFF"), "and servers shut off");

    let sync = cloud.run(&["sync"]);
    assert!(matches!(sync.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&sync.stderr));
    ok(&cloud, &["plan", "-o", "plan.yaml", "--migration", "nn", "--strategy", "metadata=role=cache:redeploy"]);
    let plan: Plan = yaml_serde::from_str(&std::fs::read_to_string(cloud.dir().join("plan.yaml")).unwrap()).unwrap();
    let strategies: Vec<Strategy> = plan.servers().map(|(_, s)| s.strategy).collect();
    for wanted in [Strategy::Snapshot, Strategy::Volume, Strategy::Redeploy] {
        assert!(strategies.contains(&wanted), "the plan moves some server by {wanted:?}: {strategies:?}");
    }

    let out = run_within(&cloud, &["run", "plan.yaml", "--poll-max", "1", "-f", "json"], 120);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(out.status.success(), "{report:#}\n{}", String::from_utf8_lossy(&out.stderr));
    let rows = report["servers"].as_array().unwrap();
    assert_eq!(rows.len(), before.len());
    for row in rows {
        assert_eq!(row["result"], "moved", "{row}");
    }
    assert!(cloud.sim().world().compute["RegionOne"].servers.is_empty(), "the old region is empty");
    let after = servers(&cloud, "RegionTwo");
    assert_eq!(after.len(), before.len(), "one rebuild per server");
    for row in rows {
        let old = &before[row["old_id"].as_str().unwrap()];
        let new = &after[row["new_id"].as_str().unwrap()];
        // Volume ids are Cinder's, shared by both regions.
        assert_eq!(new, old, "{} rebuilt as it was", old.name);
    }
}
