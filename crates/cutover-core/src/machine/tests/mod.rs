//! The server machine step by step, and whole moves against a tiny model of
//! the clouds that carries out actions at once. The safety rules are checked
//! after every step.

mod host;
mod model;
mod properties;
mod request;

use super::invariants::may_delete_source;
use super::*;
use crate::model::{ImageStatus, ServerStatus};
use model::{server, Clouds, SRC};

pub(super) fn plan(strategy: Strategy) -> ServerMove {
    ServerMove {
        source: SRC.into(),
        strategy,
        snapshot_name: "cutover-m1-src-1".into(),
        was_shutoff: false,
        image: Some("img-original".into()),
        root_volume: (strategy == Strategy::Volume).then(|| "vol-root".into()),
        data_volumes: vec!["vol-data".into()],
        ports: vec!["port-1".into()],
        floating_addresses: vec!["172.24.4.10".into()],
        tags: Vec::new(),
        deleted_with_server: Vec::new(),
        keep_snapshot: false,
        keep_source: false,
        boot_timeout_secs: 600,
        snapshot_attempts: 3,
        restore_attempts: 3,
        restore_retry_secs: 10,
    }
}

/// Runs a move to its end, checking the safety rules after every step.
fn run(plan: &ServerMove, clouds: &mut Clouds) -> (ServerState, Vec<Action>) {
    run_from(plan, clouds, ServerState::new(0), 1)
}

/// Runs from `state` at time `from` until the move ends.
fn run_from(plan: &ServerMove, clouds: &mut Clouds, mut state: ServerState, from: i64) -> (ServerState, Vec<Action>) {
    let mut all = Vec::new();
    for now in from..from + 100 {
        let obs = clouds.observe();
        let step = step(plan, &state, &obs, now);
        for action in &step.actions {
            if deletes_source(&step.state, &obs, action) {
                assert_eq!(may_delete_source(plan, &step.state, &obs), Ok(()), "deleted without a copy");
            }
            clouds.apply(action);
        }
        all.extend(step.actions);
        state = step.state;
        if state.end.is_some() {
            return (state, all);
        }
    }
    panic!("the move did not end: {state:?}");
}

/// Whether `action` deletes the server the move takes its copy of: the
/// source going out, its rebuild in the new region going back.
pub(super) fn deletes_source(state: &ServerState, obs: &Observation, action: &Action) -> bool {
    match (action, state.direction) {
        (Action::DeleteServer { side: Side::Old, server }, Direction::Out) => server == SRC,
        (Action::DeleteServer { side: Side::New, server }, Direction::Back) => {
            state.route == Route::Forward && obs.target.present().is_some_and(|t| t.id == *server)
        }
        _ => false,
    }
}

fn kinds(actions: &[Action]) -> Vec<String> {
    actions.iter().map(|a| format!("{a:?}").split([' ', '{']).next().unwrap().to_string()).collect()
}

#[test]
fn a_snapshot_move_step_by_step() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let state = ServerState::new(0);

    let first = step(&plan, &state, &clouds.observe(), 10);
    assert_eq!(first.actions, [Action::StopServer { side: Side::Old, server: SRC.into() }]);
    assert_eq!(first.state.stage(&plan), Some(Stage::Stop));
    assert_eq!(first.state.stopped_at, Some(10));

    // Nothing changed yet: the same stage, no new stop (Nova is busy).
    clouds.old.get_mut(SRC).unwrap().task_state = Some("powering-off".into());
    let waiting = step(&plan, &first.state, &clouds.observe(), 11);
    assert!(waiting.actions.is_empty());

    clouds.old.insert(SRC.into(), server(SRC, ServerStatus::Shutoff));
    let snap = step(&plan, &waiting.state, &clouds.observe(), 12);
    assert_eq!(
        snap.actions,
        [Action::CreateImage { side: Side::Old, server: SRC.into(), name: "cutover-m1-src-1".into() }]
    );

    clouds.images.insert(
        "img-9".into(),
        ImageView { id: "img-9".into(), status: ImageStatus::Saving, size: None, checksum: None },
    );
    let saving = step(&plan, &snap.state, &clouds.observe(), 13);
    assert!(saving.actions.is_empty(), "waits for the upload");
    assert_eq!(saving.state.image, None);

    clouds.images.insert(
        "img-9".into(),
        ImageView {
            id: "img-9".into(),
            status: ImageStatus::Active,
            size: Some(4096),
            checksum: Some("c0ffee".into()),
        },
    );
    let detach = step(&plan, &saving.state, &clouds.observe(), 14);
    assert_eq!(detach.state.image, Some(ImageCopy { id: "img-9".into(), size: 4096, checksum: "c0ffee".into() }));
    assert_eq!(kinds(&detach.actions), ["DetachVolume"]);
    assert_eq!(detach.state.stage(&plan), Some(Stage::DetachVolumes));
}

