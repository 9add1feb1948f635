//! Runs on clouds that misbehave: calls failing before or after they reach
//! the cloud, observations failing or missing servers, snapshots killed, a
//! new host whose boots all fail. Every server still ends moved or rolled
//! back (restored in the drained old region: its host takes servers again
//! for the boot, and is disabled again after), and no guarantee is broken
//! on the way.

use cutover_engine::{Options, Outcome};

use crate::model::{Faults, Model};
use crate::scenario::{plan, run};

fn faults() -> Faults {
    Faults {
        call_fails: 0.07,
        reply_lost: 0.03,
        observe_fails: 0.05,
        server_unobserved: 0.05,
        snapshot_killed: 0.15,
        bad_new_host: Some("new-2".into()),
    }
}

#[tokio::test(start_paused = true)]
async fn every_server_ends_moved_or_rolled_back_under_faults() {
    let mut rolled_back = 0;
    let mut enabled = 0;
    for seed in 0..4 {
        let plan = plan(2, 6, 1);
        let model = Model::new(&plan, seed, faults(), 3);
        let dir = tempfile::tempdir().unwrap();
        let report = run(&model, &plan, &dir.path().join("j"), Options::default()).await.unwrap();
        let world = model.world();
        assert!(world.violations.is_empty(), "seed {seed}: {:?}", world.violations);
        assert_eq!(world.disabled.len(), plan.hosts.len(), "seed {seed}: every old host disabled at the end");
        assert!(report.hosts_enabled_for_rebuild.is_empty());
        enabled += world.host_events.iter().filter(|e| e.starts_with("enable")).count();
        drop(world);
        let summary = model.summary(&plan);
        for server in &report.servers {
            let placed = &summary[&server.old_id];
            match server.result {
                Outcome::Moved if server.strategy != cutover_core::machine::Strategy::Wait => {
                    assert!(placed.starts_with("rebuild New") && !placed.contains('+'), "seed {seed}: {placed}")
                }
                Outcome::Moved => {}
                Outcome::RolledBack => {
                    rolled_back += 1;
                    assert!(placed.contains("Old ACTIVE") || placed.contains("Old SHUTOFF"), "seed {seed}: {placed}");
                    assert!(!placed.contains("New"), "nothing left in the new region: {placed}");
                    assert!(server.reason.is_some());
                }
                other => panic!("seed {seed}: {} ended {other:?}: {:?}", server.old_id, server.reason),
            }
        }
    }
    assert!(rolled_back > 0, "the bad host made some boots fail");
    assert!(enabled > 0, "old hosts took servers again for the restores");
}
