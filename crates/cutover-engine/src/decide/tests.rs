//! The run's decisions on their own: admission within the limits, room in
//! the new region, holds, failures and their backoff, when to look again;
//! no cloud, no journal, time handed in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::server::stages;
use cutover_core::machine::{
    Direction, ImageCopy, Observation, Refused, Route, Seen, ServerState, ServerView, Side, Stage, Strategy,
};
use cutover_core::model::ServerStatus;
use cutover_core::plan::{CloudsRef, HostPlan, Options as PlanOptions, Plan, ServerPlan, ServerRecord, PLAN_VERSION};
use cutover_core::readiness::{Headroom, Offer};
use cutover_core::room::{HostRoom, Load, Room};
use tokio::time::Instant;

use super::server::ServerDecision;
use super::{Counted, Intent, Lifecycle, RunState, Save, Tracked};
use crate::driver::NewRegion;
use crate::limits::{Limits, Slots};
use crate::options::Options;
use crate::phase::Phase;

/// What each planned server needs of a new host.
const SERVER: Load = Load { vcpus: 2, ram_mib: 4096, disk_gib: 20 };

fn record(id: &str, host: &str, project: &str) -> ServerRecord {
    ServerRecord {
        id: id.into(),
        name: id.into(),
        project_id: project.into(),
        user_id: "u".into(),
        host: host.into(),
        availability_zone: None,
        status: ServerStatus::Active,
        flavor_id: "f1".into(),
        image_id: Some("img".into()),
        key_name: None,
        user_data: None,
        metadata: BTreeMap::new(),
        tags: vec![],
        description: None,
        server_group: None,
        security_groups: vec![],
        ports: vec![],
        fixed_networks: vec![],
        volumes: vec![],
        floating_ips: vec![],
        config_drive: false,
        ephemeral_gib: 0,
        swap_mib: 0,
    }
}

/// Old hosts `old-1`, `old-2`, ... with the servers of `per_host` (their
/// projects), snapshot moves each needing [`SERVER`].
pub(super) fn plan(per_host: &[&[&str]]) -> Plan {
    let mut n = 0;
    let hosts = per_host
        .iter()
        .enumerate()
        .map(|(h, projects)| {
            let name = format!("old-{}", h + 1);
            let servers = projects
                .iter()
                .map(|project| {
                    n += 1;
                    ServerPlan {
                        strategy: Strategy::Snapshot,
                        why: "test".into(),
                        warnings: vec![],
                        server: record(&format!("s{n}"), &name, project),
                        needs: Some(SERVER),
                        after_deadline: None,
                    }
                })
                .collect();
            HostPlan { name: name.into(), on_empty: None, servers }
        })
        .collect();
    Plan {
        version: PLAN_VERSION,
        migration: "m1".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        clouds: CloudsRef {
            cloud: "c".into(),
            auth_url: "http://k/v3".into(),
            old_region: "RegionOne".into(),
            new_region: "RegionTwo".into(),
        },
        options: PlanOptions::default(),
        hosts,
        unplanned: vec![],
    }
}

/// A fresh run of `plan`: nothing started, the new region counted with
/// `room` (`None`: no figures) at `at`.
pub(super) fn run_state(plan: Plan, options: Options, room: Option<Room>, at: Instant) -> RunState {
    let mut servers = Vec::new();
    for (h, host) in plan.hosts.iter().enumerate() {
        for (s, planned) in host.servers.iter().enumerate() {
            servers.push(Tracked::new(
                (h, s),
                &host.name,
                planned,
                plan.server_move(planned),
                ServerState::new(0),
                false,
                Default::default(),
            ));
        }
    }
    let region = NewRegion { hosts: 1, enabled: BTreeSet::new(), room };
    RunState {
        plan: Arc::new(plan),
        options,
        servers,
        only: None,
        asked: None,
        new_region: Some(Counted { region, at, joined: 0 }),
        waiting_for_room: BTreeMap::new(),
        boots_waiting: 0,
        joining_taking: None,
        offer: None,
    }
}

