/*!
What became of each planned server, counted from the simulator's own
model (never cutover's report): lost (no server anywhere, no disk kept),
duplicated (copies in both regions, or two in one), left down (not
running as it was: no server but a kept disk, or a copy stopped, in ERROR
or mid-task), leaked (what cutover made and left: snapshots, key pairs,
grants, ports, volumes, floating IPs); the rest moved, restored in the old
region, or in place (left to its owner, or never touched).
*/

use std::fmt;
use std::path::Path;

use cutover_core::plan::Plan;
use cutover_sim::model::World;
use serde_json::Value;

use crate::util::endstate::{self, safety, Before, Copy};

/// One trial's counts; the bad ones name each case.
#[derive(Debug, Default)]
pub struct Counted {
    pub lost: Vec<String>,
    pub duplicated: Vec<String>,
    pub left_down: Vec<String>,
    pub leaked: Vec<String>,
    pub moved: usize,
    pub restored: usize,
    pub in_place: usize,
}

impl Counted {
    /// Counts the end of a trial whose last run printed `report` (for the
    /// reasons alone) and wrote `journal`.
    pub fn of(plan: &Plan, report: &Value, before: &Before, journal: &Path, world: &World) -> Counted {
        let journaled = safety::journaled(journal).unwrap_or_default();
        let mut counted = Counted::default();
        let mut kept_disks = Vec::new();
        for (_, planned) in plan.servers() {
            let id = planned.server.id.as_str();
            let reported = report["servers"].as_array().into_iter().flatten().find(|s| s["old_id"] == id);
            let said = reported.map_or("not reported".to_string(), |s| match s["reason"].as_str() {
                Some(reason) => format!("{}: {reason}", s["result"].as_str().unwrap_or_default()),
                None => s["result"].as_str().unwrap_or_default().to_string(),
            });
            let who = format!("{} ({id}; {said})", planned.server.name);
            let copies = endstate::copies(world, plan, planned);
            let wanted = planned.server.status.to_string();
            match copies.as_slice() {
                [] => {
                    let state = journaled.get(id).map(|(state, _)| state);
                    match state.filter(|state| safety::disk_kept(planned, state, world)) {
                        Some(state) => {
                            kept_disks.extend(state.image.as_ref().map(|copy| copy.id.clone()));
                            counted.left_down.push(format!("{who}: no server, its disk kept"));
                        }
                        None => counted.lost.push(format!("{who}: no server, no disk kept")),
                    }
                }
                [(copy, server)] if server.status() != wanted || server.task_state.is_some() => {
                    let task = server.task_state.as_deref().unwrap_or("no task");
                    let status = server.status();
                    counted.left_down.push(format!("{who}: {copy:?} {} is {status} ({task}), not {wanted}", server.id));
                }
                [(Copy::Rebuild, _)] => counted.moved += 1,
                [(Copy::Restored, _)] => counted.restored += 1,
                [(Copy::Source, _)] if reported.is_some_and(|s| s["result"] == "rolled_back") => counted.restored += 1,
                [(Copy::Source, _)] => counted.in_place += 1,
                copies => {
                    let found: Vec<String> =
                        copies.iter().map(|(c, s)| format!("{c:?} {} {}", s.id, s.status())).collect();
                    counted.duplicated.push(format!("{who}: {found:?}"));
                }
            }
        }
        // The disk kept for a server left down is its copy, not a leak.
        counted.leaked = endstate::leftovers(plan, before, world)
            .into_iter()
            .filter(|left| !kept_disks.iter().any(|image| left.contains(image.as_str())))
            .collect();
        counted
    }

    /// Every bad case, one line each.
    pub fn cases(&self) -> impl Iterator<Item = String> + '_ {
        let named = [
            ("lost", &self.lost),
            ("duplicated", &self.duplicated),
            ("left down", &self.left_down),
            ("leaked", &self.leaked),
        ];
        named.into_iter().flat_map(|(what, cases)| cases.iter().map(move |c| format!("{what}: {c}")))
    }
}

/// The counts over all trials.
#[derive(Debug, Default)]
pub struct Tally {
    pub trials: u64,
    pub lost: usize,
    pub duplicated: usize,
    pub left_down: usize,
    pub leaked: usize,
    pub restored: usize,
    pub moved: usize,
    /// Requests failed by an injected fault, and all requests.
    pub faulted: u64,
    pub requests: u64,
}

/// At least this share of the requests must fail by an injected fault.
const FAULTED_AT_LEAST: f64 = 0.05;

impl Tally {
    pub fn add(&mut self, c: &Counted, (faulted, requests): (u64, u64)) {
        self.trials += 1;
        self.faulted += faulted;
        self.requests += requests;
        self.lost += c.lost.len();
        self.duplicated += c.duplicated.len();
        self.left_down += c.left_down.len();
        self.leaked += c.leaked.len();
        self.restored += c.restored;
        self.moved += c.moved;
    }

    pub fn clean(&self) -> bool {
        self.lost + self.duplicated + self.left_down + self.leaked == 0
    }

    /// Whether the faults hit at least 5% of the requests, over all trials
    /// (one small trial may fall short by chance).
    pub fn faulted_enough(&self) -> bool {
        self.faulted as f64 >= FAULTED_AT_LEAST * self.requests as f64
    }
}

/// The soak's last line.
impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} trials: lost {}, duplicated {}, left down {}, leaked {} (snapshots, key pairs, grants, ports), \
             restored {}, moved {}",
            self.trials, self.lost, self.duplicated, self.left_down, self.leaked, self.restored, self.moved
        )
    }
}
