//! The host machine step by step.

use std::collections::BTreeSet;

use crate::machine::host::*;
use crate::machine::Seen;

fn plan() -> HostMove {
    HostMove {
        name: "old-1".into(),
        disable_reason: "cutover m-1: moving to RegionTwo".into(),
        empty_interval_secs: 30,
        rejoin_timeout_secs: 600,
        join_reason: "cutover m-1: joining its aggregates".into(),
    }
}

fn service(enabled: bool) -> Seen<ServiceView> {
    Seen::Present(ServiceView { enabled, up: true, disabled_reason: None })
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|n| n.to_string()).collect()
}

/// A drained host as every source reports it.
fn empty() -> HostObservation {
    HostObservation {
        old_service: service(false),
        listed_servers: Seen::Present(0),
        busy_servers: Seen::Present(0),
        running_vms: Seen::Present(0),
        old_aggregates: Seen::Present(BTreeSet::new()),
        new_aggregates: Seen::Present(BTreeSet::new()),
        ..HostObservation::default()
    }
}

#[test]
fn a_host_is_disabled_first() {
    let obs = HostObservation { old_service: service(true), ..HostObservation::default() };
    let step = step_host(&plan(), &HostState::new(0), &obs, 1);
    assert_eq!(
        step.actions,
        [HostAction::DisableService { host: "old-1".into(), reason: "cutover m-1: moving to RegionTwo".into() }]
    );
    assert_eq!(step.state.stage, HostStage::Active);
    let step = step_host(&plan(), &step.state, &HostObservation { old_service: service(false), ..obs }, 2);
    assert_eq!(step.state.stage, HostStage::Draining, "nothing to move: on to draining at once");
}

#[test]
fn a_disabled_host_drains_once_one_of_its_servers_is_under_way() {
    let waiting = HostObservation { old_service: service(false), moves_in_flight: 3, ..HostObservation::default() };
    let step = step_host(&plan(), &HostState::new(0), &waiting, 1);
    assert_eq!((step.state.stage, step.actions.len()), (HostStage::Disabled, 0), "its moves wait for a slot or room");
    let unobserved = HostObservation { moves_in_flight: 3, ..HostObservation::default() };
    assert_eq!(step_host(&plan(), &step.state, &unobserved, 2).state.stage, HostStage::Disabled);
    let started = HostObservation { moves_started: 1, ..unobserved };
    let step = step_host(&plan(), &step.state, &started, 3);
    assert_eq!((step.state.stage, step.state.since), (HostStage::Draining, 3));
    // Under way is not empty: nothing more is decided without the listings.
    assert_eq!(step_host(&plan(), &step.state, &started, 4).state, step.state);
}

#[test]
fn empty_means_empty_twice_an_interval_apart_by_every_source() {
    let mut state = HostState::new(0);
    state.stage = HostStage::Draining;
    let first = step_host(&plan(), &state, &empty(), 100);
    assert_eq!((first.state.stage, first.state.empty_since), (HostStage::Draining, Some(100)));
    assert!(first.actions.is_empty());

    // The hypervisor still runs a VM the list does not show: not empty, and
    // the count starts again.
    let vm = HostObservation { running_vms: Seen::Present(1), ..empty() };
    let reset = step_host(&plan(), &first.state, &vm, 110);
    assert_eq!(reset.state.empty_since, None);

    let again = step_host(&plan(), &reset.state, &empty(), 120);
    let too_soon = step_host(&plan(), &again.state, &empty(), 140);
    assert_eq!(too_soon.state.stage, HostStage::Draining);
    let verified = step_host(&plan(), &too_soon.state, &empty(), 150);
    assert_eq!(verified.state.stage, HostStage::Empty);
    assert_eq!(verified.actions, [HostAction::RunHook { host: "old-1".into() }]);
}

#[test]
fn servers_in_flight_or_busy_keep_a_host_draining() {
    let mut state = HostState::new(0);
    state.stage = HostStage::Draining;
    state.empty_since = Some(0);
    for obs in [
        HostObservation { moves_in_flight: 1, ..empty() },
        HostObservation { busy_servers: Seen::Present(1), ..empty() },
        HostObservation { listed_servers: Seen::Present(2), ..empty() },
    ] {
        assert_eq!(step_host(&plan(), &state, &obs, 1000).state.stage, HostStage::Draining, "{obs:?}");
    }
    let blind = HostObservation { running_vms: Seen::Unknown, ..empty() };
    let step = step_host(&plan(), &state, &blind, 1000);
    assert_eq!((step.state.stage, step.state.empty_since), (HostStage::Draining, Some(0)), "nothing decided");
}