#[test]
fn a_snapshot_move_ends_moved_with_everything_carried_over() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let (state, actions) = run(&plan, &mut clouds);
    assert_eq!(state.end, Some(End::Moved));
    assert_eq!(
        kinds(&actions),
        [
            "StopServer",
            "CreateImage",
            "DetachVolume",
            "ReleasePort",
            "DeleteServer",
            "BootServer",
            "AttachVolume",
            "AddFloatingIp",
            "DeleteImage"
        ]
    );
    let new = clouds.new.keys().next().unwrap().clone();
    assert!(clouds.old.is_empty(), "the source is gone");
    assert_eq!(clouds.ports["port-1"].device_id, new, "the same port");
    assert_eq!(clouds.volumes["vol-data"].attached_to, std::slice::from_ref(&new));
    assert_eq!(clouds.floating["172.24.4.10"], Some(new));
    assert!(clouds.images.is_empty(), "the snapshot is removed unless kept");
    assert!(state.verified_at.is_some() && state.stopped_at.is_some());
}

/// A redeploy deletes its source after the rebuild took the source's port,
/// and Nova's delete unbinds the port by id: the last stage gives it back.
#[test]
fn a_redeploy_gives_the_port_back_to_the_rebuild_after_deleting_the_source() {
    let plan = plan(Strategy::Redeploy);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let (state, actions) = run(&plan, &mut clouds);
    assert_eq!(state.end, Some(End::Moved));
    let new = clouds.new.keys().next().unwrap().clone();
    let delete = kinds(&actions).iter().position(|k| k == "DeleteServer").expect("the source is deleted");
    assert_eq!(kinds(&actions).last().map(String::as_str), Some("ClaimPort"), "{actions:?}");
    assert!(kinds(&actions)[..delete].iter().all(|k| k != "ClaimPort"), "only once the source is gone");
    assert_eq!(
        actions.last(),
        Some(&Action::ClaimPort { side: Side::New, port: "port-1".into(), server: new.clone() })
    );
    assert_eq!(clouds.ports["port-1"].device_id, new, "the same port, the rebuild's");
}

#[test]
fn a_shut_off_server_is_not_stopped_and_stays_off() {
    let mut plan = plan(Strategy::Snapshot);
    plan.was_shutoff = true;
    plan.keep_snapshot = true;
    let mut clouds = Clouds::with_source(ServerStatus::Shutoff);
    let (state, actions) = run(&plan, &mut clouds);
    assert_eq!(state.end, Some(End::Moved));
    assert_eq!(kinds(&actions).iter().filter(|k| *k == "StopServer").count(), 1, "only the rebuild is stopped");
    assert!(clouds.new.values().all(|s| s.is(ServerStatus::Shutoff)));
    assert_eq!(clouds.images.len(), 1, "the snapshot is kept");
    assert_eq!(state.stopped_at, None, "cutover caused no downtime");
}

#[test]
fn a_failed_boot_restores_the_server_in_the_old_region() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    clouds.new_boot_fails = true;
    let (state, _) = run(&plan, &mut clouds);
    assert!(matches!(&state.end, Some(End::RolledBack { reason }) if reason.contains("ERROR")), "{state:?}");
    assert!(clouds.new.is_empty(), "the failed rebuild is deleted");
    let restored = clouds.old.keys().next().expect("rebuilt in the old region").clone();
    assert_eq!(clouds.ports["port-1"].device_id, restored);
    assert_eq!(clouds.volumes["vol-data"].attached_to, std::slice::from_ref(&restored));
    assert_eq!(clouds.floating["172.24.4.10"], Some(restored));
    assert!(clouds.images.is_empty(), "the snapshot is removed once the restore is verified");
}

