//! `cutover run` and `cutover status` through the real binary, without a
//! cloud: the status of a journal (also while a run holds it), and the
//! refusals that change nothing — a bad plan file, a plan for other
//! clouds, a journal of another plan, a second run on a held journal.

use std::path::Path;
use std::process::{Command, Output};

use cutover_core::id::ServerId;
use cutover_core::machine::{Action, End, ServerState, Side, Strategy};
use cutover_core::model::ServerStatus;
use cutover_core::plan::{CloudsRef, HostPlan, Options, Plan, ServerPlan, ServerRecord, VolumeRecord, PLAN_VERSION};
use cutover_engine::Opened;
use cutover_journal::Journal;
use serde_json::Value;

const VARS: &[&str] = &[
    "OS_CLOUD",
    "OS_CLIENT_CONFIG_FILE",
    "CUTOVER_OLD_REGION",
    "CUTOVER_NEW_REGION",
    "CUTOVER_CONFIG",
    "RUST_LOG",
    "NO_COLOR",
];

/// Where the test's plans say their Keystone is (nothing listens there:
/// every case here ends before a cloud is called).
const AUTH_URL: &str = "http://127.0.0.1:9/v3";

/// `cutover` run in `dir`, with none of the caller's settings variables
/// and a cloud described by `OS_*` variables.
fn cutover(dir: &Path, args: &[&str]) -> Output {
    cutover_with(dir, args, AUTH_URL)
}

fn cutover_with(dir: &Path, args: &[&str], auth_url: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.current_dir(dir).args(args);
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.env("OS_AUTH_URL", auth_url)
        .env("OS_USERNAME", "admin")
        .env("OS_PASSWORD", "secret")
        .env("OS_PROJECT_NAME", "admin")
        .env("OS_USER_DOMAIN_NAME", "Default")
        .env("OS_PROJECT_DOMAIN_NAME", "Default");
    cmd.output().unwrap()
}

fn refused(out: Output) -> String {
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "exit 2: {stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

fn server(id: &str, strategy: Strategy) -> ServerPlan {
    let record = ServerRecord {
        id: id.into(),
        name: format!("web {id}"),
        project_id: "acme".into(),
        user_id: "alice".into(),
        host: "old-1".into(),
        availability_zone: None,
        status: ServerStatus::Active,
        flavor_id: "m1.small".into(),
        image_id: Some("img".into()),
        key_name: None,
        user_data: None,
        metadata: Default::default(),
        tags: vec![],
        description: None,
        server_group: None,
        security_groups: vec![],
        ports: vec![],
        fixed_networks: vec![],
        volumes: vec![VolumeRecord {
            id: format!("{id}-data").into(),
            device: None,
            boot_index: None,
            delete_on_termination: false,
        }],
        floating_ips: vec![],
        config_drive: false,
        ephemeral_gib: 0,
        swap_mib: 0,
    };
    ServerPlan { strategy, why: "test".into(), warnings: vec![], server: record, needs: None, after_deadline: None }
}

fn plan() -> Plan {
    Plan {
        version: PLAN_VERSION,
        migration: "m1".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        clouds: CloudsRef {
            cloud: "sim".into(),
            auth_url: AUTH_URL.into(),
            old_region: "RegionOne".into(),
            new_region: "RegionTwo".into(),
        },
        options: Options::default(),
        hosts: vec![HostPlan {
            on_empty: None,
            name: "old-1".into(),
            servers: vec![
                server("a", Strategy::Snapshot),
                server("b", Strategy::Redeploy),
                server("c", Strategy::Snapshot),
            ],
        }],
        unplanned: vec![],
    }
}

/// `plan.yaml` in `dir`, and its journal with server `a` moved (stopped at
/// 100, verified at 160) and `b` stopping, its stop sent but not answered.
fn journal_in(dir: &Path) -> (Plan, Journal) {
    let plan = plan();
    std::fs::write(dir.join("plan.yaml"), yaml_serde::to_string(&plan).unwrap()).unwrap();
    let mut journal = Opened::open(&plan, &dir.join("plan.journal")).unwrap().into_journal(&plan, 0).unwrap();
    let moved = ServerState {
        end: Some(End::Moved),
        at: 10,
        stopped_at: Some(100),
        verified_at: Some(160),
        ..ServerState::new(0)
    };
    journal.save(&ServerId::from("a"), &moved).unwrap();
    let stopping = ServerState { stopped_at: Some(120), ..ServerState::new(0) };
    journal.save(&ServerId::from("b"), &stopping).unwrap();
    journal.intend(&ServerId::from("b"), &Action::StopServer { side: Side::Old, server: "b".into() }).unwrap();
    (plan, journal)
}

#[test]
fn status_reads_the_journal_while_a_run_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_plan, held) = journal_in(dir.path());
    let out = cutover(dir.path(), &["status", "plan.yaml", "-f", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["migration"], "m1");
    let phases: Vec<(String, u64)> = report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["phase"].as_str().unwrap().to_string(), p["servers"].as_u64().unwrap()))
        .collect();
    assert_eq!(phases, [("pending".into(), 1), ("stop".into(), 1), ("moved".into(), 1)]);
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(servers[0]["old_id"], "a");
    assert_eq!(servers[0]["result"], "moved");
    assert_eq!(servers[0]["downtime_secs"], 60);
    assert_eq!(servers[0]["name"], "web a");
    assert_eq!(servers[1]["phase"], "stop");
    assert_eq!(servers[1]["result"], "unfinished");
    assert_eq!(servers[1]["interrupted"], 1, "the stop sent without an outcome");
    assert_eq!(servers[1]["actions"], 1);
    assert_eq!(report["totals"]["moved"], 1);
    assert_eq!(report["totals"]["unfinished"], 2);

    let table = cutover(dir.path(), &["status", "--journal", "plan.journal"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(table.status.success() && text.contains("web a") && text.contains("pending"), "{text}");
    drop(held);
}

#[test]
fn a_bad_plan_file_is_one_line_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "version: 1\nmigration: m1\nclouds: {cloud: x, bogus: 1}\n").unwrap();
    let e = refused(cutover(dir.path(), &["run", "bad.yaml"]));
    assert!(e.starts_with("cutover: error: plan file bad.yaml:3:"), "{e}");
    assert!(e.contains("unknown field `bogus`"), "{e}");
    let e = refused(cutover(dir.path(), &["run", "missing.yaml"]));
    assert!(e.contains("cannot read plan file missing.yaml"), "{e}");
    assert!(!dir.path().join("bad.journal").exists());
}

