//! Crash safety: a run stopped dead after any journal write (between an
//! intent and its outcome, between a state and its actions, ...) or while a
//! call it sent was under way, then resumed, ends as an uninterrupted run
//! does, with no guarantee broken on the way.

use std::path::Path;
use std::sync::Arc;

use cutover_core::plan::Plan;
use cutover_engine::{Options, Report};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::model::{Faults, Model};
use crate::scenario::{halted, plan, run, run_halting, run_with};

const SEED: u64 = 11;

/// The uninterrupted run: its end, its journal writes and its calls.
async fn baseline(plan: &Plan) -> (Report, std::collections::BTreeMap<cutover_core::id::ServerId, String>, u64, u64) {
    let model = Model::new(plan, SEED, Faults::default(), 2);
    let dir = tempfile::tempdir().unwrap();
    let mut writes = 0;
    let report = run_with(&model, plan, &dir.path().join("j"), Options::default(), &mut |p| writes = p.journal_writes)
        .await
        .unwrap();
    let calls = model.world().counters.executes;
    (report, model.summary(plan), writes, calls)
}

/// Runs until the model's `call`th execute is under way, then drops the
/// run there, as `kill -9` would.
async fn crash_during_call(model: &Arc<Model>, plan: &Plan, path: &Path, call: u64) {
    model.crash_at_call(call);
    tokio::select! {
        result = run(model, plan, path, Options::default()) => panic!("the run ended before call {call}: {result:?}"),
        () = model.crashed() => {}
    }
}

#[tokio::test(start_paused = true)]
async fn a_crash_anywhere_resumes_to_the_same_end() {
    let plan = plan(2, 4, 1);
    let (expected, placed, writes, calls) = baseline(&plan).await;
    assert!(expected.all_moved() && writes > 50 && calls > 20);
    let mut rng = StdRng::seed_from_u64(99);
    let mut interrupted = 0;
    for case in 0..24 {
        let model = Model::new(&plan, SEED, Faults::default(), 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let halt = rng.random_range(1..writes);
        match case % 3 {
            0 => assert!(halted(&run_halting(&model, &plan, &path, Options::default(), halt).await)),
            1 => crash_during_call(&model, &plan, &path, rng.random_range(1..calls)).await,
            _ => {
                // Crashes twice: the resume itself dies, and resumes again.
                assert!(halted(&run_halting(&model, &plan, &path, Options::default(), halt).await));
                let again = rng.random_range(1..writes / 2);
                let _ = run_halting(&model, &plan, &path, Options::default(), again).await;
            }
        }
        interrupted += cutover_journal::Journal::open(&path)
            .map(|j| j.actions(None).unwrap().iter().filter(|a| a.outcome.is_none()).count())
            .unwrap_or(0);
        let report = run(&model, &plan, &path, Options::default()).await.unwrap();
        let world = model.world();
        assert!(world.violations.is_empty(), "case {case} (halt {halt}): {:?}", world.violations);
        drop(world);
        assert_eq!(model.summary(&plan), placed, "case {case} (halt {halt})");
        let results: Vec<_> = report.servers.iter().map(|s| (&s.old_id, s.result)).collect();
        let wanted: Vec<_> = expected.servers.iter().map(|s| (&s.old_id, s.result)).collect();
        assert_eq!(results, wanted, "case {case}");
    }
    assert!(interrupted > 0, "some crashes fell between an intent and its outcome");
}

#[tokio::test(start_paused = true)]
async fn a_crash_under_faults_still_ends_moved_or_rolled_back() {
    let plan = plan(2, 4, 0);
    let faults = Faults { call_fails: 0.08, reply_lost: 0.05, snapshot_killed: 0.1, ..Faults::default() };
    for seed in 0..4 {
        let model = Model::new(&plan, seed, faults.clone(), 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let _ = run_halting(&model, &plan, &path, Options::default(), 40 + seed * 37).await;
        let report = run(&model, &plan, &path, Options::default()).await.unwrap();
        let violations = model.world().violations.clone();
        assert!(violations.is_empty(), "seed {seed}: {violations:?}");
        assert_eq!(report.totals.moved + report.totals.rolled_back, report.totals.servers, "{:#?}", report.servers);
    }
}
