/*!
`cutover run --on-host-empty`: once an old host's servers are gone and two
observations say it is empty, the hook redeploys it (here
`examples/hooks/sim-redeploy`, wrapped to count its calls: `util::hooks`),
the host joins the new region (in the aggregates it had, so its zone),
and its old `nova-compute` record is deleted. A server that appears on a drained host keeps it from the hook
until it is gone.
*/

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use cutover_sim::model::compute::{PowerState, Server, VmState};
use serde_json::Value;

use super::run::plan_all;
use crate::util::hooks::{counting_hook, hook_calls};
use crate::util::SimCloud;

/// `cutover run` handing the emptied hosts off with `hook`.
fn with_hook(cloud: &SimCloud, hook: &Path) -> Command {
    let mut command = cloud.cutover();
    command.args(["run", "plan.yaml", "--poll-max", "1", "--empty-interval", "0", "--rejoin-timeout", "60"]);
    command.arg("--on-host-empty").arg(hook).args(["-f", "json"]);
    command
}

fn run_with_hook(cloud: &SimCloud, hook: &Path) -> (Option<i32>, Value) {
    let out = with_hook(cloud, hook).output().expect("cutover runs");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("a JSON report: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

fn old_hosts(cloud: &SimCloud) -> Vec<String> {
    let plan: cutover_core::plan::Plan =
        yaml_serde::from_str(&std::fs::read_to_string(cloud.dir().join("plan.yaml")).unwrap()).unwrap();
    plan.hosts.iter().map(|h| h.name.to_string()).collect()
}

fn stage_of<'a>(report: &'a Value, host: &str) -> &'a Value {
    let hosts = report["hosts"].as_array().expect("hosts in the report");
    &hosts.iter().find(|h| h["host"] == host).unwrap_or_else(|| panic!("{host} in {hosts:?}"))["stage"]
}

#[test]
fn every_emptied_host_is_handed_off_once_joins_the_new_region_and_leaves_the_old() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);
    let hook = counting_hook(&cloud);
    let (code, report) = run_with_hook(&cloud, &hook);
    assert_eq!(code, Some(0), "{report:#}");
    let hosts = old_hosts(&cloud);
    for host in &hosts {
        assert_eq!(stage_of(&report, host), "retired-old", "{report:#}");
    }
    let mut calls = hook_calls(&cloud);
    calls.sort();
    let mut wanted: Vec<String> = hosts.iter().map(|h| format!("{h} RegionOne RegionTwo m1")).collect();
    wanted.sort();
    assert_eq!(calls, wanted, "the hook ran once per host, with its arguments");
    let world = cloud.sim().read();
    for host in &hosts {
        let new = &world.compute["RegionTwo"];
        assert!(new.service_of_host(host, "nova-compute").is_some_and(|s| s.up && !s.disabled), "{host}");
        assert!(world.compute["RegionOne"].service_of_host(host, "nova-compute").is_none(), "{host}: old record gone");
    }
    // old-3 was in fast-disks (az-fast) in RegionOne: so it is in RegionTwo.
    let fast = world.compute["RegionTwo"].aggregates.values().find(|a| a.name == "fast-disks").expect("synced");
    assert!(fast.hosts.contains("old-3"), "the recycled host keeps its aggregate: {:?}", fast.hosts);
    assert_eq!(world.compute["RegionTwo"].host_zone("old-3"), "az-fast", "and so its zone");
    drop(world);

    let (code, again) = run_with_hook(&cloud, &hook);
    assert_eq!(code, Some(0));
    assert_eq!(again["hosts"], report["hosts"]);
    assert_eq!(hook_calls(&cloud).len(), hosts.len(), "a second run hands nothing off again");
}

