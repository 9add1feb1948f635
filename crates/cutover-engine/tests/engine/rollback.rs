//! Rollbacks asked for: after a whole run every server goes back into the
//! old region, whose hosts cutover drained (each is let take servers again
//! for the rebuild and disabled again after); in the middle of a run only
//! the servers named are touched; a rollback killed at any journal write
//! resumes to the same end, never leaving an old host enabled.

use std::path::Path;
use std::sync::Arc;

use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::Strategy;
use cutover_core::plan::Plan;
use cutover_engine::{Options, Outcome, Progress, Report};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::model::{Faults, Model};
use crate::scenario::{halted, plan, rollback, rollback_halting, rollback_with, run, run_halting, run_with};

fn ids(plan: &Plan) -> Vec<ServerId> {
    plan.servers().map(|(_, s)| s.server.id.clone()).collect()
}

/// Every server planned to move is in the old region again, with its ports,
/// volumes, floating addresses and power state, and nothing is left of it
/// in the new region; every old host is disabled again.
fn all_back(model: &Model, plan: &Plan, report: &Report) {
    let summary = model.summary(plan);
    for (_, planned) in plan.servers() {
        let id = &planned.server.id;
        let placed = &summary[id];
        if planned.strategy == Strategy::Wait {
            continue;
        }
        let server = report.servers.iter().find(|s| s.old_id == *id).unwrap();
        assert_eq!(server.result, Outcome::RolledBack, "{id}: {server:?}");
        assert!(server.reason.as_deref().is_some_and(|r| r.starts_with("rolled back on request")), "{server:?}");
        assert!(placed.contains(" Old ") && !placed.contains("New") && !placed.contains('+'), "{id}: {placed}");
        assert!(placed.contains(&format!("Old {} ", planned.server.status)), "{id} power state: {placed}");
        assert!(placed.contains("volumes=1") || placed.contains("volumes=2"), "{id}: {placed}");
        assert!(placed.contains("ports=1") || placed.contains("floating=1"), "{id}: {placed}");
        assert!(placed.ends_with("images=0"), "{id}: every snapshot removed: {placed}");
    }
    let world = model.world();
    assert!(world.violations.is_empty(), "{:?}", world.violations);
    let hosts: Vec<&str> = plan.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(world.disabled.iter().map(HostName::as_str).collect::<Vec<_>>(), hosts, "every old host disabled again");
    assert!(report.hosts_enabled_for_rebuild.is_empty(), "{:?}", report.hosts_enabled_for_rebuild);
}

async fn moved(model: &Arc<Model>, plan: &Plan, path: &Path) {
    let report = run(model, plan, path, Options::default()).await.unwrap();
    assert!(report.all_moved(), "{:#?}", report.servers);
}