#[test]
fn a_plan_for_other_clouds_or_another_plans_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, journal) = journal_in(dir.path());
    drop(journal);
    let before = std::fs::read(dir.path().join("plan.journal")).unwrap();

    let e = refused(cutover(dir.path(), &["--new-region", "RegionNine", "run", "plan.yaml"]));
    assert!(e.contains("the plan is for new region \"RegionTwo\", not \"RegionNine\""), "{e}");
    let e = refused(cutover_with(dir.path(), &["run", "plan.yaml"], "http://keystone.other:5000/v3"));
    assert!(e.contains(&format!("the plan is for the cloud at \"{AUTH_URL}\"")), "{e}");

    let mut other = plan.clone();
    other.hosts[0].servers.pop();
    std::fs::write(dir.path().join("other.yaml"), yaml_serde::to_string(&other).unwrap()).unwrap();
    let e = refused(cutover(dir.path(), &["run", "other.yaml", "--journal", "plan.journal"]));
    assert!(e.contains("journal plan.journal belongs to migration m1"), "{e}");

    let mut invalid = plan;
    invalid.hosts[0].servers[1].server.image_id = None;
    std::fs::write(dir.path().join("invalid.yaml"), yaml_serde::to_string(&invalid).unwrap()).unwrap();
    let e = refused(cutover(dir.path(), &["run", "invalid.yaml"]));
    assert!(e.contains("server b: strategy redeploy needs the original image"), "{e}");
    assert!(!dir.path().join("invalid.journal").exists());
    assert_eq!(std::fs::read(dir.path().join("plan.journal")).unwrap(), before, "nothing changed");
}

#[test]
fn a_second_run_on_a_held_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_plan, held) = journal_in(dir.path());
    let e = refused(cutover(dir.path(), &["run", "plan.yaml"]));
    assert!(e.contains("plan.journal is in use by another cutover run"), "{e}");
    let servers = held.servers().unwrap();
    assert_eq!(servers[2].state, ServerState::new(0), "nothing changed");
    assert_eq!(held.actions(None).unwrap().len(), 1);
}
