/*!
`cutover rollback` against the simulator: after a whole run, `--all` puts
every server back into RegionOne — whose hosts the run disabled — with its
ports (so MACs and IPs), volumes, floating IPs and power state, each old
host taking servers again only while a server is rebuilt on it; one server
rolled back in the middle of a run, the others untouched and moved by the
next run; servers restored after a failed boot into a region whose every
host is disabled; and the refusals (one line, exit 2, nothing changed).
*/

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cutover_cloud::{Profile, RetryPolicy};
use cutover_core::plan::Plan;
use cutover_engine::{Clock, Engine, OpenStackDriver, Opened, Options, PollPolicy};
use serde_json::Value;

use super::run::{ok, plan_all};
use crate::util::{one_line_failure, SimCloud};

/// What a server is to its users: where it answers and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub project: String,
    pub status: String,
    /// Port id, MAC and fixed IPs of each port.
    pub ports: Vec<(String, String, Vec<String>)>,
    pub volumes: BTreeSet<String>,
    pub floating_ips: BTreeSet<String>,
}

/// Every server of `region` by name.
pub fn identities(cloud: &SimCloud, region: &str) -> BTreeMap<String, Identity> {
    let w = cloud.sim().world();
    let network = &w.network;
    w.compute[region]
        .servers
        .values()
        .map(|s| {
            let ports: Vec<_> = s
                .nics
                .iter()
                .filter_map(|n| n.port_id.as_ref())
                .map(|id| {
                    let p = &network.ports[id];
                    (id.clone(), p.mac_address.clone(), p.fixed_ips.iter().map(|f| f.ip_address.clone()).collect())
                })
                .collect();
            let floating_ips = network
                .floating_ips
                .values()
                .filter(|f| f.port_id.as_ref().is_some_and(|p| ports.iter().any(|(id, _, _)| id == p)))
                .map(|f| f.floating_ip_address.clone())
                .collect();
            let identity = Identity {
                project: s.project_id.clone(),
                status: s.status().to_string(),
                ports,
                volumes: s.block_devices.iter().map(|b| b.volume_id.clone()).collect(),
                floating_ips,
            };
            (s.name.clone(), identity)
        })
        .collect()
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: stdout {} stderr {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

/// Every old host's nova-compute disabled, with the migration's reason.
fn old_hosts_disabled(cloud: &SimCloud) {
    let w = cloud.sim().world();
    for service in w.compute["RegionOne"].services.values().filter(|s| s.binary == "nova-compute") {
        assert!(service.disabled, "{} is disabled again", service.host);
        assert!(service.disabled_reason.as_deref().is_some_and(|r| r.contains("cutover migration m1")), "{service:?}");
    }
}

#[test]
fn a_rollback_of_all_after_a_run_puts_every_server_back_as_it_was() {
    let cloud = SimCloud::start();
    let before = identities(&cloud, "RegionOne");
    plan_all(&cloud, &[]);
    ok(&cloud, &["run", "plan.yaml", "--poll-max", "1"]);
    assert!(cloud.sim().world().compute["RegionOne"].servers.is_empty(), "every server moved");

    let out = cloud.run(&["rollback", "plan.yaml", "--all", "--poll-max", "1", "-f", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 6);
    for s in servers {
        assert_eq!(s["result"], "rolled_back", "{s}");
        assert_eq!(s["reason"], "rolled back on request", "{s}");
    }
    assert_eq!(identities(&cloud, "RegionOne"), before, "the same servers, ports, volumes, floating IPs, power");
    assert!(cloud.sim().world().compute["RegionTwo"].servers.is_empty(), "nothing left in the new region");
    no_snapshot_left(&cloud);
    old_hosts_disabled(&cloud);
    assert!(report.get("hosts_enabled_for_rebuild").is_none(), "{report}");

    let status = cloud.json(&["status", "plan.yaml"]);
    assert_eq!(status["totals"]["rolled_back"], 6);
    assert!(status["servers"].as_array().unwrap().iter().all(|s| s["phase"] == "rolled back"));

    // Asked again: nothing to do, each is back already.
    let again = cloud.run(&["rollback", "plan.yaml", "web-1", "-f", "json"]);
    assert!(again.status.success());
    let again = json(&again);
    assert_eq!(again["servers"][0]["reason"], "nothing to do: already back in the old region", "{again}");
}

/// Runs the plan in this process and stops it dead after `writes` journal
/// writes of this run, as `kill -9` would: the journal's storage refuses
/// every commit after those.
fn run_halting(cloud: &SimCloud, writes: u64) {
    let plan: Plan = yaml_serde::from_str(&std::fs::read_to_string(cloud.dir().join("plan.yaml")).unwrap()).unwrap();
    let profile = Profile::resolve_in(Some("sim"), Some(&cloud.clouds_yaml()), None).unwrap();
    let options = Options {
        calls_in_flight: 1,
        poll: PollPolicy { min: std::time::Duration::from_millis(10), max: std::time::Duration::from_millis(50) },
        ..Options::default()
    };
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let driver =
            OpenStackDriver::connect(&profile, "RegionOne", "RegionTwo", RetryPolicy::default()).await.unwrap();
        let mut commits = 0;
        let opened = Opened::open(&plan, &cloud.dir().join("plan.journal")).unwrap().refuse_commits_when(move || {
            commits += 1;
            commits > writes
        });
        let engine = Engine::start(plan, opened, Arc::new(driver), options, Clock::system()).unwrap();
        let _ = engine.run(&mut |_| {}, std::future::pending()).await;
    });
}

fn phases(cloud: &SimCloud) -> BTreeMap<String, String> {
    let status = cloud.json(&["status", "plan.yaml"]);
    let servers = status["servers"].as_array().unwrap().iter();
    servers.map(|s| (s["name"].as_str().unwrap().to_string(), s["phase"].as_str().unwrap().to_string())).collect()
}

#[test]
fn one_server_rolled_back_in_the_middle_of_a_run_and_the_others_moved_after() {
    let cloud = SimCloud::start();
    let before = identities(&cloud, "RegionOne");
    plan_all(&cloud, &[]);
    // Killed again and again until web-1's source is gone or going.
    let source_going = ["delete source", "boot", "attach volumes", "floating ips", "power state"];
    let mut at = String::new();
    for _ in 0..100 {
        run_halting(&cloud, 10);
        at = phases(&cloud)["web-1"].clone();
        if source_going.contains(&at.as_str()) || at == "moved" {
            break;
        }
    }
    assert!(source_going.contains(&at.as_str()), "web-1 caught on its way, not {at}");
    let others: BTreeMap<String, String> = phases(&cloud).into_iter().filter(|(name, _)| name != "web-1").collect();

    let out = cloud.run(&["rollback", "plan.yaml", "web-1", "--poll-max", "1", "-f", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    assert_eq!(report["servers"].as_array().unwrap().len(), 1, "the report is of web-1: {report}");
    assert_eq!(report["servers"][0]["result"], "rolled_back");
    assert_eq!(identities(&cloud, "RegionOne")["web-1"], before["web-1"]);
    let snapshot = format!("cutover-m1-{}", report["servers"][0]["old_id"].as_str().unwrap());
    assert!(cloud.sim().world().image.images.values().all(|i| i.name.as_deref() != Some(&snapshot)), "removed");
    let now = phases(&cloud);
    assert!(others.iter().all(|(name, phase)| now[name] == *phase), "the others untouched: {others:?} → {now:?}");

    // The run goes on with the others; web-1 stays where it is (exit 3:
    // not every server moved).
    let out = cloud.run(&["run", "plan.yaml", "--poll-max", "1", "-f", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    for s in json(&out)["servers"].as_array().unwrap() {
        let wanted = if s["name"] == "web-1" { "rolled_back" } else { "moved" };
        assert_eq!(s["result"], wanted, "{s}");
    }
    assert_eq!(identities(&cloud, "RegionOne").keys().collect::<Vec<_>>(), ["web-1"]);
}

#[test]
fn servers_whose_boot_fails_are_restored_into_a_region_with_every_host_disabled() {
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.regions[1].failing_hosts = scenario.regions[1].hosts.iter().map(|h| h.name.clone()).collect();
    let cloud = SimCloud::with(scenario);
    let before = identities(&cloud, "RegionOne");
    plan_all(&cloud, &[]);
    let out = cloud.run(&["run", "plan.yaml", "--poll-max", "1", "-f", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    for s in json(&out)["servers"].as_array().unwrap() {
        assert_eq!(s["result"], "rolled_back", "{s}");
        assert!(s["reason"].as_str().unwrap().contains("ERROR"), "{s}");
    }
    assert_eq!(identities(&cloud, "RegionOne"), before, "every server back, as it was");
    old_hosts_disabled(&cloud);
    no_snapshot_left(&cloud);
}

fn no_snapshot_left(cloud: &SimCloud) {
    let w = cloud.sim().world();
    let left: Vec<_> =
        w.image.images.values().filter_map(|i| i.name.as_deref()).filter(|n| n.starts_with("cutover-m1-")).collect();
    assert!(left.is_empty(), "snapshots left: {left:?}");
}

/// Every server's state and every action in the journal.
pub fn journal_contents(cloud: &SimCloud) -> (Vec<String>, usize) {
    let journal = cutover_journal::Journal::open_read_only(&cloud.dir().join("plan.journal")).unwrap();
    let states = journal.servers().unwrap().iter().map(|s| format!("{:?}", s.state)).collect();
    (states, journal.actions(None).unwrap().len())
}

#[test]
fn bad_rollback_requests_are_one_line_and_change_nothing() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);
    let e = one_line_failure(&cloud.run(&["rollback", "plan.yaml", "--all"]), 2);
    assert!(e.contains("no journal at plan.journal"), "{e}");
    ok(&cloud, &["run", "plan.yaml", "--poll-max", "1"]);
    let journal = journal_contents(&cloud);
    let e = one_line_failure(&cloud.run(&["rollback", "plan.yaml"]), 2);
    assert!(e.contains("give the servers to roll back"), "{e}");
    let e = one_line_failure(&cloud.run(&["rollback", "plan.yaml", "web-1", "--all"]), 2);
    assert!(e.contains("not both"), "{e}");
    let e = one_line_failure(&cloud.run(&["rollback", "plan.yaml", "web-1", "nope"]), 2);
    assert!(e.contains("server nope is not in plan plan.yaml"), "{e}");
    let held = cutover_journal::Journal::open(&cloud.dir().join("plan.journal")).unwrap();
    let e = one_line_failure(&cloud.run(&["rollback", "plan.yaml", "web-1"]), 2);
    assert!(e.contains("in use by another cutover run"), "{e}");
    drop(held);
    assert_eq!(journal_contents(&cloud), journal, "nothing written");
    assert!(cloud.sim().world().compute["RegionOne"].servers.is_empty(), "nothing moved back");
}