#[tokio::test(start_paused = true)]
async fn after_a_run_every_server_goes_back_into_the_drained_old_region() {
    let plan = plan(2, 4, 1);
    let model = Model::new(&plan, 5, Faults::default(), 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    moved(&model, &plan, &path).await;

    let all = ids(&plan);
    let all: Vec<&str> = all.iter().map(ServerId::as_str).collect();
    let (requests, report) = rollback(&model, &plan, &path, &all, Options::default()).await.unwrap();
    let waits: Vec<&ServerId> =
        plan.servers().filter(|(_, s)| s.strategy == Strategy::Wait).map(|(_, s)| &s.server.id).collect();
    for request in &requests {
        match waits.contains(&&request.server) {
            true => assert!(request.nothing_to_do.as_deref().is_some_and(|w| w.contains("left to its owner"))),
            false => assert_eq!(request.nothing_to_do, None, "{request:?}"),
        }
    }
    all_back(&model, &plan, &report);
    let events = model.world().host_events.clone();
    for host in ["old-1", "old-2"] {
        let mine: Vec<&String> = events.iter().filter(|e| e.ends_with(host)).collect();
        assert!(mine.iter().any(|e| e.starts_with("enable")), "{host} enabled for the rebuilds: {events:?}");
        assert!(mine.last().is_some_and(|e| e.starts_with("disable")), "{host} disabled last: {events:?}");
    }

    // Asked again, nothing moves: each is back already.
    let calls = model.world().counters.executes;
    let (again, _) = rollback(&model, &plan, &path, &all, Options::default()).await.unwrap();
    assert!(again.iter().all(|r| r.nothing_to_do.is_some()), "{again:?}");
    assert_eq!(model.world().counters.executes, calls);
}

#[tokio::test(start_paused = true)]
async fn a_rollback_in_the_middle_of_a_run_touches_only_the_server_named() {
    let plan = plan(1, 6, 0);
    let model = Model::new(&plan, 6, Faults::default(), 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let stopped = run_halting(&model, &plan, &path, Options::default(), 40).await;
    assert!(halted(&stopped), "{stopped:?}");
    let status = Report::read(&path).unwrap();
    let s04 = status.servers.iter().find(|s| s.old_id == "s04").unwrap();
    assert!(s04.actions > 0 && s04.result == Outcome::Unfinished, "s04 is on its way: {s04:?}");

    let before = model.world().calls.len();
    let (_, report) = rollback(&model, &plan, &path, &["s04"], Options::default()).await.unwrap();
    assert_eq!(report.servers.len(), 1, "the report is of the server named");
    assert_eq!(report.servers[0].result, Outcome::RolledBack, "{:?}", report.servers[0]);
    let others: Vec<ServerId> =
        model.world().calls[before..].iter().filter(|c| c.source != "s04").map(|c| c.source.clone()).collect();
    assert!(others.is_empty(), "calls for other servers: {others:?}");

    let report = run(&model, &plan, &path, Options::default()).await.unwrap();
    for server in &report.servers {
        let wanted = if server.old_id == "s04" { Outcome::RolledBack } else { Outcome::Moved };
        assert_eq!(server.result, wanted, "{server:?}");
    }
    assert!(model.summary(&plan)["s04"].contains(" Old "), "it stays in the old region");
    assert!(model.world().violations.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_rollback_killed_anywhere_resumes_and_disables_every_host_it_enabled() {
    let plan = plan(2, 3, 0);
    let all = ids(&plan);
    let all: Vec<&str> = all.iter().map(ServerId::as_str).collect();
    let (writes, placed) = {
        let model = Model::new(&plan, 7, Faults::default(), 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        moved(&model, &plan, &path).await;
        let mut writes = 0;
        let progress = &mut |p: &Progress| writes = p.journal_writes;
        let (_, report) = rollback_with(&model, &plan, &path, &all, Options::default(), progress).await.unwrap();
        all_back(&model, &plan, &report);
        (writes, model.summary(&plan))
    };
    assert!(writes > 30, "{writes}");
    let mut rng = StdRng::seed_from_u64(3);
    let mut enabled_at_crash = 0;
    for case in 0..12 {
        let model = Model::new(&plan, 7, Faults::default(), 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        moved(&model, &plan, &path).await;
        let halt = rng.random_range(1..writes);
        let stopped = rollback_halting(&model, &plan, &path, &all, halt).await;
        assert!(halted(&stopped), "case {case}");
        enabled_at_crash += usize::from(model.world().disabled.len() < plan.hosts.len());
        // The requests are in the journal: a plain run carries them out.
        let report = run_with(&model, &plan, &path, Options::default(), &mut |_| {}).await.unwrap();
        all_back(&model, &plan, &report);
        assert_eq!(model.summary(&plan), placed, "case {case} (halt {halt})");
    }
    assert!(enabled_at_crash > 0, "some crashes fell while an old host took servers again");
}

#[tokio::test(start_paused = true)]
async fn a_rollback_of_a_server_not_in_the_plan_is_refused_and_records_nothing() {
    let plan = plan(1, 2, 0);
    let model = Model::new(&plan, 8, Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    moved(&model, &plan, &path).await;
    let states = |path: &Path| {
        let journal = cutover_journal::Journal::open_read_only(path).unwrap();
        journal.servers().unwrap().into_iter().map(|s| s.state).collect::<Vec<_>>()
    };
    let before = states(&path);
    let error = rollback(&model, &plan, &path, &["s01", "nope"], Options::default()).await.expect_err("refused");
    assert!(error.is_refusal() && error.to_string().contains("server nope is not in the plan"), "{error}");
    assert_eq!(states(&path), before, "s01 was not recorded either");
}
