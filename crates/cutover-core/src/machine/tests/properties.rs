//! Properties of whole moves under chaos: calls that are lost, observations
//! that are stale or missing, steps repeated, snapshots killed, boots
//! failing, and rollbacks asked for at any moment (before the move, during
//! it, after it). Whatever happens, a server is never deleted without a
//! copy, never runs in both regions, the data always exists somewhere, and
//! once the chaos stops the move ends moved or rolled back — rolled back,
//! with everything it had, whenever a rollback was asked for.

use proptest::prelude::*;

use super::model::{Clouds, SRC};
use super::{deletes_source, plan};
use crate::machine::{invariants, request, step, End, Requested, Seen, ServerMove, ServerState, Strategy as Move};

/// What goes wrong at one step.
#[derive(Debug, Clone)]
struct Chaos {
    /// Each action of the step is lost (the call failed) when its bit is set.
    lost: u8,
    /// The observation of the source, target, image is missing.
    blind: bool,
    /// The step runs twice on the same observation (a duplicate event).
    repeat: bool,
    /// The operator asks for a rollback before this step.
    request: bool,
}

fn chaos() -> impl Strategy<Value = Chaos> {
    (any::<u8>(), prop::bool::weighted(0.2), prop::bool::weighted(0.2), prop::bool::weighted(0.04))
        .prop_map(|(lost, blind, repeat, request)| Chaos { lost, blind, repeat, request })
}

fn strategy() -> impl Strategy<Value = Move> {
    prop_oneof![Just(Move::Snapshot), Just(Move::Volume), Just(Move::Redeploy),]
}

/// The disk of the server exists somewhere it can be booted from.
fn data_exists(plan: &ServerMove, state: &ServerState, clouds: &Clouds) -> bool {
    let source = clouds.old.contains_key(SRC);
    let rebuilt = !clouds.new.is_empty() || clouds.old.keys().any(|id| id != SRC);
    let image = state.image.as_ref().is_some_and(|i| clouds.images.contains_key(&i.id));
    let root = plan.root_volume.as_ref().is_some_and(|v| clouds.volumes.contains_key(v));
    let data = clouds.volumes.contains_key("vol-data");
    (source || rebuilt || image || root) && data
}

fn running(servers: &std::collections::BTreeMap<String, crate::machine::ServerView>) -> bool {
    servers.values().any(|s| s.is("ACTIVE"))
}

proptest! {
    // A fixed seed: the suite is the same on every run and machine;
    // `PROPTEST_CASES=100000` explores further.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn chaos_never_loses_or_duplicates_a_server(
        strategy in strategy(),
        was_shutoff in any::<bool>(),
        boots_fail in prop::bool::weighted(0.3),
        snapshots_fail in prop::bool::weighted(0.2),
        old_boots_fail in prop::bool::weighted(0.1),
        late_request in prop::bool::weighted(0.3),
        steps in prop::collection::vec(chaos(), 0..40),
    ) {
        let mut plan = plan(strategy);
        plan.was_shutoff = was_shutoff;
        // As the model's source has them: its volumes go with it.
        plan.deleted_with_server = plan.root_volume.iter().cloned().chain(["vol-data".to_string()]).collect();
        let mut clouds = Clouds::with_source(if was_shutoff { "SHUTOFF" } else { "ACTIVE" });
        clouds.new_boot_fails = boots_fail;
        clouds.snapshots_fail = snapshots_fail;
        clouds.old_boot_fails = old_boots_fail;
        let mut state = ServerState::new(0);
        let mut now = 0;
        let mut requested = false;
        let mut sent = false;
        // The chaos, then calm until the end (bounded: every route is finite).
        let calm = std::iter::repeat_n(Chaos { lost: 0, blind: false, repeat: false, request: false }, 120);
        for chaos in steps.into_iter().chain(calm) {
            now += 1;
            // A rollback asked for once the move is over, as often as not.
            let late = late_request && !requested && state.end == Some(End::Moved);
            if chaos.request || late {
                requested = true;
                if let Requested::Recorded(next) = request(&plan, &state, sent, now) {
                    state = next;
                }
            }
            if state.end.is_some() {
                if requested { continue } else { break }
            }
            let mut obs = clouds.observe();
            if chaos.blind {
                obs.source = Seen::Unknown;
                obs.target = Seen::Unknown;
                obs.image = Seen::Unknown;
            }
            let rounds = if chaos.repeat { 2 } else { 1 };
            for _ in 0..rounds {
                let step = step(&plan, &state, &obs, now);
                sent |= !step.actions.is_empty();
                for (i, action) in step.actions.iter().enumerate() {
                    if deletes_source(&step.state, &obs, action) {
                        prop_assert_eq!(invariants::may_delete_source(&plan, &step.state, &obs), Ok(()));
                    }
                    if chaos.lost & (1 << (i % 8)) == 0 {
                        clouds.apply(action);
                    }
                }
                state = step.state;
            }
            prop_assert!(data_exists(&plan, &state, &clouds), "data lost: {state:?}");
            prop_assert!(!(running(&clouds.old) && running(&clouds.new)), "running twice: {state:?}");
        }
        match &state.end {
            // Going back failed where the old region takes no server: it
            // runs on in the new one, as the checks below say.
            Some(End::Moved) if requested && !old_boots_fail => {
                prop_assert!(false, "asked to roll back, it stayed moved: {state:?}")
            }
            Some(End::Moved) => {
                let target = clouds.new.values().next().expect("a rebuild");
                prop_assert!(!clouds.old.contains_key(SRC), "the source is gone");
                prop_assert_eq!(&clouds.ports["port-1"].device_id, &target.id);
                prop_assert_eq!(&clouds.volumes["vol-data"].attached_to, &vec![target.id.clone()]);
                prop_assert!(clouds.deletes_with(&target.id, "vol-data"), "deleted with the rebuild, as with the source");
                let wanted = if was_shutoff { "SHUTOFF" } else { "ACTIVE" };
                prop_assert!(target.is(wanted), "the rebuild is {}", target.status);
            }
            Some(End::RolledBack { .. }) => {
                prop_assert!(clouds.new.is_empty(), "no rebuild left in the new region");
                prop_assert_eq!(clouds.old.len(), 1, "one server in the old region: {:?}", clouds.old);
                let (id, back) = clouds.old.iter().next().expect("a server in the old region");
                prop_assert_eq!(&clouds.ports["port-1"].device_id, id);
                prop_assert!(clouds.deletes_with(id, "vol-data"), "deleted with the server back, as with the source");
                let wanted = if was_shutoff { "SHUTOFF" } else { "ACTIVE" };
                prop_assert!(back.is(wanted), "the server back is {}", back.status);
                prop_assert_eq!(&clouds.volumes["vol-data"].attached_to, &vec![id.clone()]);
                prop_assert_eq!(clouds.floating["172.24.4.10"].as_ref(), Some(id));
            }
            // Turning back into an old region that takes no server fails,
            // the disk kept (checked at every step).
            Some(End::Failed { .. }) if old_boots_fail => {}
            other => prop_assert!(false, "the move did not end well: {other:?} {state:?}"),
        }
    }
}