#[test]
fn after_the_hook_the_host_joins_the_new_region_and_its_old_record_goes() {
    let mut state = HostState::new(0);
    state.stage = HostStage::Empty;
    let handed = step_host(&plan(), &state, &HostObservation { hook: Some(HookEnd::Succeeded), ..empty() }, 10);
    assert_eq!(handed.state.stage, HostStage::HandedOff);
    let joined_obs = HostObservation {
        hook: Some(HookEnd::Succeeded),
        new_service: service(true),
        new_hypervisor: Seen::Present(true),
        ..empty()
    };
    let joined = step_host(&plan(), &handed.state, &joined_obs, 20);
    assert_eq!(joined.state.stage, HostStage::JoinedNew);
    assert_eq!(joined.actions, [HostAction::DeleteOldService { host: "old-1".into() }]);
    let retired = step_host(&plan(), &joined.state, &HostObservation { old_service: Seen::Absent, ..joined_obs }, 30);
    assert_eq!(retired.state.stage, HostStage::RetiredOld);
    assert!(retired.state.is_done() && retired.actions.is_empty());
}

#[test]
fn a_failed_hook_stops_that_host_with_the_reason() {
    let mut state = HostState::new(0);
    state.stage = HostStage::Empty;
    let failed = HookEnd::Failed { status: Some(2), output: "playbook: unreachable".into() };
    let step = step_host(&plan(), &state, &HostObservation { hook: Some(failed), ..empty() }, 10);
    assert_eq!(step.state.failed.as_deref(), Some("the hand-off hook exited 2: playbook: unreachable"));
    assert!(step.actions.is_empty());
    assert!(step_host(&plan(), &step.state, &empty(), 20).actions.is_empty(), "a stopped host stays stopped");
}

#[test]
fn a_host_that_never_rejoins_fails_after_the_timeout() {
    let mut state = HostState::new(0);
    state.stage = HostStage::HandedOff;
    state.since = 100;
    let waiting = HostObservation { new_service: Seen::Absent, ..empty() };
    assert!(step_host(&plan(), &state, &waiting, 650).state.failed.is_none());
    let late = step_host(&plan(), &state, &waiting, 701);
    assert!(late.state.failed.as_deref().is_some_and(|f| f.contains("600 s after its hook")));
}

#[test]
fn a_stopped_host_is_taken_up_again_by_a_later_run() {
    let mut state = HostState::new(0);
    state.stage = HostStage::Empty;
    let failed = HookEnd::Failed { status: Some(2), output: "no route to host".into() };
    let stopped = step_host(&plan(), &state, &HostObservation { hook: Some(failed), ..empty() }, 10).state;
    assert!(stopped.is_done() && stopped.failed.as_deref().unwrap().contains("exited 2"));
    let retried = stopped.retried(500);
    assert_eq!((retried.stage, retried.failed.as_ref(), retried.since), (HostStage::Empty, None, 500));
    // Its hook's end forgotten, the hook runs again.
    let step = step_host(&plan(), &retried, &empty(), 501);
    assert_eq!(step.actions, [HostAction::RunHook { host: "old-1".into() }]);
}

#[test]
fn the_hook_waits_for_the_old_aggregates_to_be_recorded() {
    let mut state = HostState::new(0);
    state.stage = HostStage::Empty;
    let blind = HostObservation { old_aggregates: Seen::Unknown, ..empty() };
    let step = step_host(&plan(), &state, &blind, 10);
    assert!(step.actions.is_empty() && step.state.aggregates.is_none(), "no hook before they are known");
    let seen = HostObservation { old_aggregates: Seen::Present(names(&["fast", "ssd"])), ..empty() };
    let step = step_host(&plan(), &state, &seen, 11);
    assert_eq!(step.state.aggregates, Some(names(&["fast", "ssd"])), "in the state the hook's intent follows");
    assert_eq!(step.actions, [HostAction::RunHook { host: "old-1".into() }]);
    // Recorded once: what the old region says later does not matter.
    let forgot = HostObservation { old_aggregates: Seen::Present(BTreeSet::new()), ..empty() };
    assert_eq!(step_host(&plan(), &step.state, &forgot, 12).state.aggregates, Some(names(&["fast", "ssd"])));
}