#[test]
fn snapshots_that_keep_failing_turn_back_to_the_untouched_source() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    clouds.snapshots_fail = true;
    let (state, actions) = run(&plan, &mut clouds);
    assert!(matches!(&state.end, Some(End::RolledBack { reason }) if reason.contains("killed 3 times")), "{state:?}");
    assert_eq!(kinds(&actions).iter().filter(|k| *k == "CreateImage").count(), 3);
    assert!(clouds.old[SRC].is(ServerStatus::Active), "started again, as it was");
    assert_eq!(clouds.volumes["vol-data"].attached_to, [SRC.to_string()]);
    assert!(!kinds(&actions).contains(&"DeleteServer".to_string()));
}

#[test]
fn a_volume_move_keeps_the_root_volume_and_boots_from_it() {
    let plan = plan(Strategy::Volume);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let (state, actions) = run(&plan, &mut clouds);
    assert_eq!(state.end, Some(End::Moved));
    let keep = kinds(&actions).iter().position(|k| k == "KeepRootVolume").expect("root kept");
    let delete = kinds(&actions).iter().position(|k| k == "DeleteServer").expect("source deleted");
    assert!(keep < delete);
    assert!(clouds.volumes.contains_key("vol-root"), "the root volume survived");
    assert!(
        actions.contains(&Action::BootServer { side: Side::New, source: BootSource::Volume { id: "vol-root".into() } })
    );
}

#[test]
fn a_redeploy_deletes_the_source_only_after_the_new_server_is_verified() {
    let plan = plan(Strategy::Redeploy);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let (state, actions) = run(&plan, &mut clouds);
    assert_eq!(state.end, Some(End::Moved));
    let boot = kinds(&actions).iter().position(|k| k == "BootServer").unwrap();
    let delete = kinds(&actions).iter().position(|k| k == "DeleteServer").unwrap();
    assert!(boot < delete);
    assert!(actions
        .contains(&Action::BootServer { side: Side::New, source: BootSource::Image { id: "img-original".into() } }));
    assert!(clouds.old.is_empty());

    let mut keep = plan.clone();
    keep.keep_source = true;
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    run(&keep, &mut clouds);
    assert!(clouds.old[SRC].is(ServerStatus::Shutoff), "kept, stopped");
}

#[test]
fn wait_only_watches() {
    let plan = plan(Strategy::Wait);
    let clouds = Clouds::with_source(ServerStatus::Active);
    let state = ServerState::new(0);
    let watching = step(&plan, &state, &clouds.observe(), 1);
    assert!(watching.actions.is_empty());
    assert_eq!(watching.state.stage(&plan), Some(Stage::Watch));
    let gone = Observation { source: Seen::Absent, ..clouds.observe() };
    assert_eq!(step(&plan, &watching.state, &gone, 2).state.end, Some(End::Moved));
}

#[test]
fn nothing_is_decided_on_what_was_not_observed() {
    let plan = plan(Strategy::Snapshot);
    let step = step(&plan, &ServerState::new(0), &Observation::default(), 1);
    assert!(step.actions.is_empty());
    assert_eq!(step.state, ServerState::new(0));
}

#[test]
fn the_source_is_never_deleted_without_a_recorded_snapshot() {
    let plan = plan(Strategy::Snapshot);
    let mut state = ServerState::new(0);
    state.at = 4; // DeleteSource, as a corrupted journal might claim
    let mut clouds = Clouds::with_source(ServerStatus::Shutoff);
    clouds.apply(&Action::DetachVolume { side: Side::Old, server: SRC.into(), volume: "vol-data".into() });
    clouds.apply(&Action::ReleasePort { port: "port-1".into() });
    let step = step(&plan, &state, &clouds.observe(), 1);
    assert!(!kinds(&step.actions).contains(&"DeleteServer".to_string()), "{step:?}");
    assert_eq!(step.state.route, Route::BackToSource);
}

#[test]
fn a_boot_that_hangs_is_rolled_back_after_the_timeout() {
    let plan = plan(Strategy::Volume);
    let mut state = ServerState::new(0);
    state.at = 5; // Boot
    state.since = 100;
    let mut obs = Clouds::with_source(ServerStatus::Shutoff).observe();
    obs.source = Seen::Absent;
    obs.target =
        Seen::Present(ServerView { task_state: Some("spawning".into()), ..server("new-1", ServerStatus::Build) });
    assert!(step(&plan, &state, &obs, 650).actions.is_empty());
    let late = step(&plan, &state, &obs, 701);
    assert_eq!(late.state.route, Route::Restore);
    assert_eq!(late.actions, [Action::DeleteServer { side: Side::New, server: "new-1".into() }]);
}

