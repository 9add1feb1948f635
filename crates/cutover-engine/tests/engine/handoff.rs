//! The old hosts through a run on the model: a new region with room for
//! one old host's servers at a time drains host by host, each emptied
//! host handed off and joining it bringing room for the next; without a
//! hand-off, what finds no room is held, untouched.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cutover_core::id::HostName;
use cutover_core::machine::host::HookEnd;
use cutover_core::plan::Plan;
use cutover_core::room::Load;
use cutover_engine::{HandOff, HookReport, HookRequest, HostOptions, Options, Outcome};

use crate::model::{Faults, Model};
use crate::scenario::{halted, plan, run, run_halting, run_with};

/// What each planned server takes of a host.
const SERVER: Load = Load { vcpus: 2, ram_mib: 4096, disk_gib: 20 };
/// A host of the new region: room for four servers, one old host's worth.
const HOST: Load = Load { vcpus: 8, ram_mib: 16384, disk_gib: 80 };

/// `hosts` old hosts of four servers each, every one needing [`SERVER`].
fn tight_plan(hosts: usize) -> Plan {
    let mut plan = plan(hosts, 4, 0);
    for server in plan.hosts.iter_mut().flat_map(|h| h.servers.iter_mut()) {
        server.needs = Some(SERVER);
    }
    plan
}

/// A hand-off that redeploys the host into the new region of the model,
/// taking a few minutes as a reinstall does.
struct Redeploy {
    model: Arc<Model>,
    calls: Mutex<BTreeMap<String, u32>>,
}

#[async_trait]
impl HandOff for Redeploy {
    async fn hand_off(&self, request: &HookRequest) -> HookReport {
        *self.calls.lock().unwrap().entry(request.host.clone().into()).or_default() += 1;
        tokio::time::sleep(Duration::from_secs(300)).await;
        self.model.join_new(&request.host);
        HookReport { end: HookEnd::Succeeded, output: format!("{} redeployed", request.host), duration: Duration::ZERO }
    }
}

fn options(hand_off: Option<Arc<Redeploy>>) -> Options {
    let hosts = HostOptions {
        empty_interval: Duration::from_secs(30),
        hand_off: hand_off.map(|h| h as Arc<dyn HandOff>),
        ..HostOptions::default()
    };
    Options { hosts, ..Options::default() }
}

#[tokio::test(start_paused = true)]
async fn a_region_with_room_for_one_host_drains_host_by_host_using_each_host_freed() {
    let plan = tight_plan(4);
    let model = Model::new(&plan, 7, Faults::default(), 1);
    model.limit_room(HOST);
    let redeploy = Arc::new(Redeploy { model: model.clone(), calls: Mutex::default() });
    let dir = tempfile::tempdir().unwrap();
    let report = run(&model, &plan, &dir.path().join("j"), options(Some(redeploy.clone()))).await.unwrap();

    assert!(report.all_moved(), "{:#?}", report.servers);
    let world = model.world();
    assert!(world.violations.is_empty(), "{:?}", world.violations);
    assert_eq!(world.counters.no_valid_host, 0, "no boot was sent where there was no room");
    assert_eq!(world.retired.iter().collect::<Vec<_>>(), ["old-1", "old-2", "old-3", "old-4"]);
    let calls = redeploy.calls.lock().unwrap().clone();
    assert_eq!(calls, (1..=4).map(|h| (format!("old-{h}"), 1)).collect(), "each host handed off once");
    // Host by host: the calls for one old host's servers all come before
    // any for the next (the new region never had room for two at once).
    let mut order: Vec<&str> = world.calls.iter().map(|c| c.host.as_str()).collect();
    order.dedup();
    assert_eq!(order.len(), 4, "one stretch of calls per host: {order:?}");
    assert!(report.hosts.iter().all(|h| h.stage == "retired-old"), "{:?}", report.hosts);
}

#[tokio::test(start_paused = true)]
async fn without_a_hand_off_what_finds_no_room_is_held_untouched_and_the_run_ends() {
    let plan = tight_plan(3);
    let model = Model::new(&plan, 7, Faults::default(), 1);
    model.limit_room(HOST);
    let dir = tempfile::tempdir().unwrap();
    let report = run(&model, &plan, &dir.path().join("j"), options(None)).await.unwrap();

    let (first, rest): (Vec<_>, Vec<_>) = report.servers.iter().partition(|s| s.host == "old-1");
    assert!(first.iter().all(|s| s.result == Outcome::Moved), "{:#?}", report.servers);
    for held in rest {
        assert_eq!(held.result, Outcome::Held, "{held:?}");
        let why = held.reason.as_deref().unwrap_or_default();
        assert!(why.contains("no room in RegionTwo") && why.contains(held.host.as_str()), "{why}");
        assert_eq!(held.actions, 0, "untouched: {held:?}");
    }
    let world = model.world();
    assert_eq!(world.counters.no_valid_host, 0);
    assert!(world.calls.iter().all(|c| c.host == "old-1"), "nothing sent for the servers without room");
}