pub(super) fn limits(total: Option<usize>, per_old_host: usize, per_project: Option<usize>) -> Options {
    Options { limits: Limits { total, per_old_host, per_new_host: 10, per_project }, ..Options::default() }
}

/// Room for `servers` servers on one new host of zone `nova`.
pub(super) fn room_for(servers: u64) -> Room {
    let free =
        Load { vcpus: SERVER.vcpus * servers, ram_mib: SERVER.ram_mib * servers, disk_gib: SERVER.disk_gib * servers };
    Room::new(vec![HostRoom { host: "new-1".into(), zone: "nova".into(), free }])
}

fn started(state: &RunState) -> Vec<&str> {
    state.servers.iter().filter(|t| t.lifecycle.started()).map(|t| t.plan.source.as_str()).collect()
}

fn held(state: &RunState) -> Vec<(&str, &str)> {
    state.servers.iter().filter_map(|t| Some((t.plan.source.as_str(), t.lifecycle.held()?))).collect()
}

#[test]
fn an_old_host_moves_at_most_its_limit_at_once() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 7]]), limits(None, 5, None), None, now);
    state.admit(now);
    assert_eq!(started(&state), ["s1", "s2", "s3", "s4", "s5"]);
    state.admit(now);
    assert_eq!(started(&state).len(), 5, "the started ones still hold their slots");
}

#[test]
fn the_total_and_the_per_project_limits_close_on_their_own() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["a", "a", "b"], &["a", "b", "b"]]), limits(Some(4), 5, Some(2)), None, now);
    state.admit(now);
    assert_eq!(
        started(&state),
        ["s1", "s2", "s3", "s5"],
        "project a is full after two (s4 waits), the total after four"
    );
}

#[test]
fn a_finished_move_frees_its_slot_for_the_next() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 3]]), limits(Some(1), 5, None), None, now);
    state.admit(now);
    assert_eq!(started(&state), ["s1"]);
    let mut moved = state.servers[0].state.clone();
    moved.end = Some(cutover_core::machine::End::Moved);
    state.servers[0].saved(moved, now);
    state.admit(now);
    assert_eq!(started(&state), ["s1", "s2"]);
}

#[test]
fn nothing_starts_before_the_new_region_was_counted() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 2]]), Options::default(), None, now);
    state.new_region = None;
    state.admit(now);
    assert!(started(&state).is_empty());
}

#[test]
fn no_move_starts_while_one_waits_for_a_build_slot() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 2]]), Options::default(), None, now);
    state.boots_waiting = 1;
    state.admit(now);
    assert!(started(&state).is_empty(), "it would only wait too, its server down");
}

#[test]
fn a_rollback_run_starts_only_the_servers_it_was_asked_for_without_a_count() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 3]]), Options::default(), None, now);
    state.new_region = None;
    state.only = Some([1].into_iter().collect());
    state.admit(now);
    assert_eq!(started(&state), ["s2"]);
}

#[test]
fn servers_left_to_their_owners_are_never_admitted() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 2]]), Options::default(), None, now);
    state.servers[0].plan.strategy = Strategy::Wait;
    state.admit(now);
    assert_eq!(started(&state), ["s2"]);
}

#[test]
fn with_room_for_one_host_the_region_drains_host_by_host() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 3], &["p"; 3]]), Options::default(), Some(room_for(4)), now);
    state.admit(now);
    assert_eq!(started(&state), ["s1", "s2", "s3"], "old-2's three do not fit beside old-1's");
    assert_eq!(state.waiting_for_room.keys().collect::<Vec<_>>(), ["old-2"]);
    assert_eq!(state.waiting_for_room["old-2"], Load { vcpus: 6, ram_mib: 12288, disk_gib: 60 });
}

#[test]
fn a_host_is_admitted_whole_or_not_at_all() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 2], &["p"]]), Options::default(), Some(room_for(1)), now);
    state.admit(now);
    assert_eq!(started(&state), ["s3"], "old-1's two do not fit; old-2's one does");
}

#[test]
fn a_region_without_room_figures_is_paced_by_the_limits_alone() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 3], &["p"; 3]]), Options::default(), None, now);
    state.admit(now);
    assert_eq!(started(&state).len(), 6);
    assert!(state.waiting_for_room.is_empty());
}

