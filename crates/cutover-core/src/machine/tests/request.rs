//! Rollbacks on request, step by step: what a request makes of a server at
//! each point of its move, and the routes that carry it out.

use super::model::{Clouds, BACK_SNAPSHOT, SRC};
use super::{kinds, plan, run, run_from};
use crate::machine::request::ON_REQUEST;
use crate::machine::*;
use crate::model::{ImageStatus, ServerStatus};

fn recorded(requested: Requested) -> ServerState {
    match requested {
        Requested::Recorded(state) => state,
        Requested::Nothing(why) => panic!("nothing to do: {why}"),
    }
}

/// The server is in the old region again with everything it had, and
/// nothing of it is left in the new one.
fn back_in_old(clouds: &Clouds, running: bool) -> String {
    assert!(clouds.new.is_empty(), "nothing left in the new region: {:?}", clouds.new);
    assert_eq!(clouds.old.len(), 1, "one server in the old region: {:?}", clouds.old);
    let (id, back) = clouds.old.iter().next().unwrap();
    assert_eq!(clouds.ports["port-1"].device_id, *id, "the same port");
    assert_eq!(clouds.volumes["vol-data"].attached_to, std::slice::from_ref(id), "the data volume");
    assert_eq!(clouds.floating["172.24.4.10"].as_ref(), Some(id), "the floating address");
    assert!(back.is(if running { ServerStatus::Active } else { ServerStatus::Shutoff }), "power state: {back:?}");
    id.to_string()
}

fn moved(strategy: Strategy) -> (ServerMove, Clouds, ServerState) {
    let plan = plan(strategy);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let (state, _) = run(&plan, &mut clouds);
    assert_eq!(state.end, Some(End::Moved));
    (plan, clouds, state)
}

fn rolled_back_on_request(state: &ServerState) -> bool {
    matches!(&state.end, Some(End::RolledBack { reason }) if reason.starts_with(ON_REQUEST))
}

#[test]
fn a_move_not_started_ends_at_once_and_changes_nothing() {
    let plan = plan(Strategy::Snapshot);
    let state = recorded(request(&plan, &ServerState::new(0), false, 5));
    assert!(rolled_back_on_request(&state), "{state:?}");
    let clouds = Clouds::with_source(ServerStatus::Active);
    let step = step(&plan, &state, &clouds.observe(), 6);
    assert!(step.actions.is_empty() && step.state == state, "a run leaves it alone");

    // An action in the journal means the clouds may have changed: the
    // request then waits for a step to look.
    let sent = recorded(request(&plan, &ServerState::new(0), true, 5));
    assert!(sent.rollback_requested && sent.end.is_none(), "{sent:?}");
}

#[test]
fn nothing_to_do_for_a_server_left_to_its_owner_or_already_back() {
    let wait = plan(Strategy::Wait);
    assert!(matches!(request(&wait, &ServerState::new(0), false, 1), Requested::Nothing(_)));
    let plan = plan(Strategy::Snapshot);
    let back = ServerState { end: Some(End::RolledBack { reason: "boot failed".into() }), ..ServerState::new(0) };
    assert_eq!(request(&plan, &back, true, 1), Requested::Nothing("already back in the old region".into()));
}

#[test]
fn a_move_under_way_turns_back_to_its_source() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let mut state = ServerState::new(0);
    // Stopped and snapshotted, the volume detached: then the request.
    for now in 1..4 {
        let step = step(&plan, &state, &clouds.observe(), now);
        step.actions.iter().for_each(|a| clouds.apply(a));
        state = step.state;
    }
    assert_eq!(state.stage(&plan), Some(Stage::DetachVolumes), "{state:?}");
    let asked = recorded(request(&plan, &state, true, 10));
    assert!(asked.rollback_requested);

    let blind = step(&plan, &asked, &Observation::default(), 11);
    assert!(blind.actions.is_empty() && blind.state == asked, "nothing decided unseen");

    let turned = step(&plan, &asked, &clouds.observe(), 12);
    assert_eq!((turned.state.route, turned.state.rollback_requested), (Route::BackToSource, false));
    assert_eq!(turned.state.reason.as_deref(), Some(ON_REQUEST));
    assert_eq!(
        turned.actions,
        [Action::AttachVolume { side: Side::Old, server: SRC.into(), volume: "vol-data".into() }]
    );
    turned.actions.iter().for_each(|a| clouds.apply(a));
    let (end, actions) = run_from(&plan, &mut clouds, turned.state, 13);
    assert!(rolled_back_on_request(&end), "{end:?}");
    assert_eq!(kinds(&actions), ["StartServer", "DeleteImage"]);
    assert_eq!(back_in_old(&clouds, true), SRC, "the source itself");
    assert!(clouds.images.is_empty(), "the snapshot no one needs is removed");
}