#[test]
fn tags_a_region_could_not_take_at_boot_are_set_once_the_rebuild_runs() {
    let mut plan = plan(Strategy::Volume);
    plan.tags = vec!["web".into(), "prod".into()];
    let mut state = ServerState::new(0);
    state.at = 5; // Boot
    let mut obs = Clouds::with_source(ServerStatus::Shutoff).observe();
    obs.source = Seen::Absent;
    obs.target = Seen::Present(ServerView { tags: Some(Vec::new()), ..server("new-1", ServerStatus::Active) });
    let step = step(&plan, &state, &obs, 1);
    let set = Action::SetTags { side: Side::New, server: "new-1".into(), tags: plan.tags.clone() };
    assert_eq!((step.state.at, step.actions), (5, vec![set]));
    obs.target = Seen::Present(ServerView {
        tags: Some(vec!["prod".into(), "web".into()]),
        ..server("new-1", ServerStatus::Active)
    });
    assert_eq!(step_at(&plan, &state, &obs), 6, "tagged: booted");
    // A region that shows no tags (below 2.26) cannot take any.
    obs.target = Seen::Present(server("new-1", ServerStatus::Active));
    assert_eq!(step_at(&plan, &state, &obs), 6);
}

fn step_at(plan: &ServerMove, state: &ServerState, obs: &Observation) -> usize {
    let step = step(plan, state, obs, 1);
    step.state.at
}

/// A volume move at its boot in the new region, its source deleted.
fn at_boot_source_gone() -> (ServerMove, ServerState, Observation) {
    let mut state = ServerState::new(0);
    state.at = 5; // Boot
    let mut obs = Clouds::with_source(ServerStatus::Shutoff).observe();
    obs.source = Seen::Absent;
    obs.target = Seen::Absent;
    (plan(Strategy::Volume), state, obs)
}

#[test]
fn a_refused_boot_is_restored_where_it_was_in_the_same_step() {
    let (plan, state, mut obs) = at_boot_source_gone();
    let reason = "the boot was refused: 400 Bad Request: The requested availability zone is not available";
    obs.refused = Some(Refused { at: state.place(), reason: reason.into() });
    let step = step(&plan, &state, &obs, 1);
    assert_eq!(step.state.route, Route::Restore);
    assert!(step.state.reason.as_deref().is_some_and(|r| r.contains("availability zone")), "{step:?}");
    // The refusal was the new region's: the old one is asked at once.
    let boot = Action::BootServer { side: Side::Old, source: BootSource::Volume { id: "vol-root".into() } };
    assert_eq!(step.actions, [boot]);
}

#[test]
fn a_refusal_met_at_another_stage_breaks_nothing() {
    let (plan, state, mut obs) = at_boot_source_gone();
    let mut earlier = state.place();
    earlier.at = 4;
    obs.refused = Some(Refused { at: earlier, reason: "stale".into() });
    let step = step(&plan, &state, &obs, 1);
    assert_eq!((step.state.route, step.state.at), (Route::Forward, 5), "{step:?}");
}

#[test]
fn a_restore_the_old_region_refuses_is_tried_again_later_then_fails_saying_what_to_run() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    clouds.new_boot_fails = true;
    clouds.old_boot_fails = true;
    let mut state = ServerState::new(0);
    let mut retries = Vec::new();
    for now in 1..1000 {
        let obs = clouds.observe();
        let step = step(&plan, &state, &obs, now);
        step.actions.iter().for_each(|a| clouds.apply(a));
        if let Some(at) = step.state.retry_at.filter(|_| step.state.retry_at != state.retry_at) {
            retries.push(at - now);
        }
        state = step.state;
        if state.end.is_some() {
            break;
        }
    }
    // Two retries (three attempts in all), 10 s then 20 s later.
    assert_eq!(retries, [10, 20]);
    let Some(End::Failed { reason }) = &state.end else { panic!("{state:?}") };
    assert!(reason.contains("the rebuild went to ERROR"), "{reason}");
    assert!(reason.contains("turning back failed 3 time(s)"), "{reason}");
    assert!(reason.contains("the disk is kept in image"), "{reason}");
    assert!(reason.contains("`cutover rollback PLAN src-1` tries again"), "{reason}");
    assert!(clouds.old.values().all(|s| s.id == SRC || s.is(ServerStatus::Error)) && clouds.old.len() <= 1);
}

