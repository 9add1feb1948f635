/*!
The demo's script and what it produced: the pairs of regions it moves
([`PARTS`]) with the fault each expects, the rule its plans use, and the
records of each run ([`Ran`]) and each part ([`PartDone`]) that the summary
reads.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use cutover_core::id::HostName;
use cutover_core::plan::Plan;
use cutover_engine::Report;

use super::hosts::HostTimes;
use super::simapi::Capacity;

/// One pair of regions the demo moves, and what it expects.
pub(super) struct Part {
    /// The networking mode, as the output names it.
    pub(super) mode: &'static str,
    pub(super) old_region: &'static str,
    pub(super) new_region: &'static str,
    /// Where each old host's aggregates go (sync's host map).
    pub(super) host_map: &'static str,
    /// What sync copies besides what every Nova owns.
    pub(super) synced: &'static str,
    pub(super) migration: &'static str,
    pub(super) fault: Option<Fault>,
}

/// The fault the scenario injects: a new host whose spawns fail, so the
/// server sent there is rolled back; then repaired, and the server moved
/// again by a plan of its own.
pub(super) struct Fault {
    pub(super) server: &'static str,
    pub(super) new_host: &'static str,
    /// The migration id of the second plan.
    pub(super) retry: &'static str,
}

/// Neutron first: old-3's zone (az-fast, with the spare) lands on new-3,
/// the host whose spawns the scenario makes fail. Then nova-network, where
/// everything moves at once.
pub(super) const PARTS: [Part; 2] = [
    Part {
        mode: "Neutron",
        old_region: "RegionOne",
        new_region: "RegionTwo",
        host_map: "old-1: new-1\nold-2: new-1\nold-3: new-3\nold-spare: new-3\n",
        synced: "",
        migration: "demo",
        fault: Some(Fault { server: FAILING_SERVER, new_host: "new-3", retry: "demo-retry" }),
    },
    Part {
        mode: "nova-network",
        old_region: "RegionThree",
        new_region: "RegionFour",
        host_map: "net-old-1: net-new-1\nnet-old-2: net-new-2\n",
        synced: ", floating IP pools",
        migration: "demo-nn",
        fault: None,
    },
];
/// The demo's rule: servers marked stateless are redeployed from their image.
pub(super) const RULE: &str = "metadata=stateless=true:redeploy";
/// The server the scenario's fault hits: rolled back by the first run.
pub const FAILING_SERVER: &str = "legacy-1";

/// One run of the engine: its report, the plan it ran, how long it took,
/// when each host it handed off got where it did, and its spares.
pub(super) struct Ran {
    pub(super) report: Report,
    pub(super) plan: Plan,
    pub(super) makespan: Duration,
    pub(super) hosts: BTreeMap<HostName, HostTimes>,
    pub(super) spares: BTreeSet<HostName>,
    /// The most servers that waited for room in the new region at once,
    /// and when (into the run) the last of them got it.
    pub(super) waited_for_room: Option<(usize, Duration)>,
}

/// A pair of regions at the end: its runs (the first, then a retry),
/// what the hosts brought to the new region, and what retire did.
pub(super) struct PartDone<'a> {
    pub(super) part: &'a Part,
    pub(super) runs: Vec<Ran>,
    /// The hosts redeployed, with their capacity.
    pub(super) joined: BTreeMap<String, Capacity>,
    /// The new region's compute hosts and their capacity, before and after.
    pub(super) new_before: (usize, Capacity),
    pub(super) new_after: (usize, Capacity),
    /// The old Nova's services before retire, and left after it;
    /// `Err`: why retire failed.
    pub(super) retired: Result<(Vec<String>, Vec<String>), String>,
}