#[tokio::test(start_paused = true)]
async fn a_region_without_room_figures_is_paced_by_the_limits_alone() {
    // No `needs` in the plan (an older plan file) and no figures: every
    // server is admitted as before, and Nova is the judge.
    let plan = plan(2, 4, 0);
    let model = Model::new(&plan, 7, Faults::default(), 2);
    let dir = tempfile::tempdir().unwrap();
    let report = run(&model, &plan, &dir.path().join("j"), options(None)).await.unwrap();
    assert!(report.all_moved(), "{:#?}", report.servers);
    let mut order: Vec<HostName> = model.world().calls.iter().map(|c| c.host.clone()).collect();
    order.dedup();
    assert!(order.len() > 2, "both hosts drained at once: {order:?}");
}

/// How many times each host event (`disable old-1`, `join old-1`, ...)
/// happened on the model.
fn events(model: &Model) -> BTreeMap<String, usize> {
    let mut counted = BTreeMap::new();
    for event in &model.world().host_events {
        *counted.entry(event.clone()).or_default() += 1;
    }
    counted
}

/// How many intents the journal holds per host action kind and host
/// (`delete old-1`, as [`events`] names them).
fn intents(path: &std::path::Path) -> BTreeMap<String, usize> {
    let journal = cutover_journal::Journal::open_read_only(path).unwrap();
    let mut counted = BTreeMap::new();
    for entry in journal.host_actions(None).unwrap() {
        let kind = match entry.action {
            cutover_core::machine::host::HostAction::DisableService { .. } => "disable",
            cutover_core::machine::host::HostAction::DeleteOldService { .. } => "delete",
            cutover_core::machine::host::HostAction::RunHook { .. } => "hook",
            _ => "other",
        };
        *counted.entry(format!("{kind} {}", entry.host)).or_default() += 1;
    }
    counted
}

/// A hand-off run stopped dead at each of its journal writes in turn (the
/// hosts' intents, outcomes, states and hook records among them), then
/// resumed, ends as the uninterrupted run does: every server moved, each
/// old host joined to the new region and its old service deleted once,
/// and no call to a host the journal had no intent for first.
#[tokio::test(start_paused = true)]
async fn a_hand_off_run_stopped_at_any_journal_write_resumes_with_each_host_action_once() {
    // Two old hosts of one server each: every write of the hand-offs, and
    // few of the moves', whose stops `resume.rs` covers.
    let mut plan = plan(2, 1, 0);
    for server in plan.hosts.iter_mut().flat_map(|h| h.servers.iter_mut()) {
        server.needs = Some(SERVER);
    }
    let hand_off = |model: &Arc<Model>| Arc::new(Redeploy { model: model.clone(), calls: Mutex::default() });
    let writes = {
        let model = Model::new(&plan, 7, Faults::default(), 1);
        model.limit_room(HOST);
        let dir = tempfile::tempdir().unwrap();
        let mut writes = 0;
        let options = options(Some(hand_off(&model)));
        let report =
            run_with(&model, &plan, &dir.path().join("j"), options, &mut |p| writes = p.journal_writes).await.unwrap();
        assert!(report.all_moved());
        let once: BTreeMap<String, usize> = ["delete", "disable", "join"]
            .iter()
            .flat_map(|e| (1..=2).map(move |h| (format!("{e} old-{h}"), 1)))
            .collect();
        assert_eq!(events(&model), once, "the uninterrupted run");
        writes
    };
    assert!(writes > 30, "{writes} journal writes");
    for stop in 1..writes {
        let model = Model::new(&plan, 7, Faults::default(), 1);
        model.limit_room(HOST);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let stopped = run_halting(&model, &plan, &path, options(Some(hand_off(&model))), stop).await;
        assert!(halted(&stopped), "stopped at write {stop}: {stopped:?}");
        let report = run(&model, &plan, &path, options(Some(hand_off(&model)))).await.unwrap();

        assert!(report.all_moved(), "stopped at write {stop}: {:#?}", report.servers);
        assert!(report.hosts.iter().all(|h| h.stage == "retired-old"), "stopped at write {stop}: {:?}", report.hosts);
        assert!(model.world().violations.is_empty(), "stopped at write {stop}: {:?}", model.world().violations);
        let (happened, intended) = (events(&model), intents(&path));
        for host in ["old-1", "old-2"] {
            // The effects of the hand-off, once whatever the stop cut.
            assert_eq!(happened.get(&format!("join {host}")), Some(&1), "stopped at write {stop}: {happened:?}");
            assert_eq!(happened.get(&format!("delete {host}")), Some(&1), "stopped at write {stop}: {happened:?}");
            // Every call to the cloud had its intent journaled first.
            for kind in ["disable", "delete"] {
                let key = format!("{kind} {host}");
                assert_eq!(happened.get(&key), intended.get(&key), "stopped at write {stop}: {key}");
            }
            assert!(intended.get(&format!("hook {host}")).is_some_and(|&n| n >= 1), "{intended:?}");
        }
    }
}