#[test]
fn what_waits_for_room_is_held_once_nothing_can_make_any() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 2]]), Options::default(), Some(room_for(1)), now);
    state.admit(now);
    assert!(started(&state).is_empty());
    state.hold_without_room(0, true, now);
    assert!(held(&state).is_empty(), "an old host may still bring room");
    state.hold_without_room(1, false, now);
    assert!(held(&state).is_empty(), "a host joined since the last count: count again first");
    state.hold_without_room(0, false, now);
    let held = held(&state);
    assert_eq!(held.len(), 2);
    assert!(held[0].1.starts_with("no room in RegionTwo for the servers of old-1"), "{}", held[0].1);
    assert!(state.waiting_for_room.is_empty());
}

#[test]
fn a_zone_without_a_host_in_the_new_region_is_named_as_the_cause() {
    let now = Instant::now();
    let mut plan = plan(&[&["p"]]);
    plan.hosts[0].servers[0].server.availability_zone = Some("az-fast".into());
    let mut state = run_state(plan, Options::default(), Some(room_for(4)), now);
    state.admit(now);
    state.hold_without_room(0, false, now);
    let why = held(&state)[0].1.to_string();
    assert!(why.starts_with("zone az-fast has no compute host taking servers in RegionTwo"), "{why}");
}

#[test]
fn a_move_whose_flavor_the_new_region_lacks_is_held_untouched() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 2]]), Options::default(), None, now);
    state.offer = Some(Offer { region: "RegionTwo".into(), flavors: Some(BTreeMap::new()), ..Offer::default() });
    state.admit(now);
    assert!(started(&state).is_empty());
    let held = held(&state);
    assert_eq!(held.len(), 2);
    assert!(held[0].1.contains("flavor f1 does not exist in RegionTwo"), "{}", held[0].1);
    assert!(state
        .servers
        .iter()
        .all(|t| matches!(t.lifecycle, Lifecycle::Held { at, started: false, .. } if at == now)));
}

#[test]
fn each_move_takes_its_quota_as_it_starts() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 3]]), Options::default(), None, now);
    let quota = Headroom { instances: Some(2), cores: None, ram_mib: None };
    state.offer = Some(Offer { region: "RegionTwo".into(), quotas: [("p".into(), quota)].into(), ..Offer::default() });
    state.admit(now);
    assert_eq!(started(&state), ["s1", "s2"]);
    assert!(held(&state)[0].1.contains("project p's Nova quota in RegionTwo is used up"), "{:?}", held(&state));
}

#[test]
fn a_failed_round_is_retried_later_with_a_growing_backoff() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    state.fail(0, false, "503".into(), now);
    let first = state.servers[0].retry_at.unwrap() - now;
    state.fail(0, false, "503".into(), now);
    let second = state.servers[0].retry_at.unwrap() - now;
    assert!(first > Duration::ZERO && second > first, "{first:?} then {second:?}");
    assert!(second <= state.options.poll.max);
    assert!(held(&state).is_empty());
}

#[test]
fn a_server_still_in_service_is_held_after_its_refusals() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    state.fail(0, true, "stop failed: 409".into(), now);
    assert!(held(&state).is_empty(), "once is not enough");
    state.fail(0, true, "stop failed: 409".into(), now);
    assert_eq!(held(&state), [("s1", "stop failed: 409 (2 times in a row)")]);
    assert!(matches!(state.servers[0].lifecycle, Lifecycle::Held { at, .. } if at == now));
}

#[test]
fn failures_that_may_pass_hold_only_after_more_rounds() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    for _ in 1..state.options.hold_after_failures {
        state.fail(0, false, "timeout".into(), now);
    }
    assert!(held(&state).is_empty());
    state.fail(0, false, "timeout".into(), now);
    assert_eq!(held(&state).len(), 1);
}

