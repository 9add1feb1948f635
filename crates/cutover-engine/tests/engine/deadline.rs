//! The deadline of `wait`: servers still there when it passes move by the
//! plan's `after_deadline`, journaled so that a run resumed without a
//! deadline goes on with the move; the others are held.

use cutover_core::machine::Strategy;
use cutover_core::plan::Plan;
use cutover_engine::{Options, Outcome};

use crate::model::{Faults, Model};
use crate::scenario::{clock, halted, plan, run, run_halting};

/// Two old hosts of two servers; two `wait` servers on old-1, one of
/// them to be snapshotted if still there at the deadline.
fn waiting_plan() -> Plan {
    let mut plan = plan(2, 2, 2);
    let first_wait = plan.hosts[0].servers.iter_mut().find(|s| s.strategy == Strategy::Wait).expect("a wait server");
    first_wait.after_deadline = Some(Strategy::Snapshot);
    plan
}

fn deadline_in(model: &Model, secs: i64) -> Options {
    Options { deadline: Some(clock(model).now() + secs), ..Options::default() }
}

#[tokio::test(start_paused = true)]
async fn at_the_deadline_a_wait_server_moves_as_the_plan_says_and_one_without_is_held() {
    let plan = waiting_plan();
    let model = Model::new(&plan, 3, Faults::default(), 2);
    let dir = tempfile::tempdir().unwrap();
    let report = run(&model, &plan, &dir.path().join("j"), deadline_in(&model, 30)).await.unwrap();

    let converted = report.servers.iter().find(|s| s.old_id == "s03").unwrap();
    assert_eq!((converted.strategy, converted.result), (Strategy::Snapshot, Outcome::Moved), "{converted:?}");
    let held = report.servers.iter().find(|s| s.old_id == "s04").unwrap();
    assert_eq!((held.strategy, held.result), (Strategy::Wait, Outcome::Held), "{held:?}");
    assert!(model.summary(&plan)["s03"].starts_with("rebuild New ACTIVE"), "{:?}", model.summary(&plan));
    assert!(model.world().violations.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_run_stopped_after_the_conversion_resumes_the_move_without_a_deadline() {
    let plan = waiting_plan();
    let model = Model::new(&plan, 3, Faults::default(), 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    // The deadline has passed at the start: the first journal writes of
    // the run are its creation, the disabling of the two hosts (intent,
    // outcome, mark each), then the conversion.
    let stopped = run_halting(&model, &plan, &path, deadline_in(&model, -1), 8).await;
    assert!(halted(&stopped), "{stopped:?}");
    let journal = cutover_journal::Journal::open(&path).unwrap();
    let converted = journal.servers().unwrap().into_iter().find(|e| e.plan.source == "s03").unwrap();
    assert_eq!(converted.plan.strategy, Strategy::Snapshot, "the conversion is journaled");
    drop(journal);

    // Resumed with no deadline: s03 moves; s04 is still waited for, until
    // its owner deletes it.
    let report = run(&model, &plan, &path, Options::default()).await.unwrap();
    let moved = report.servers.iter().find(|s| s.old_id == "s03").unwrap();
    assert_eq!((moved.strategy, moved.result), (Strategy::Snapshot, Outcome::Moved), "{moved:?}");
    assert!(report.all_moved(), "{:#?}", report.servers);
}
