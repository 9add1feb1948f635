//! Whole runs: every strategy ends moved, with everything carried over;
//! the report says so; a finished journal runs again as a no-op; the
//! refusals change nothing.

use cutover_core::machine::Strategy;
use cutover_engine::{Error, Opened, Options, Outcome};

use crate::model::{Faults, Model};
use crate::scenario::{plan, run, run_halting};

#[tokio::test(start_paused = true)]
async fn every_strategy_ends_moved_with_everything_carried_over() {
    let plan = plan(3, 6, 2);
    let model = Model::new(&plan, 1, Faults::default(), 3);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("plan.journal");
    let report = run(&model, &plan, &journal, Options::default()).await.unwrap();

    assert!(report.all_moved(), "{:#?}", report.servers);
    assert_eq!(report.totals.servers, 20);
    let world = model.world();
    assert!(world.violations.is_empty(), "{:?}", world.violations);
    assert_eq!(world.disabled.iter().collect::<Vec<_>>(), ["old-1", "old-2", "old-3"], "every old host disabled");
    // One call observes every server in flight: not a poll per server.
    assert!(world.counters.observed_servers >= 5 * world.counters.observes, "batched observation");
    drop(world);

    for (id, placed) in model.summary(&plan) {
        let server = report.servers.iter().find(|s| s.old_id == id).unwrap();
        match server.strategy {
            Strategy::Wait => assert_eq!(placed, " images=0", "{id}: deleted by its owner"),
            _ => {
                assert!(placed.starts_with("rebuild New"), "{id}: {placed}");
                assert!(placed.ends_with("images=0"), "{id}: snapshot removed: {placed}");
                assert!(placed.contains("volumes=1") || placed.contains("volumes=2"), "{id}: {placed}");
                assert!(placed.contains("ports=1") || placed.contains("floating=1"), "{id}: {placed}");
                assert!(server.new_id.is_some(), "{id}: the rebuild's id is reported");
            }
        }
    }
    let shut_off = report.servers.iter().find(|s| s.old_id == "s03").unwrap();
    assert!(model.summary(&plan)["s03"].contains("SHUTOFF"), "a shut-off server stays off");
    assert_eq!(shut_off.downtime_secs, None, "cutover stopped nothing: no downtime of its making");
    let running = report.servers.iter().find(|s| s.old_id == "s04").unwrap();
    assert!(running.downtime_secs.is_some_and(|d| d > 0), "{running:?}");
    assert!(running.api_calls > running.actions as f64, "observations are counted too");
    assert!(report.totals.api_calls_per_moved_server.is_some());
    assert!(report.servers.iter().all(|s| s.interrupted == 0));
}

#[tokio::test(start_paused = true)]
async fn a_finished_journal_runs_again_without_a_call() {
    let plan = plan(1, 3, 0);
    let model = Model::new(&plan, 2, Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("plan.journal");
    let first = run(&model, &plan, &journal, Options::default()).await.unwrap();
    let calls = |model: &Model| {
        let world = model.world();
        (world.counters.executes, world.counters.observes)
    };
    let before = calls(&model);
    let again = run(&model, &plan, &journal, Options::default()).await.unwrap();
    assert_eq!(calls(&model), before);
    assert_eq!(first, again);
}

#[tokio::test(start_paused = true)]
async fn another_plan_on_the_journal_is_refused_and_nothing_changes() {
    let plan = plan(1, 2, 0);
    let model = Model::new(&plan, 3, Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("plan.journal");
    run_halting(&model, &plan, &journal, Options::default(), 5).await.unwrap_err();
    let before = std::fs::read(&journal).unwrap();

    let mut other = plan.clone();
    other.hosts[0].servers.pop();
    let error = Opened::open(&other, &journal).err().expect("refused");
    assert!(matches!(error, Error::OtherPlan { .. }) && error.is_refusal(), "{error}");
    assert!(error.to_string().contains("belongs to migration m1"), "{error}");

    let mut elsewhere = plan.clone();
    elsewhere.clouds.new_region = "RegionThree".into();
    assert!(matches!(Opened::open(&elsewhere, &journal), Err(Error::OtherPlan { .. })));

    let mut invalid = plan.clone();
    invalid.hosts[0].servers[1].server.id = invalid.hosts[0].servers[0].server.id.clone();
    let error = Opened::open(&invalid, &dir.path().join("new.journal")).err().expect("refused");
    assert!(error.to_string().contains("planned twice"), "{error}");
    assert!(!dir.path().join("new.journal").exists());
    assert_eq!(std::fs::read(&journal).unwrap(), before, "the journal is untouched");
}

#[tokio::test(start_paused = true)]
async fn a_second_engine_on_a_running_journal_is_refused() {
    let plan = plan(1, 3, 0);
    let model = Model::new(&plan, 4, Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("plan.journal");
    let first = run(&model, &plan, &journal, Options::default());
    let second = async {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        let calls = model.world().calls.len();
        let refused = Opened::open(&plan, &journal).err().expect("the first run holds the journal");
        assert_eq!(model.world().calls.len(), calls, "the refusal made no call");
        refused
    };
    let (first, refused) = tokio::join!(first, second);
    assert!(refused.is_refusal() && refused.to_string().contains("in use by another cutover run"), "{refused}");
    assert!(first.unwrap().servers.iter().all(|s| s.result == Outcome::Moved));
}