#[test]
fn a_server_out_of_service_is_given_back_to_its_machine_never_held_down() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    state.servers[0].state.stopped_at = Some(5);
    state.fail(0, true, "boot failed: 400".into(), now);
    state.fail(0, true, "boot failed: 400".into(), now);
    let t = &state.servers[0];
    assert!(t.lifecycle.held().is_none(), "a stopped server is never left held");
    let refused = t.refused.as_ref().expect("the stage is given up to the machine");
    assert_eq!(refused.reason, "boot failed: 400 (2 times in a row)");
    assert_eq!(t.failures, 0, "its count starts again for the way back");
}

#[test]
fn the_loop_wakes_for_the_earliest_retry_or_at_the_poll() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 3]]), Options::default(), None, now);
    let poll = Duration::from_secs(30);
    assert_eq!(state.next_wake(poll, now), poll);
    state.servers[0].retry_at = Some(now + Duration::from_secs(7));
    state.servers[1].retry_at = Some(now + Duration::from_secs(3));
    state.servers[1].hold("held".into(), now);
    state.servers[2].retry_at = Some(now - Duration::from_secs(1));
    assert_eq!(state.next_wake(poll, now), Duration::from_secs(7), "not a held server's, nor one already due");
}

#[test]
fn the_new_region_is_counted_again_when_due() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    assert!(!state.count_due(0, now + Duration::from_secs(59)));
    assert!(state.count_due(0, now + Duration::from_secs(60)), "every minute");
    assert!(state.count_due(1, now), "at once when an old host joined it");
    state.waiting_for_room.insert("old-1".into(), SERVER);
    assert!(state.count_due(0, now + Duration::from_secs(10)), "every 10 s while a host waits for room");
    state.new_region = None;
    assert!(state.count_due(0, now), "before any count");
}

#[test]
fn each_old_host_counts_its_moves_under_way_and_started() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 3], &["p"]]), Options::default(), None, now);
    state.servers[0].lifecycle = Lifecycle::UnderWay;
    state.servers[1].hold("held".into(), now);
    state.servers[2].plan.strategy = Strategy::Wait;
    let moves = state.host_moves();
    assert_eq!(
        (moves["old-1"].in_flight, moves["old-1"].started),
        (2, 2),
        "held is not in flight; wait counts as started"
    );
    assert_eq!((moves["old-2"].in_flight, moves["old-2"].started), (1, 0));
}

#[test]
fn an_old_host_is_needed_only_for_a_boot_there_on_a_host_the_run_disabled() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"], &["p"], &["p"]]), Options::default(), None, now);
    let boot = stages(Strategy::Snapshot, Route::Forward).iter().position(|s| *s == Stage::Boot).unwrap();
    for t in &mut state.servers {
        t.state.at = boot;
        t.state.direction = Direction::Back;
    }
    state.servers[2].state.direction = Direction::Out; // booting in the new region
    let disabled: BTreeSet<HostName> = ["old-1".into(), "old-3".into()].into();
    assert_eq!(state.hosts_needed(&disabled), ["old-1".into()].into(), "old-2 was not disabled by the run");
}

#[test]
fn progress_counts_what_ended_in_this_run_apart() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 4]]), Options::default(), None, now);
    state.servers[0].state.end = Some(cutover_core::machine::End::Moved);
    state.servers[0].lifecycle = Lifecycle::Ended { at: None };
    let mut moved = state.servers[1].state.clone();
    moved.end = Some(cutover_core::machine::End::Moved);
    state.servers[1].saved(moved, now);
    state.servers[2].hold("held".into(), now);
    let progress = state.progress(Duration::from_secs(5), 9);
    assert_eq!((progress.total, progress.done, progress.done_this_run), (4, 3, 2));
    assert!(progress.phases.contains(&(Phase::Held, 1)), "{:?}", progress.phases);
    assert_eq!(progress.journal_writes, 9);
    state.only = Some([3].into_iter().collect());
    assert_eq!(state.progress(Duration::ZERO, 0).total, 1, "a rollback run shows its own servers");
    assert!(!state.servers_done());
}

/// Puts server `i` at the delete of its source, stopped: a step whose
/// observation shows the source gone reaches the boot in the new region.
fn at_delete_source(state: &mut RunState, i: usize) {
    let delete = stages(Strategy::Snapshot, Route::Forward).iter().position(|s| *s == Stage::DeleteSource).unwrap();
    let t = &mut state.servers[i];
    (t.state.at, t.state.stopped_at, t.lifecycle) = (delete, Some(1), Lifecycle::UnderWay);
    t.state.image = Some(ImageCopy { id: format!("snap-{i}").into(), size: 1, checksum: "c".into() });
}