#[test]
fn a_restore_that_passes_on_a_retry_ends_rolled_back() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    clouds.new_boot_fails = true;
    clouds.old_boot_fails = true;
    let mut state = ServerState::new(0);
    for now in 1..1000 {
        if state.turn_back_failures == 1 {
            clouds.old_boot_fails = false; // a host freed in the old region
        }
        let obs = clouds.observe();
        let step = step(&plan, &state, &obs, now);
        step.actions.iter().for_each(|a| clouds.apply(a));
        state = step.state;
        if state.end.is_some() {
            break;
        }
    }
    assert!(matches!(state.end, Some(End::RolledBack { .. })), "{state:?}");
    assert_eq!(clouds.old.len(), 1, "one server back, the ERROR one deleted: {:?}", clouds.old);
    assert!(clouds.old.values().all(|s| s.is(ServerStatus::Active)));
}

#[test]
fn only_a_server_the_move_took_out_of_service_is_exposed() {
    let plan = plan(Strategy::Snapshot);
    let mut state = ServerState::new(0);
    assert!(!state.exposed(&plan), "not started");
    state.stopped_at = Some(1);
    assert!(state.exposed(&plan), "stopped by cutover");
    state.at =
        server::stages(Strategy::Snapshot, Route::Forward).iter().position(|s| *s == Stage::RemoveSnapshot).unwrap();
    assert!(!state.exposed(&plan), "verified in the new region");
    state.route = Route::Restore;
    state.at = 1;
    assert!(state.exposed(&plan), "being restored");
}

#[test]
fn a_state_an_older_cutover_journaled_still_reads() {
    let old = r#"{"route":"restore_in_old","at":1,"end":null,"image":null,"failed_snapshots":0,"since":5,
                  "stopped_at":null,"verified_at":null,"reason":"boot failed"}"#;
    let state: ServerState = serde_json::from_str(old).unwrap();
    assert_eq!((state.route, state.direction, state.rollback_requested), (Route::Restore, Direction::Out, false));
    let written = serde_json::to_value(ServerState::new(0)).unwrap();
    assert!(written.get("direction").is_none() && written.get("rollback_requested").is_none(), "{written}");
    let create: Action = serde_json::from_str(r#"{"action":"create_image","server":"s","name":"n"}"#).unwrap();
    assert_eq!(create, Action::CreateImage { side: Side::Old, server: "s".into(), name: "n".into() });
}

/// What the model's source deletes with it: its data volume, and its root
/// volume when it boots from one.
fn deleting_volumes(strategy: Strategy) -> ServerMove {
    let mut plan = plan(strategy);
    plan.deleted_with_server = plan.root_volume.iter().cloned().chain(["vol-data".into()]).collect();
    plan
}

#[test]
fn volumes_deleted_with_the_source_are_deleted_with_its_rebuild_once_verified() {
    for strategy in [Strategy::Snapshot, Strategy::Volume, Strategy::Redeploy] {
        let plan = deleting_volumes(strategy);
        let mut clouds = Clouds::with_source(ServerStatus::Active);
        let (state, actions) = run(&plan, &mut clouds);
        assert_eq!(state.end, Some(End::Moved), "{strategy:?}");
        let new = clouds.new.keys().next().unwrap().clone();
        for volume in &plan.deleted_with_server {
            assert!(clouds.deletes_with(&new, volume), "{strategy:?}: {volume} goes with the rebuild");
        }
        // Only a redeploy's port, which the source's delete unbound, is given back after.
        let first = kinds(&actions).iter().position(|k| k == "DeleteWithServer").expect("set again");
        let late = |k: &String| k == "DeleteWithServer" || (strategy == Strategy::Redeploy && k == "ClaimPort");
        assert!(kinds(&actions)[first..].iter().all(late), "last: {actions:?}");
    }
}

#[test]
fn a_rollback_sets_delete_on_termination_back_on_the_server_in_the_old_region() {
    let plan = deleting_volumes(Strategy::Volume);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    clouds.new_boot_fails = true;
    let (state, _) = run(&plan, &mut clouds);
    assert!(matches!(state.end, Some(End::RolledBack { .. })), "{state:?}");
    let (restored, _) = clouds.old.iter().next().expect("restored in the old region");
    assert!(clouds.deletes_with(restored, "vol-root") && clouds.deletes_with(restored, "vol-data"));
    assert!(clouds.volumes.contains_key("vol-root"), "the failed rebuild's delete took no volume");
}