#[test]
fn a_request_while_the_source_is_being_deleted_waits_then_restores_from_the_copy() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let mut state = ServerState::new(0);
    while state.stage(&plan) != Some(Stage::DeleteSource) || clouds.old[SRC].task_state.is_none() {
        let step = step(&plan, &state, &clouds.observe(), 1);
        for action in &step.actions {
            match action {
                // The delete is accepted; Nova has not finished it.
                Action::DeleteServer { server, .. } => {
                    clouds.old.get_mut(server).unwrap().task_state = Some("deleting".into())
                }
                other => clouds.apply(other),
            }
        }
        state = step.state;
    }
    let asked = recorded(request(&plan, &state, true, 20));
    let waiting = step(&plan, &asked, &clouds.observe(), 21);
    assert!(waiting.actions.is_empty() && waiting.state.rollback_requested, "{waiting:?}");

    clouds.apply(&Action::DeleteServer { side: Side::Old, server: SRC.into() });
    let restoring = step(&plan, &waiting.state, &clouds.observe(), 22);
    assert_eq!(restoring.state.route, Route::Restore);
    let image = state.image.clone().unwrap().id;
    assert_eq!(restoring.actions, [Action::BootServer { side: Side::Old, source: BootSource::Image { id: image } }]);
    let (end, _) = run_from(&plan, &mut clouds, restoring.state, 23);
    assert!(rolled_back_on_request(&end), "{end:?}");
    assert_ne!(back_in_old(&clouds, true), SRC, "rebuilt from its snapshot");
}