fn source_gone() -> Observation {
    Observation { source: Seen::Absent, target: Seen::Absent, ..Observation::default() }
}

fn view(id: &str) -> Seen<ServerView> {
    Seen::Present(ServerView { id: id.into(), status: ServerStatus::Active, task_state: None, fault: None, tags: None })
}

#[test]
fn a_boot_in_the_new_region_waits_for_a_build_slot_its_step_dropped() {
    let now = Instant::now();
    let options = Options { limits: Limits { per_new_host: 1, ..Limits::default() }, ..Options::default() };
    let mut state = run_state(plan(&[&["p"; 2]]), options, None, now);
    at_delete_source(&mut state, 0);
    at_delete_source(&mut state, 1);
    let mut slots = Slots::new(state.options.limits, 1);
    let ServerDecision::Step(first) = state.step_server(0, &source_gone(), &mut slots, 10) else {
        panic!("the first boot takes the region's one build slot")
    };
    assert_eq!(first.state.booting(&state.servers[0].plan), Some(Side::New));
    assert!(matches!(state.step_server(1, &source_gone(), &mut slots, 10), ServerDecision::WaitsForBuild));
    assert_eq!(state.boots_waiting, 1);
    assert_eq!(state.servers[1].state.at, state.servers[0].state.at, "nothing of the dropped step is kept");
}

#[test]
fn no_boot_is_sent_while_a_host_joining_the_new_region_would_take_it() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    at_delete_source(&mut state, 0);
    state.joining_taking = Some("old-9".into());
    let mut slots = Slots::new(state.options.limits, 1);
    assert!(matches!(state.step_server(0, &source_gone(), &mut slots, 10), ServerDecision::WaitsForBuild));
    assert!(slots.builds_admit(), "no slot taken");
}

#[test]
fn a_refusal_is_told_to_the_machine_once() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    at_delete_source(&mut state, 0);
    let place = state.servers[0].state.place();
    state.servers[0].refused = Some(Refused { at: place, reason: "boot refused: 400".into() });
    let mut slots = Slots::new(state.options.limits, 1);
    let ServerDecision::Step(told) = state.step_server(0, &source_gone(), &mut slots, 10) else { panic!("stepped") };
    assert!(state.servers[0].refused.is_none(), "taken");
    let ServerDecision::Step(again) = state.step_server(0, &source_gone(), &mut slots, 10) else { panic!("stepped") };
    assert_ne!(told.state, again.state, "the second step is not told of it");
}

#[test]
fn the_rebuilds_id_is_noted_when_first_seen_and_when_it_changes() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), None, now);
    let seen = |target| Observation { target, ..Observation::default() };
    assert_eq!(state.rebuild_seen(0, &seen(Seen::Absent)), None, "nothing to note yet");
    assert_eq!(state.rebuild_seen(0, &seen(view("new-1"))), Some(Some("new-1".into())));
    state.servers[0].notes.new_id = Some("new-1".into());
    assert_eq!(state.rebuild_seen(0, &seen(view("new-1"))), None, "noted already");
    assert_eq!(state.rebuild_seen(0, &seen(Seen::Absent)), None, "a rebuild not seen for a while keeps its note");
    state.servers[0].state.route = Route::BackToSource;
    assert_eq!(state.rebuild_seen(0, &seen(view("new-1"))), Some(None), "back to the source: the rebuild is forgotten");
}

#[test]
fn a_servers_lifecycle_starts_from_what_the_journal_holds() {
    let fresh = ServerState::new(0);
    assert_eq!(Lifecycle::of(&fresh, false), Lifecycle::Pending);
    assert_eq!(Lifecycle::of(&fresh, true), Lifecycle::UnderWay);
    let mut ended = fresh.clone();
    ended.end = Some(cutover_core::machine::End::Moved);
    assert_eq!(Lifecycle::of(&ended, true), Lifecycle::Ended { at: None }, "ended in an earlier run");
    let now = Instant::now();
    let state = run_state(plan(&[&["p"; 2]]), Options::default(), None, now);
    let t = &state.servers[0];
    assert!(t.pending() && !t.holds_slot() && !t.watched() && !t.done());
}

