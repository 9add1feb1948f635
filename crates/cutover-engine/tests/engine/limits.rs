//! The concurrency limits hold over a whole run, and are used: a server is
//! in flight from its first call to its last, and no instant has more in
//! flight (in total, per old host, per project) than allowed; the model
//! counts builds in the new region and snapshots per old host as they run.

use std::collections::BTreeMap;

use cutover_engine::{Limits, Options};

use crate::model::{CallRecord, Faults, Model};
use crate::scenario::{plan, run};

/// The most servers in flight at once, grouped by `key`.
fn peak(calls: &[CallRecord], key: impl Fn(&CallRecord) -> String) -> usize {
    let mut span: BTreeMap<&str, (usize, usize, String)> = BTreeMap::new();
    for (i, call) in calls.iter().enumerate() {
        span.entry(&call.source).or_insert((i, i, key(call))).1 = i;
    }
    (0..calls.len())
        .map(|i| {
            let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
            for (first, last, group) in span.values() {
                if *first <= i && i <= *last {
                    *groups.entry(group).or_default() += 1;
                }
            }
            groups.into_values().max().unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn no_limit_is_ever_exceeded_and_each_is_reached() {
    let plan = plan(3, 8, 0);
    let model = Model::new(&plan, 7, Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { total: Some(5), per_old_host: 2, per_new_host: 3, per_project: Some(2) };
    let report = run(&model, &plan, &dir.path().join("j"), Options { limits, ..Options::default() }).await.unwrap();
    assert!(report.all_moved());

    let world = model.world();
    assert!(world.violations.is_empty(), "{:?}", world.violations);
    let total = peak(&world.calls, |_| String::new());
    let host = peak(&world.calls, |c| c.host.clone().into());
    let project = peak(&world.calls, |c| c.project.clone().into());
    assert!(total <= 5 && host <= 2 && project <= 2, "total {total}, per host {host}, per project {project}");
    assert_eq!((host, project), (2, 2), "the limits are used, not just kept");
    assert!(total >= 4, "several hosts and projects move at once: {total}");
    assert!(world.counters.max_new_builds <= 3, "builds {}", world.counters.max_new_builds);
    assert!(world.counters.max_snapshots_per_host <= 2);
}

#[tokio::test(start_paused = true)]
async fn builds_in_the_new_region_wait_for_a_slot() {
    let plan = plan(4, 5, 0);
    let model = Model::new(&plan, 8, Faults::default(), 2);
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { total: None, per_old_host: 5, per_new_host: 1, per_project: None };
    let report = run(&model, &plan, &dir.path().join("j"), Options { limits, ..Options::default() }).await.unwrap();
    assert!(report.all_moved());
    let world = model.world();
    assert_eq!(world.counters.max_new_builds, 2, "one build per new host at once, and both are used");
}