#[test]
fn a_rejoined_host_is_in_its_old_aggregates_before_it_takes_servers() {
    let mut state = HostState::new(0);
    (state.stage, state.aggregates) = (HostStage::HandedOff, Some(names(&["fast", "ssd"])));
    let host = || "old-1".to_string();
    let up = |enabled: bool, reason: Option<&str>, there: &[&str]| HostObservation {
        new_service: Seen::Present(ServiceView { enabled, up: true, disabled_reason: reason.map(String::from) }),
        new_hypervisor: Seen::Present(true),
        new_aggregates: Seen::Present(names(there)),
        ..empty()
    };
    // It came up enabled, in none of them: out of scheduling, then in.
    let step = step_host(&plan(), &state, &up(true, None, &[]), 10);
    assert_eq!(step.state.stage, HostStage::HandedOff);
    assert_eq!(
        step.actions,
        [
            HostAction::DisableNewService { host: host().into(), reason: plan().join_reason },
            HostAction::JoinAggregates { host: host().into(), aggregates: vec!["fast".into(), "ssd".into()] },
        ]
    );
    let ours = Some(plan().join_reason);
    let step = step_host(&plan(), &state, &up(false, ours.as_deref(), &["fast"]), 11);
    assert_eq!(step.actions, [HostAction::JoinAggregates { host: host().into(), aggregates: vec!["ssd".into()] }]);
    let step = step_host(&plan(), &state, &up(false, ours.as_deref(), &["fast", "ssd"]), 12);
    assert_eq!(step.actions, [HostAction::EnableNewService { host: host().into() }]);
    let step = step_host(&plan(), &state, &up(true, None, &["fast", "ssd", "other"]), 13);
    assert_eq!(step.state.stage, HostStage::JoinedNew);
    // Disabled by someone else: not cutover's to enable.
    let step = step_host(&plan(), &state, &up(false, Some("maintenance"), &["fast", "ssd"]), 14);
    assert!(step.actions.is_empty() && step.state.stage == HostStage::HandedOff);
    let blind = HostObservation { new_aggregates: Seen::Unknown, ..up(true, None, &[]) };
    assert!(step_host(&plan(), &state, &blind, 15).actions.is_empty(), "nothing decided unobserved");
    // Listed but not up yet (Nova places nothing there): joined already.
    let down = HostObservation {
        new_service: Seen::Present(ServiceView { enabled: true, up: false, disabled_reason: None }),
        new_hypervisor: Seen::Present(false),
        ..up(true, None, &[])
    };
    let step = step_host(&plan(), &state, &down, 16);
    assert_eq!(step.actions.len(), 2, "disabled and joined before it reports up: {:?}", step.actions);
    let in_them = HostObservation { new_aggregates: Seen::Present(names(&["fast", "ssd"])), ..down };
    assert_eq!(step_host(&plan(), &state, &in_them, 17).state.stage, HostStage::HandedOff, "not up yet");
}

#[test]
fn a_host_whose_aggregates_never_take_it_stops_at_the_rejoin_timeout_saying_which() {
    let mut state = HostState::new(0);
    (state.stage, state.since, state.aggregates) = (HostStage::HandedOff, 100, Some(names(&["fast"])));
    let refused = HostObservation {
        new_service: Seen::Present(ServiceView { enabled: false, up: true, disabled_reason: Some(plan().join_reason) }),
        new_hypervisor: Seen::Present(true),
        new_aggregates: Seen::Present(BTreeSet::new()),
        ..empty()
    };
    let asking = step_host(&plan(), &state, &refused, 650);
    assert_eq!(asking.actions, [HostAction::JoinAggregates { host: "old-1".into(), aggregates: vec!["fast".into()] }]);
    let late = step_host(&plan(), &state, &refused, 701);
    assert!(late.actions.is_empty() && late.state.is_done(), "{late:?}");
    assert!(late.state.failed.as_deref().is_some_and(|f| f.contains("not in its old aggregates fast")), "{late:?}");
}