#[test]
fn a_hold_remembers_whether_the_move_had_started() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"; 2]]), Options::default(), None, now);
    state.servers[0].hold("untouched".into(), now);
    state.servers[1].lifecycle = Lifecycle::UnderWay;
    state.servers[1].hold("failing".into(), now);
    let started: Vec<bool> = state.servers.iter().map(|t| t.lifecycle.started()).collect();
    assert_eq!(started, [false, true]);
    assert!(state.servers.iter().all(|t| t.done() && !t.pending() && !t.holds_slot()));
    assert_eq!(state.host_moves()["old-1"].started, 1, "the host counts the one that had started");
}

#[test]
fn room_set_aside_for_a_move_is_counted_free_only_after_it_ends() {
    let now = Instant::now();
    let mut state = run_state(plan(&[&["p"]]), Options::default(), Some(room_for(1)), now);
    state.admit(now);
    let t = &mut state.servers[0];
    assert!(t.room && t.holds_slot());
    assert!(!t.counted_in_room(now), "under way: its room is still taken from a count");
    let mut moved = t.state.clone();
    moved.end = Some(cutover_core::machine::End::Moved);
    let later = now + Duration::from_secs(5);
    t.saved(moved, later);
    assert_eq!(t.lifecycle, Lifecycle::Ended { at: Some(later) });
    assert!(!t.counted_in_room(now), "a count made before it ended does not show it");
    assert!(t.counted_in_room(later + Duration::from_secs(1)));
}

#[test]
fn a_rounds_decision_journals_each_state_before_any_intent_and_skips_what_waits() {
    let now = Instant::now();
    let options = Options { limits: Limits { per_new_host: 1, ..Limits::default() }, ..Options::default() };
    let mut state = run_state(plan(&[&["p"; 3]]), options, None, now);
    at_delete_source(&mut state, 0);
    at_delete_source(&mut state, 1);
    let observed: BTreeMap<ServerId, Observation> = ["s1", "s2"].iter().map(|&s| (s.into(), source_gone())).collect();
    let mut slots = Slots::new(state.options.limits, 1);
    let decision = state.decide(&[0, 1, 2], &observed, &mut slots, 10);
    // s1 takes the one build slot; s2's boot waits (nothing of it is
    // saved); s3 was not observed.
    assert!(matches!(decision.saves.as_slice(), [Save::State { server: 0, .. }]), "{:?}", decision.saves);
    assert!(decision.changes_state());
    assert!(
        decision.intents.iter().all(|i| matches!(i, Intent::Server { server: 0, .. })) && !decision.intents.is_empty(),
        "{:?}",
        decision.intents
    );
    assert_eq!(state.servers[0].state.at, state.servers[1].state.at, "the run's state waits for the journal");
}

#[test]
fn the_old_hosts_round_disables_a_host_then_saves_it_disabled() {
    use cutover_core::machine::host::{HostAction, HostObservation, HostStage, ServiceView};

    let now = Instant::now();
    let state = run_state(plan(&[&["p"], &["p"]]), Options::default(), None, now);
    let hosts = crate::hosts::Hosts::load(&state.plan, &BTreeMap::new(), Default::default(), 0);
    let service = |enabled| HostObservation {
        old_service: Seen::Present(ServiceView { enabled, up: true, disabled_reason: None }),
        ..HostObservation::default()
    };
    let decision = hosts.decide(vec![(0, service(true)), (1, service(false))], &state.host_moves(), 5);
    assert!(
        matches!(decision.saves.as_slice(), [Save::Host { host: 1, state }] if state.stage == HostStage::Disabled),
        "{:?}",
        decision.saves
    );
    assert!(
        matches!(decision.intents.as_slice(), [Intent::Host { host: 0, action: HostAction::DisableService { .. } }]),
        "{:?}",
        decision.intents
    );
}
