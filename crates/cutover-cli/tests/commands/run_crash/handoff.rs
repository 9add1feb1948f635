/*!
The hand-off under SIGKILL: `cutover run --on-host-empty` with the example
hook `sim-redeploy` (wrapped to log its calls and ends: `util::hooks`)
killed at seeded moments: by time, mostly during the moves, or a little
after an event of the hand-off (a hook started, a host moved to the new
region, where it reports in 0.6 s later, an old `nova-compute` record
deleted), so kills land while hooks run, during the rejoin wait and
around the deletion. A hook goes on when
its run is killed (its own process group); the resumed run calls it again.
At the end, besides the servers, every old host is handed off once
(`util::endstate::hosts`) as in a run never killed, the spare back in its
old aggregate in the new region, every hook call has
ended, and then `cutover retire` is killed in turn ([`super::retire`]).
*/

use std::path::Path;
use std::time::{Duration, Instant};

use cutover_sim::clock::TimeModel;
use cutover_sim::model::World;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::Value;

use super::{env_u64, run_trials, Kind, Moment, Trial};
use crate::util::endstate::hosts;
use crate::util::hooks::{counting_hook, hook_calls, hook_ends};

/// How long a hook killed with its run may take to end by itself.
const ORPHAN_HOOK_ENDS: Duration = Duration::from_secs(20);

/// A moved host reports in to the new region 0.6 s later (at the trials'
/// scale): a rejoin wait of a few rounds.
const JOIN_SECS: f64 = 60.0;

/// The simulator's durations in the hand-off trials.
pub(super) fn time() -> TimeModel {
    TimeModel { compute_join_secs: JOIN_SECS, ..TimeModel::default() }
}

/// Moves the spare from az-fast into an aggregate of its own (no zone) in
/// the old region. Handed off first (it holds no server), in az-fast it
/// would rejoin that zone in the new region beside new-3, whose spawns
/// fail, at a moment the kills shift: legacy-1, the one server of az-fast,
/// would move or be rolled back by timing alone. In `spare-pool` it is
/// still put back into its old aggregate, killed or not.
pub(super) fn spare_in_its_own_aggregate(scenario: &mut cutover_sim::Scenario) {
    let old = scenario.regions.iter_mut().find(|r| r.name == "RegionOne").expect("the demo's RegionOne");
    for aggregate in &mut old.aggregates {
        aggregate.hosts.retain(|h| h != SPARE);
    }
    let pool = "{name: spare-pool, hosts: [old-spare], metadata: {pool: spare}}";
    old.aggregates.push(yaml_serde::from_str(pool).expect("an aggregate spec"));
}

const SPARE: &str = "old-spare";

/// `cutover run`'s hand-off arguments: the hook, both empty observations
/// at once, a rejoin timeout no run reaches.
pub(super) fn run_args(cloud: &crate::util::SimCloud) -> Vec<String> {
    let hook = counting_hook(cloud).display().to_string();
    ["--on-host-empty", &hook, "--empty-interval", "0", "--rejoin-timeout", "60"].map(String::from).to_vec()
}

/// Planned hosts of which `holds` is true in the world now.
fn hosts_where(t: &Trial, holds: impl Fn(&World, &str) -> bool) -> usize {
    let world = t.cloud.sim().read();
    t.plan.hosts.iter().filter(|h| holds(&world, &h.name)).count()
}

fn has_compute(world: &World, region: &str, host: &str) -> bool {
    world.compute[region].service_of_host(host, "nova-compute").is_some()
}

/// The next kill of a hand-off trial, one in four each: by time within
/// `span` (the plain trials kill the moves far more), or shortly after the
/// next hook call, host moved to the new region or old record deleted (a
/// kill whose event never comes does not happen: the run ends).
pub(super) fn moment<'a>(rng: &mut StdRng, t: &'a Trial, span: Duration) -> Moment<'a> {
    let (old, new) = (t.plan.clouds.old_region.as_str(), t.plan.clouds.new_region.as_str());
    let delay = |rng: &mut StdRng, most_ms: u64| Duration::from_millis(rng.random_range(0..=most_ms));
    match rng.random_range(0..4) {
        0 => Moment::After(span.mul_f64(rng.random_range(0.0..1.0))),
        1 => {
            let calls = hook_calls(&t.cloud).len();
            // A hook call lasts a few hundred milliseconds.
            let delay = delay(rng, 400);
            Moment::When { what: "hook called", reached: Box::new(move || hook_calls(&t.cloud).len() > calls), delay }
        }
        2 => {
            // Listed at once, up 0.6 s later: the rejoin wait, then the
            // old record's deletion.
            let moved = hosts_where(t, |w, h| has_compute(w, new, h));
            let reached = Box::new(move || hosts_where(t, |w, h| has_compute(w, new, h)) > moved);
            Moment::When { what: "host moved to the new region", reached, delay: delay(rng, 900) }
        }
        _ => {
            let gone = hosts_where(t, |w, h| !has_compute(w, old, h));
            let reached = Box::new(move || hosts_where(t, |w, h| !has_compute(w, old, h)) > gone);
            Moment::When { what: "old record deleted", reached, delay: delay(rng, 100) }
        }
    }
}

/// Waits until every hook call has ended, those of killed runs included.
pub(super) fn hooks_ended(t: &Trial) -> Result<(), Vec<String>> {
    let deadline = Instant::now() + ORPHAN_HOOK_ENDS;
    loop {
        let (calls, ends) = (hook_calls(&t.cloud), hook_ends(&t.cloud));
        if ends.len() >= calls.len() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(vec![format!("hook calls {calls:?} ended only {ends:?} after {ORPHAN_HOOK_ENDS:?}")]);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The old hosts' end (`util::endstate::hosts`), as canonical JSON.
pub(super) fn hosts_end(t: &Trial, world: &World) -> Result<Value, Vec<String>> {
    let end = hosts::check(&t.plan, Path::new(&t.journal()), world, &hook_calls(&t.cloud))?;
    match end[SPARE]["aggregates"] == serde_json::json!(["spare-pool"]) {
        true => Ok(end),
        false => Err(vec![format!("old host {SPARE} is not back in spare-pool: {}", end[SPARE])]),
    }
}

#[test]
fn a_run_handing_hosts_off_then_retire_killed_at_random_moments_resume_to_the_end_of_runs_never_killed() {
    let trials = env_u64("CUTOVER_CRASH_HANDOFF_TRIALS", (env_u64("CUTOVER_CRASH_TRIALS", 20) * 3).div_ceil(10));
    let landed = run_trials(Kind::HandOff, trials);
    if trials >= 6 {
        assert!(landed.in_hand_off > 0, "kills landed in the hand-off: {landed:?}");
        assert!(landed.retire_kills > 0, "kills landed in retire: {landed:?}");
    }
}
