//! Properties of admission over random plans, limits, room and rounds:
//! the limits are never exceeded, room is set aside host by host and never
//! beyond what the region has, a held or ended server never starts again,
//! and, while moves end, every server starts within as many rounds as
//! there are servers.

use std::collections::BTreeMap;
use std::time::Duration;

use cutover_core::machine::End;
use proptest::prelude::*;
use tokio::time::Instant;

use super::tests::{limits, plan, room_for, run_state};
use super::{Lifecycle, RunState};

/// A plan of up to 5 old hosts of up to 6 servers, each of project a, b
/// or c.
fn projects() -> impl Strategy<Value = Vec<Vec<&'static str>>> {
    prop::collection::vec(prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 0..6), 1..5)
}

fn in_flight_by<K: Ord>(state: &RunState, key: impl Fn(usize) -> K) -> BTreeMap<K, usize> {
    let mut by = BTreeMap::new();
    for (i, t) in state.servers.iter().enumerate() {
        if t.holds_slot() {
            *by.entry(key(i)).or_default() += 1;
        }
    }
    by
}

/// Ends every move under way (its state saved with an end at `now`).
fn end_moves(state: &mut RunState, now: Instant) {
    for t in state.servers.iter_mut().filter(|t| t.holds_slot()) {
        let mut ended = t.state.clone();
        ended.end = Some(End::Moved);
        t.saved(ended, now);
    }
}

fn check_limits(state: &RunState) -> Result<(), TestCaseError> {
    let limits = state.options.limits;
    let total: usize = in_flight_by(state, |_| String::new()).values().sum();
    prop_assert!(limits.total.is_none_or(|max| total <= max), "{total} in flight over {:?}", limits.total);
    for (host, n) in in_flight_by(state, |i| state.servers[i].host.clone()) {
        prop_assert!(n <= limits.per_old_host, "{n} in flight on {host}");
    }
    for (project, n) in in_flight_by(state, |i| state.servers[i].project.clone()) {
        prop_assert!(limits.per_project.is_none_or(|max| n <= max), "{n} in flight for project {project}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn admission_keeps_the_limits_and_every_server_starts_while_moves_end(
        per_host in projects(),
        total in prop::option::of(1usize..6),
        per_old_host in 1usize..4,
        per_project in prop::option::of(1usize..4),
    ) {
        let per_host: Vec<&[&str]> = per_host.iter().map(Vec::as_slice).collect();
        let mut now = Instant::now();
        let mut state = run_state(plan(&per_host), limits(total, per_old_host, per_project), None, now);
        let servers = state.servers.len();
        for _ in 0..=servers {
            state.admit(now);
            check_limits(&state)?;
            now += Duration::from_secs(1);
            end_moves(&mut state, now);
        }
        let ended = state.servers.iter().all(|t| matches!(t.lifecycle, Lifecycle::Ended { at: Some(_) }));
        prop_assert!(ended, "every server started and ended within {} rounds", servers + 1);
        prop_assert!(state.servers_done());
    }

    #[test]
    fn room_is_set_aside_host_by_host_and_never_beyond_the_region(
        per_host in projects(),
        room in 0u64..12,
        total in prop::option::of(1usize..6),
    ) {
        let per_host: Vec<&[&str]> = per_host.iter().map(Vec::as_slice).collect();
        let now = Instant::now();
        let mut state = run_state(plan(&per_host), limits(total, 5, None), Some(room_for(room)), now);
        state.admit(now);
        check_limits(&state)?;
        let reserved = state.servers.iter().filter(|t| t.room).count() as u64;
        prop_assert!(reserved <= room, "{reserved} servers' room set aside, the region has {room}");
        for t in &state.servers {
            prop_assert!(!t.lifecycle.started() || t.room, "{} started without room", t.plan.source);
            let host_whole = state.servers.iter().filter(|o| o.host == t.host).all(|o| o.room == t.room);
            prop_assert!(host_whole, "{}'s servers are admitted whole or not at all", t.host);
        }
        prop_assert_eq!(state.waiting_for_room.is_empty(), reserved as usize == state.servers.len());
    }

    #[test]
    fn a_held_or_ended_server_never_starts_again(
        per_host in projects(),
        held in prop::collection::vec(any::<bool>(), 30),
    ) {
        let per_host: Vec<&[&str]> = per_host.iter().map(Vec::as_slice).collect();
        let now = Instant::now();
        let mut state = run_state(plan(&per_host), limits(None, 5, None), None, now);
        for (t, hold) in state.servers.iter_mut().zip(&held) {
            if *hold {
                t.hold("held by the test".into(), now);
            }
        }
        let before: Vec<Lifecycle> = state.servers.iter().map(|t| t.lifecycle.clone()).collect();
        for _ in 0..3 {
            state.admit(now);
        }
        for (t, was) in state.servers.iter().zip(&before) {
            if was.done() {
                prop_assert_eq!(&t.lifecycle, was);
            } else {
                prop_assert_eq!(&t.lifecycle, &Lifecycle::UnderWay);
            }
        }
    }
}