#[test]
fn a_moved_snapshot_server_goes_back_through_a_fresh_snapshot_of_its_rebuild() {
    let (plan, mut clouds, state) = moved(Strategy::Snapshot);
    let rebuild = clouds.new.keys().next().unwrap().clone();
    let asked = recorded(request(&plan, &state, true, 100));
    assert!(asked.rollback_requested && asked.end.is_none());

    let first = step(&plan, &asked, &clouds.observe(), 101);
    assert_eq!((first.state.direction, first.state.route, first.state.at), (Direction::Back, Route::Forward, 0));
    assert_eq!(first.actions, [Action::StopServer { side: Side::New, server: rebuild.clone() }]);
    assert_eq!(first.state.image, None, "the move's snapshot is not the rebuild's copy");
    clouds.apply(&first.actions[0]);
    let snap = step(&plan, &first.state, &clouds.observe(), 102);
    assert_eq!(
        snap.actions,
        [Action::CreateImage { side: Side::New, server: rebuild.clone(), name: BACK_SNAPSHOT.into() }]
    );

    let (end, actions) = run_from(&plan, &mut clouds, snap.state, 103);
    assert!(rolled_back_on_request(&end), "{end:?}");
    assert_eq!(
        kinds(&actions),
        [
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
    let back = end.image.as_ref().map(|i| i.id.clone()).unwrap();
    assert!(actions.contains(&Action::BootServer { side: Side::Old, source: BootSource::Image { id: back } }));
    back_in_old(&clouds, true);
    assert!(clouds.images.is_empty(), "the snapshot going back is removed too");
    assert!(end.stopped_at.is_some() && end.verified_at.is_some(), "the downtime going back");
}

#[test]
fn a_moved_volume_server_boots_from_its_volume_in_the_old_region() {
    let (plan, mut clouds, state) = moved(Strategy::Volume);
    let asked = recorded(request(&plan, &state, true, 100));
    let (end, actions) = run_from(&plan, &mut clouds, asked, 101);
    assert!(rolled_back_on_request(&end), "{end:?}");
    assert!(!kinds(&actions).contains(&"CreateImage".to_string()), "no copy made: {actions:?}");
    assert!(
        actions.contains(&Action::BootServer { side: Side::Old, source: BootSource::Volume { id: "vol-root".into() } })
    );
    assert!(clouds.volumes.contains_key("vol-root"), "the root volume survived both ways");
    back_in_old(&clouds, true);
}

#[test]
fn a_redeployed_server_kept_stopped_is_brought_back() {
    let mut plan = plan(Strategy::Redeploy);
    plan.keep_source = true;
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    let (state, _) = run(&plan, &mut clouds);
    let asked = recorded(request(&plan, &state, true, 100));
    let (end, actions) = run_from(&plan, &mut clouds, asked, 101);
    assert!(rolled_back_on_request(&end), "{end:?}");
    assert_eq!(end.direction, Direction::Out, "back to the source it kept");
    assert_eq!(kinds(&actions), ["DeleteServer", "ClaimPort", "AttachVolume", "AddFloatingIp", "StartServer"]);
    assert_eq!(back_in_old(&clouds, true), SRC);
}

#[test]
fn a_redeployed_server_whose_source_is_gone_boots_its_image_before_its_rebuild_goes() {
    let (plan, mut clouds, state) = moved(Strategy::Redeploy);
    let asked = recorded(request(&plan, &state, true, 100));
    let (end, actions) = run_from(&plan, &mut clouds, asked, 101);
    assert!(rolled_back_on_request(&end), "{end:?}");
    let boot = actions
        .iter()
        .position(|a| {
            *a == Action::BootServer { side: Side::Old, source: BootSource::Image { id: "img-original".into() } }
        })
        .expect("the original image booted in the old region");
    let delete = actions.iter().position(|a| matches!(a, Action::DeleteServer { side: Side::New, .. })).unwrap();
    assert!(boot < delete, "make before break: {actions:?}");
    back_in_old(&clouds, true);
}

#[test]
fn a_stale_snapshot_of_an_earlier_move_back_is_deleted_first() {
    let (plan, mut clouds, state) = moved(Strategy::Snapshot);
    clouds.images.insert(
        "img-old".into(),
        ImageView { id: "img-old".into(), status: ImageStatus::Active, size: Some(1), checksum: Some("stale".into()) },
    );
    clouds.image_names.insert("img-old".into(), BACK_SNAPSHOT.into());
    let asked = recorded(request(&plan, &state, true, 100));
    let first = step(&plan, &asked, &clouds.observe(), 101);
    assert_eq!(first.actions, [Action::DeleteImage { image: "img-old".into() }]);
    assert!(first.state.rollback_requested, "taken once the image is gone");
    clouds.apply(&first.actions[0]);
    let (end, _) = run_from(&plan, &mut clouds, first.state, 102);
    assert!(rolled_back_on_request(&end));
    assert_ne!(end.image.map(|i| i.checksum), Some("stale".into()));
}

#[test]
fn a_move_back_whose_boot_fails_is_restored_in_the_new_region() {
    let (plan, mut clouds, state) = moved(Strategy::Snapshot);
    clouds.old_boot_fails = true;
    let asked = recorded(request(&plan, &state, true, 100));
    let (end, _) = run_from(&plan, &mut clouds, asked, 101);
    assert_eq!(end.end, Some(End::Moved), "{end:?}");
    assert_eq!((end.direction, end.route), (Direction::Back, Route::Restore));
    assert!(end.reason.as_deref().is_some_and(|r| r.contains("moving back to the old region failed")), "{end:?}");
    assert!(clouds.old.is_empty(), "the failed boot in the old region is deleted");
    let (id, server) = clouds.new.iter().next().expect("running in the new region again");
    assert!(server.is(ServerStatus::Active));
    assert_eq!(clouds.ports["port-1"].device_id, *id);
    assert_eq!(clouds.volumes["vol-data"].attached_to, std::slice::from_ref(id));

    // Asked again once the old region takes servers: it goes back this time.
    clouds.old_boot_fails = false;
    let again = recorded(request(&plan, &end, true, 300));
    let (end, _) = run_from(&plan, &mut clouds, again, 301);
    assert!(rolled_back_on_request(&end), "{end:?}");
    back_in_old(&clouds, true);
}

#[test]
fn a_move_back_whose_snapshots_fail_leaves_the_rebuild_running_where_it_was() {
    let (plan, mut clouds, state) = moved(Strategy::Snapshot);
    clouds.snapshots_fail = true;
    let asked = recorded(request(&plan, &state, true, 100));
    let (end, actions) = run_from(&plan, &mut clouds, asked, 101);
    assert_eq!((end.end.clone(), end.route), (Some(End::Moved), Route::BackToSource), "{end:?}");
    assert!(!actions.iter().any(|a| matches!(a, Action::DeleteServer { .. })), "{actions:?}");
    let (id, rebuild) = clouds.new.iter().next().unwrap();
    assert!(rebuild.is(ServerStatus::Active), "started again");
    assert_eq!(clouds.ports["port-1"].device_id, *id);
}

#[test]
fn a_rebuild_shut_off_in_the_new_region_comes_back_shut_off() {
    let (plan, mut clouds, state) = moved(Strategy::Volume);
    let id = clouds.new.keys().next().unwrap().clone();
    clouds.new.get_mut(&id).unwrap().status = ServerStatus::Shutoff;
    let asked = recorded(request(&plan, &state, true, 100));
    let (end, actions) = run_from(&plan, &mut clouds, asked, 101);
    assert!(rolled_back_on_request(&end));
    assert!(!actions.iter().any(|a| matches!(a, Action::StopServer { side: Side::New, .. })), "{actions:?}");
    assert_eq!(end.stopped_at, None, "cutover stopped nothing");
    back_in_old(&clouds, false);
}

#[test]
fn a_failed_rollback_is_tried_again_from_the_start_of_its_route() {
    let plan = plan(Strategy::Snapshot);
    let mut clouds = Clouds::with_source(ServerStatus::Active);
    clouds.new_boot_fails = true;
    clouds.old_boot_fails = true;
    let (failed, _) = run(&plan, &mut clouds);
    assert!(matches!(&failed.end, Some(End::Failed { reason }) if reason.contains("kept in image")), "{failed:?}");
    assert_eq!(failed.route, Route::Restore);

    // The old region takes servers again: the server in ERROR there goes first.
    clouds.old_boot_fails = false;
    let again = recorded(request(&plan, &failed, true, 200));
    assert_eq!((again.at, again.end.clone(), again.rollback_requested), (0, None, false));
    let (end, _) = run_from(&plan, &mut clouds, again, 201);
    assert!(matches!(end.end, Some(End::RolledBack { .. })), "{end:?}");
    back_in_old(&clouds, true);
}

#[test]
fn a_server_turning_back_already_is_left_on_its_way() {
    let plan = plan(Strategy::Volume);
    let state = ServerState { route: Route::Restore, at: 1, reason: Some("boot failed".into()), ..ServerState::new(0) };
    assert_eq!(request(&plan, &state, true, 5), Requested::Recorded(state.clone()));
    let back = ServerState { direction: Direction::Back, at: 2, ..ServerState::new(0) };
    assert_eq!(request(&plan, &back, true, 5), Requested::Recorded(back.clone()));
}

#[test]
fn a_request_on_a_blind_observation_of_a_moved_server_decides_nothing() {
    let (plan, clouds, state) = moved(Strategy::Redeploy);
    let asked = recorded(request(&plan, &state, true, 100));
    let blind = Observation { source: Seen::Unknown, ..clouds.observe() };
    let step = step(&plan, &asked, &blind, 101);
    assert!(step.actions.is_empty() && step.state == asked, "{step:?}");
}
