/*!
`cutover run` and `cutover status` against the simulator: after sync and
plan, every server of the built-in scenario moves to RegionTwo, the old
hosts are taken out of scheduling with a reason naming the migration, the
report (`-f json`) has each server's new id and downtime, `cutover status`
reads the same from the journal, and a second run changes nothing.
*/

use cutover_core::machine::Strategy;
use cutover_core::plan::Plan;
use serde_json::Value;

use crate::util::SimCloud;

pub fn ok(cloud: &SimCloud, args: &[&str]) -> Vec<u8> {
    let out = cloud.run(args);
    assert!(out.status.success(), "cutover {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Syncs the new region and writes `plan.yaml` (migration m1) for every
/// old server, those of zone az-fast to boot in the default zone.
pub fn plan_all(cloud: &SimCloud, extra: &[&str]) {
    let host_map = ok(cloud, &["sync", "--print-host-map"]);
    std::fs::write(cloud.dir().join("hosts.yaml"), host_map).unwrap();
    // Exit 3 is fine here: a resource the sync cannot make equal is reported, the rest is copied.
    let sync = cloud.run(&["sync", "--host-map", "hosts.yaml"]);
    assert!(matches!(sync.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&sync.stderr));
    // RegionTwo has no zone like old-3's (az-fast): its servers boot in
    // the default zone, as the operator's zone map says.
    let mut args = vec!["plan", "-o", "plan.yaml", "--migration", "m1", "--zone-map", "az-fast="];
    args.extend(extra);
    ok(cloud, &args);
    ok(cloud, &["plan", "--check", "plan.yaml"]);
}

/// Changes `plan.yaml` as an operator editing it would.
pub fn edit_plan(cloud: &SimCloud, edit: impl FnOnce(&mut Plan)) {
    let path = cloud.dir().join("plan.yaml");
    let mut plan: Plan = yaml_serde::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut plan);
    std::fs::write(&path, yaml_serde::to_string(&plan).unwrap()).unwrap();
}

#[test]
fn a_run_moves_every_server_and_a_second_run_changes_nothing() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);

    cloud.sim().reset_request_counts();
    let report: Value =
        serde_json::from_slice(&ok(&cloud, &["run", "plan.yaml", "--poll-max", "1", "-f", "json"])).unwrap();
    // The report's count is the cloud's: all but the run's own logins (a
    // token, the version documents and a listing per service to check the
    // discovery, per region) and host bookkeeping is put down to some server.
    let seen = cloud.sim().request_counts().values().sum::<u64>() as f64;
    let counted = report["totals"]["api_calls"].as_f64().unwrap();
    assert!(counted <= seen && counted >= 0.75 * seen, "report {counted}, simulator {seen}");
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 6);
    for s in servers {
        assert_eq!(s["result"], "moved", "{s}");
        assert!(s["new_id"].is_string() && s["api_calls"].as_f64().unwrap() > 0.0, "{s}");
    }
    assert!(servers.iter().any(|s| s["downtime_secs"].is_i64()), "downtime measured");
    {
        let world = cloud.sim().world();
        let new = &world.compute["RegionTwo"];
        for s in servers {
            let rebuilt = &new.servers[s["new_id"].as_str().unwrap()];
            assert_eq!(rebuilt.metadata.get("cutover_migration").map(String::as_str), Some("m1"));
            assert_eq!(rebuilt.metadata.get("cutover_source"), s["old_id"].as_str().map(str::to_string).as_ref());
        }
        assert!(world.compute["RegionOne"].servers.is_empty(), "the old region is empty");
        let old = &world.compute["RegionOne"];
        let disabled: Vec<_> = old.services.values().filter(|s| s.binary == "nova-compute").collect();
        assert!(!disabled.is_empty());
        for service in disabled {
            assert!(
                service.disabled_reason.as_deref().is_some_and(|r| r.contains("cutover migration m1")),
                "{service:?}"
            );
        }
    }

    let status = cloud.json(&["status", "plan.yaml"]);
    assert_eq!(status["totals"]["moved"], 6);
    assert_eq!(status["servers"], report["servers"], "status reads what the run reported");

    let again: Value = serde_json::from_slice(&ok(&cloud, &["run", "plan.yaml", "-f", "json"])).unwrap();
    assert_eq!(again["servers"], report["servers"]);
    assert_eq!(cloud.sim().world().compute["RegionTwo"].servers.len(), 6, "no second copy");
}