#[test]
fn a_host_mapped_to_itself_joins_the_aggregate_sync_made_for_it() {
    let cloud = SimCloud::start();
    std::fs::write(cloud.dir().join("hosts.yaml"), "old-1: new-1\nold-2: new-2\nold-3: old-3\n").unwrap();
    let sync = cloud.run(&["sync", "--host-map", "hosts.yaml"]);
    assert!(matches!(sync.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&sync.stderr));
    assert!(String::from_utf8_lossy(&sync.stdout).contains("waiting for old-3"));
    let plan = ["plan", "-o", "plan.yaml", "--migration", "m1", "--zone-map", "az-fast="];
    assert!(cloud.run(&plan).status.success());
    let hook = counting_hook(&cloud);
    let (code, report) = run_with_hook(&cloud, &hook);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(stage_of(&report, "old-3"), "retired-old");
    let world = cloud.sim().read();
    let new = &world.compute["RegionTwo"];
    let fast = new.aggregates.values().find(|a| a.name == "fast-disks").expect("made by sync");
    assert_eq!(fast.hosts.iter().collect::<Vec<_>>(), ["old-3"], "its one host, back");
    assert_eq!(new.host_zone("old-3"), "az-fast");
    let service = new.service_of_host("old-3", "nova-compute").expect("a compute of RegionTwo");
    assert!(service.up && !service.disabled, "enabled again once in it: {service:?}");
}

#[test]
fn a_server_that_appears_on_a_drained_host_keeps_it_until_it_is_gone() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);
    // A first run moves every server and drains the hosts (no hook yet).
    let out = cloud.run(&["run", "plan.yaml", "--poll-max", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hosts = old_hosts(&cloud);
    let stray_host = hosts[0].clone();
    let stray = {
        // A user's server put straight on the disabled host.
        let mut w = cloud.sim().world();
        let id = w.new_uuid();
        let region = w.compute_region_mut("RegionOne").unwrap();
        let (project, user) = ("stray-project".to_string(), "stray-user".to_string());
        let mut server = Server::new(id.clone(), "stray".into(), project, user, "1".into(), Utc::now());
        server.host = Some(stray_host.clone());
        server.vm_state = VmState::Active;
        server.power_state = PowerState::Running;
        server.task_state = None;
        region.insert_server(server);
        id
    };

    let hook = counting_hook(&cloud);
    let (_, report) = run_with_hook(&cloud, &hook);
    assert_eq!(stage_of(&report, &stray_host), "draining", "{report:#}");
    assert!(!hook_calls(&cloud).iter().any(|c| c.starts_with(&format!("{stray_host} "))), "{:?}", hook_calls(&cloud));
    for host in hosts.iter().filter(|h| **h != stray_host) {
        assert_eq!(stage_of(&report, host), "retired-old");
    }
    assert!(cloud.sim().read().compute["RegionOne"].servers.contains_key(&stray), "the stray server was not touched");

    // Dealt with: its owner deletes it; the next run hands the host off.
    cloud.sim().world().compute_region_mut("RegionOne").unwrap().remove_server(&stray);
    let (code, report) = run_with_hook(&cloud, &hook);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(stage_of(&report, &stray_host), "retired-old");
    let for_stray = hook_calls(&cloud).iter().filter(|c| c.starts_with(&format!("{stray_host} "))).count();
    assert_eq!(for_stray, 1);
}

#[test]
fn a_hosts_own_hook_in_the_plan_hands_off_that_host_alone() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);
    let hook = counting_hook(&cloud);
    let hosts = old_hosts(&cloud);
    super::run::edit_plan(&cloud, |plan| plan.hosts[0].on_empty = Some(format!("'{}'", hook.display())));
    let out = cloud.run(&["run", "plan.yaml", "--poll-max", "1", "--empty-interval", "0", "-f", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stage_of(&report, &hosts[0]), "retired-old", "{report:#}");
    assert_eq!(hook_calls(&cloud), vec![format!("{} RegionOne RegionTwo m1", hosts[0])]);
    for host in &hosts[1..] {
        let row = report["hosts"].as_array().unwrap().iter().find(|h| h["host"] == host.as_str());
        assert!(row.is_none(), "{host} has no hook: left disabled, not stepped: {row:?}");
    }
}

