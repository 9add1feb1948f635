/*!
The old hosts after `cutover run --on-host-empty`, in the simulator's own
model and the journal: a host handed off is one `nova-compute` of the new
region (enabled, up, with its hypervisor), has no record left in the old
region, is `retired-old` in the journal with its hook's last run
succeeded, and is in the new region's aggregates named like the old ones
it was in; a host that still holds a server (a rolled-back one: checked by
[`super::check`]) is draining in the old region, never handed to the hook.
*/

use std::collections::BTreeMap;
use std::path::Path;

use cutover_core::machine::host::HostStage;
use cutover_core::plan::Plan;
use cutover_engine::hosts;
use cutover_journal::Journal;
use cutover_sim::model::compute::{ComputeRegion, ComputeService};
use cutover_sim::model::World;
use serde_json::{json, Value};

/// The `nova-compute` records of `host` in `region`.
fn computes<'r>(region: &'r ComputeRegion, host: &str) -> Vec<&'r ComputeService> {
    region.services.values().filter(|s| s.binary == "nova-compute" && s.host == host).collect()
}

/// Checks every planned host; `calls` are the hook's calls so far (their
/// first argument is the host). Returns each host's canonical end, or
/// every problem found.
pub fn check(plan: &Plan, journal: &Path, world: &World, calls: &[String]) -> Result<Value, Vec<String>> {
    let journal = Journal::open_read_only(journal).map_err(|e| vec![format!("the journal opens: {e}")])?;
    let (old, new) = (&world.compute[plan.clouds.old_region.as_str()], &world.compute[plan.clouds.new_region.as_str()]);
    let mut problems = Vec::new();
    let mut canonical = BTreeMap::new();
    for host in plan.hosts.iter().map(|h| h.name.as_str()) {
        let mut problem = |p: String| problems.push(format!("old host {host}: {p}"));
        let (state, hook) = match hosts::journaled(&journal, host) {
            Ok(journaled) => journaled,
            Err(e) => {
                problem(format!("its journal keys read: {e}"));
                continue;
            }
        };
        let Some(state) = state else {
            problem("no state in the journal".into());
            continue;
        };
        if let Some(why) = &state.failed {
            problem(format!("stopped at {:?}: {why}", state.stage));
        }
        let called = calls.iter().filter(|c| c.split(' ').next() == Some(host)).count();
        let (old_records, new_records) = (computes(old, host), computes(new, host));
        if old.servers_on_host(host).next().is_some() {
            // Kept by a rolled-back server: not handed off.
            if state.stage != HostStage::Draining || called > 0 || !new_records.is_empty() {
                problem(format!("holds a server, yet {:?}, {called} hook calls, in the new region", state.stage));
            }
            if !matches!(old_records.as_slice(), [s] if s.disabled) {
                problem(format!("holds a server: its old nova-compute is not one, disabled: {old_records:?}"));
            }
        } else {
            if state.stage != HostStage::RetiredOld {
                problem(format!("empty, but {:?} in the journal", state.stage));
            }
            match new_records.as_slice() {
                [s] if s.up && !s.disabled && !s.forced_down => {}
                records => problem(format!("not one enabled, up nova-compute of the new region: {records:?}")),
            }
            if !new.hosts.contains_key(host) {
                problem("no hypervisor in the new region".into());
            }
            if !old_records.is_empty() || old.hosts.contains_key(host) {
                problem(format!("still in the old region: {old_records:?}"));
            }
            if called == 0 {
                problem("handed off without calling the hook".into());
            }
            if !hook.as_ref().and_then(|h| h.end.as_ref()).is_some_and(|end| end.succeeded) {
                problem(format!("the journal does not hold the hook's success: {hook:?}"));
            }
        }
        // A recycled host keeps its zone: it is in the new region's
        // aggregates named like those it was in (recorded before its hook).
        let joined: Vec<&str> =
            new.aggregates.values().filter(|a| a.hosts.contains(host)).map(|a| a.name.as_str()).collect();
        if !new_records.is_empty() {
            let missing: Vec<&String> =
                state.aggregates.iter().flatten().filter(|a| !joined.contains(&a.as_str())).collect();
            if !missing.is_empty() {
                problem(format!("not in its old aggregates {missing:?} in the new region (in {joined:?})"));
            }
        }
        canonical.insert(
            host.to_string(),
            json!({"stage": state.stage, "in_new_region": !new_records.is_empty(), "aggregates": joined}),
        );
    }
    match problems.is_empty() {
        true => Ok(json!(canonical)),
        false => Err(problems),
    }
}