#[test]
fn wait_servers_still_there_at_the_deadline_are_held_and_the_others_move() {
    let cloud = SimCloud::start();
    let host = cloud.sim().read().compute["RegionOne"].servers.values().find_map(|s| s.host.clone()).unwrap();
    plan_all(&cloud, &["--strategy", &format!("host={host}:wait")]);
    let bad = cloud.run(&["run", "plan.yaml", "--deadline", "tomorrow"]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("neither a time") && !cloud.dir().join("plan.journal").exists(), "{stderr}");

    let out = cloud.run(&["run", "plan.yaml", "--poll-max", "1", "--deadline", "2s", "-f", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let servers = report["servers"].as_array().unwrap();
    let (waiting, moving): (Vec<&Value>, Vec<&Value>) = servers.iter().partition(|s| s["host"] == host.as_str());
    assert!(!waiting.is_empty() && !moving.is_empty());
    for s in waiting {
        assert_eq!((&s["strategy"], &s["result"]), (&Value::from("wait"), &Value::from("held")), "{s}");
        assert!(s["reason"].as_str().unwrap().contains("deadline"), "{s}");
    }
    for s in moving {
        assert_eq!(s["result"], "moved", "{s}");
    }
    let world = cloud.sim().read();
    let old = &world.compute["RegionOne"];
    assert!(
        old.service_of_host(&host, "nova-compute").is_some_and(|s| s.disabled),
        "the waited-for host stays disabled"
    );
}

#[test]
fn wait_then_snapshot_servers_still_there_at_the_deadline_move_and_a_later_run_keeps_them_moved() {
    let cloud = SimCloud::start();
    let host = {
        let world = cloud.sim().read();
        world.compute["RegionOne"].servers.values().find(|s| s.name == "app-1").unwrap().host.clone().unwrap()
    };
    plan_all(&cloud, &["--strategy", &format!("host={host}:wait-then-snapshot")]);
    let plan: Plan = yaml_serde::from_str(&std::fs::read_to_string(cloud.dir().join("plan.yaml")).unwrap()).unwrap();
    let waiting: Vec<&str> = plan.servers().filter(|(h, _)| **h == host).map(|(_, s)| s.server.id.as_str()).collect();
    assert!(!waiting.is_empty());
    for (_, s) in plan.servers().filter(|(h, _)| **h == host) {
        assert_eq!((s.strategy, s.after_deadline), (Strategy::Wait, Some(Strategy::Snapshot)), "{s:?}");
    }

    let out = cloud.run(&["run", "plan.yaml", "--poll-max", "1", "--deadline", "2s", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in report["servers"].as_array().unwrap() {
        assert_eq!(s["result"], "moved", "{s}");
        if waiting.contains(&s["old_id"].as_str().unwrap()) {
            assert_eq!(s["strategy"], "snapshot", "moved by the plan's after_deadline: {s}");
        }
    }
    // Without --deadline, the journal's conversions stand: nothing to do.
    let again: Value = serde_json::from_slice(&ok(&cloud, &["run", "plan.yaml", "-f", "json"])).unwrap();
    assert_eq!(again["servers"], report["servers"]);
}

#[test]
fn another_key_of_cutovers_user_under_a_servers_key_name_is_kept_and_the_report_warns() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &[]);
    let other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9wZXJhdG9yb3BlcmF0b3JvcGVyYXRvcm9wZXJh op@ops";
    let admin = {
        let mut w = cloud.sim().world();
        let admin = w.identity.users.values().find(|u| u.name == "admin").expect("admin").id.clone();
        let keys = &mut w.compute.get_mut("RegionTwo").expect("RegionTwo").keypairs;
        let alices = keys.values().find(|k| k.name == "alice-key").expect("alice's key, synced").clone();
        let own = cutover_sim::model::compute::Keypair { user_id: admin.clone(), public_key: other.into(), ..alices };
        keys.insert((admin.clone(), "alice-key".into()), own);
        admin
    };
    let report: Value =
        serde_json::from_slice(&ok(&cloud, &["run", "plan.yaml", "--poll-max", "1", "-f", "json"])).unwrap();
    let servers = report["servers"].as_array().unwrap();
    let web = servers.iter().find(|s| s["name"] == "web-1").expect("web-1 reported");
    assert_eq!(web["result"], "moved");
    let warning = web["warning"].as_str().unwrap_or_else(|| panic!("a warning: {web}"));
    assert!(warning.contains("alice-key") && warning.contains("another key"), "{warning}");
    // alice's servers (web-1, web-2) warn; the others kept their key names.
    for s in servers {
        let alices = ["web-1", "web-2"].contains(&s["name"].as_str().unwrap());
        assert_eq!(s.get("warning").is_some(), alices, "{s}");
    }
    let world = cloud.sim().world();
    let new = &world.compute["RegionTwo"];
    let rebuilt = &new.servers[web["new_id"].as_str().unwrap()];
    let copy = format!("cutover-m1-{}", web["old_id"].as_str().unwrap());
    assert_eq!(rebuilt.key_name.as_deref(), Some(copy.as_str()), "booted with a copy under another name");
    assert_eq!(new.keypairs[&(admin.clone(), "alice-key".to_string())].public_key, other, "the admin's own key stays");
    let own: Vec<&String> = new.keypairs.keys().filter(|(user, _)| *user == admin).map(|(_, n)| n).collect();
    assert_eq!(own, ["alice-key"], "no copy left");
    drop(world);
    // The text report says it too.
    let text = String::from_utf8_lossy(&ok(&cloud, &["status", "plan.yaml"])).to_string();
    assert!(text.contains("warning: RegionTwo: key pair alice-key"), "{text}");
}