#[test]
fn a_host_with_no_server_to_move_is_handed_off_and_reported() {
    let cloud = SimCloud::start();
    // Its servers deleted by their owners before the plan: the plan lists
    // the host, with nothing to move off it.
    let emptied = {
        let mut w = cloud.sim().world();
        let old = w.compute_region_mut("RegionOne").unwrap();
        let host = old.servers.values().filter_map(|s| s.host.clone()).min().expect("a host with servers");
        let ids: Vec<String> = old.servers_on_host(&host).map(|s| s.id.clone()).collect();
        for id in ids {
            old.remove_server(&id);
        }
        host
    };
    plan_all(&cloud, &[]);
    let hosts = old_hosts(&cloud);
    assert!(hosts.contains(&emptied), "{hosts:?}");
    let hook = counting_hook(&cloud);
    let (code, report) = run_with_hook(&cloud, &hook);
    assert_eq!(code, Some(0), "{report:#}");
    for host in &hosts {
        assert_eq!(stage_of(&report, host), "retired-old", "{report:#}");
    }
    assert!(hook_calls(&cloud).contains(&format!("{emptied} RegionOne RegionTwo m1")));
}

#[test]
fn a_hook_left_running_by_a_killed_run_ends_before_the_resumed_run_calls_it_again() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);
    // A quiet hook (a playbook between two tasks): killed with its run, it
    // goes on in its own process group.
    let log = cloud.dir().join("slow.log");
    let hook = cloud.dir().join("slow-hook");
    let script = format!(
        "#!/bin/sh\nprintf 'start %s\\n' \"$1\" >> '{log}'\nsleep 1.5\nprintf 'end %s\\n' \"$1\" >> '{log}'\nexec '{next}' \"$@\"\n",
        log = log.display(),
        next = counting_hook(&cloud).display(),
    );
    std::fs::write(&hook, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let lines = || std::fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_string).collect::<Vec<_>>();

    let mut run = with_hook(&cloud, &hook).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("cutover runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while lines().is_empty() {
        assert!(Instant::now() < deadline && run.try_wait().unwrap().is_none(), "no hook started: {:?}", lines());
        std::thread::sleep(Duration::from_millis(5));
    }
    run.kill().unwrap();
    run.wait().unwrap();

    let (code, report) = run_with_hook(&cloud, &hook);
    assert_eq!(code, Some(0), "{report:#}");
    for host in old_hosts(&cloud) {
        assert_eq!(stage_of(&report, &host), "retired-old", "{report:#}");
        let mine: Vec<String> = lines().into_iter().filter(|l| l.ends_with(&format!(" {host}"))).collect();
        for pair in mine.chunks(2) {
            assert!(
                pair[0].starts_with("start ") && pair.get(1).is_some_and(|l| l.starts_with("end ")),
                "{host}: two hooks at once: {mine:?}"
            );
        }
    }
}

#[test]
fn a_failed_hook_stops_its_host_with_exit_3_and_the_next_run_tries_it_again() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);
    let broken = cloud.dir().join("broken-hook");
    std::fs::write(&broken, "#!/bin/sh\necho \"cannot reach the PXE server for $1\" >&2\nexit 2\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, report) = run_with_hook(&cloud, &broken);
    assert_eq!(code, Some(3), "{report:#}");
    let hosts = old_hosts(&cloud);
    for host in &hosts {
        let row = report["hosts"].as_array().unwrap().iter().find(|h| h["host"] == host.as_str()).unwrap();
        assert_eq!(row["stage"], "empty", "{row}");
        assert!(row["reason"].as_str().unwrap().contains("exited 2"), "{row}");
        assert!(row["hook"].as_str().unwrap().contains("cannot reach the PXE server"), "{row}");
    }
    assert_eq!(report["totals"]["moved"], report["totals"]["servers"], "the servers moved all the same");

    // The operator mends the hook and runs again: every host is taken up.
    let hook = counting_hook(&cloud);
    let (code, report) = run_with_hook(&cloud, &hook);
    assert_eq!(code, Some(0), "{report:#}");
    for host in &hosts {
        assert_eq!(stage_of(&report, host), "retired-old", "{report:#}");
    }
    assert_eq!(hook_calls(&cloud).len(), hosts.len());
}
