/*!
The old hosts while a run goes, as the demo shows them: each host's stage
read from the run's journal (read-only, as `cutover status` reads it
during a run), a line when a host gets further — verified empty,
redeployed, joined the new region (back in its old aggregates), its old
`nova-compute` record deleted —
and when it got there, for the account at the end.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use cutover_core::id::HostName;
use cutover_core::machine::host::HostStage;
use cutover_journal::Journal;

/// When (time into the run) a host reached each point, and why it stopped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostTimes {
    pub empty: Option<Duration>,
    pub redeployed: Option<Duration>,
    pub joined: Option<Duration>,
    pub retired: Option<Duration>,
    pub stopped: Option<String>,
}

pub struct HostWatch {
    path: PathBuf,
    journal: Option<Journal>,
    old_region: String,
    new_region: String,
    /// The hosts handed off, in drain order.
    hosts: Vec<HostName>,
    /// Of those, the ones kept until every server has moved.
    spares: BTreeSet<HostName>,
    times: BTreeMap<HostName, HostTimes>,
}

impl HostWatch {
    pub fn new(path: PathBuf, regions: (&str, &str), hosts: Vec<HostName>, spares: BTreeSet<HostName>) -> HostWatch {
        HostWatch {
            path,
            journal: None,
            old_region: regions.0.to_string(),
            new_region: regions.1.to_string(),
            hosts,
            spares,
            times: BTreeMap::new(),
        }
    }

    /// What the hosts did since the last look, a line each (`elapsed`:
    /// the run's time now). Nothing while the journal cannot be read.
    pub fn poll(&mut self, elapsed: Duration) -> Vec<String> {
        if self.journal.is_none() {
            self.journal = Journal::open_read_only(&self.path).ok();
        }
        let Some(journal) = &self.journal else { return Vec::new() };
        let mut lines = Vec::new();
        for host in &self.hosts {
            let Ok((Some(state), hook)) = cutover_engine::hosts::journaled(journal, host) else { continue };
            let times = self.times.entry(host.clone()).or_default();
            let hook_end = hook.and_then(|h| h.end);
            let reached = rank(state.stage);
            let (old, new) = (&self.old_region, &self.new_region);
            if reached >= rank(HostStage::Empty) && times.empty.is_none() {
                times.empty = Some(elapsed);
                lines.push(match self.spares.contains(host) {
                    true => format!("{host} verified empty: the spare, redeployed once every server has moved"),
                    false => format!("{host} verified empty (twice): handed off, redeploying into {new}"),
                });
            }
            if let Some(end) = hook_end.as_ref().filter(|e| e.succeeded && times.redeployed.is_none()) {
                times.redeployed = Some(elapsed);
                let said = end.output.lines().rev().map(str::trim).find(|l| !l.is_empty());
                lines.push(said.map_or_else(|| format!("{host} redeployed"), str::to_string));
            }
            if reached >= rank(HostStage::JoinedNew) && times.joined.is_none() {
                times.joined = Some(elapsed);
                // The aggregates it had in the old region, so its zone.
                let kept = match state.aggregates.as_ref().filter(|a| !a.is_empty()) {
                    Some(names) => format!(", back in {}", names.iter().cloned().collect::<Vec<_>>().join(", ")),
                    None => String::new(),
                };
                lines.push(format!(
                    "{host} joined {new}: an up, enabled nova-compute with its hypervisor{kept}, room for more moves"
                ));
            }
            if reached >= rank(HostStage::RetiredOld) && times.retired.is_none() {
                times.retired = Some(elapsed);
                lines.push(format!("{host}: its old nova-compute record deleted in {old}"));
            }
            if let Some(why) = state.failed.filter(|_| times.stopped.is_none()) {
                lines.push(format!("{host} stopped: {why}"));
                times.stopped = Some(why);
            }
        }
        lines
    }

    /// When each host handed off got where it did.
    pub fn times(&self) -> &BTreeMap<HostName, HostTimes> {
        &self.times
    }
}

/// How far along its way a host is.
fn rank(stage: HostStage) -> u8 {
    match stage {
        HostStage::Active => 0,
        HostStage::Disabled => 1,
        HostStage::Draining => 2,
        HostStage::Empty => 3,
        HostStage::HandedOff => 4,
        HostStage::JoinedNew => 5,
        HostStage::RetiredOld => 6,
    }
}
