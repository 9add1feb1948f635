/*!
Where a server is, in an operator's words: pending, one of its route's
stages (`snapshot`, `boot`, `rollback: boot`, ...), held, or how it ended.
The live progress, `cutover status` and the report count servers by it.
*/

use std::cmp::Ordering;
use std::fmt;

use cutover_core::machine::{Direction, End, Route, ServerMove, ServerState, Stage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Not started: waiting for a slot.
    Pending,
    /// Not started: its old host's servers wait for room in the new region.
    WaitingForRoom,
    /// Going forward, at this stage.
    Moving(Stage),
    /// A rollback the operator asked for, not taken up yet.
    RollbackRequested,
    /// Turning back, or going back into the old region, at this stage.
    RollingBack(Stage),
    /// Stopped by errors that repeating did not cure; a new run retries.
    Held,
    Moved,
    RolledBack,
    Failed,
}

impl Phase {
    /// The phase of a server whose state the journal holds; `started`
    /// tells a pending move from one waiting at its first stage (a server
    /// left to its owner is always watched, never pending).
    pub fn of(plan: &ServerMove, state: &ServerState, started: bool) -> Phase {
        match &state.end {
            Some(End::Moved) => return Phase::Moved,
            Some(End::RolledBack { .. }) => return Phase::RolledBack,
            Some(End::Failed { .. }) => return Phase::Failed,
            None => {}
        }
        if state.rollback_requested {
            return Phase::RollbackRequested;
        }
        match (state.direction, state.route, state.stage(plan)) {
            (Direction::Out, Route::Forward, Some(stage)) if started || stage == Stage::Watch => Phase::Moving(stage),
            (Direction::Out, Route::Forward, _) => Phase::Pending,
            (_, _, Some(stage)) => Phase::RollingBack(stage),
            (_, _, None) => Phase::Pending,
        }
    }

    pub fn is_end(&self) -> bool {
        matches!(self, Phase::Moved | Phase::RolledBack | Phase::Failed)
    }

    /// Pending first, then the stages in route order, then the ends.
    fn key(&self) -> (u8, usize) {
        match self {
            Phase::Pending => (0, 0),
            Phase::WaitingForRoom => (0, 1),
            Phase::Moving(stage) => (1, *stage as usize),
            Phase::RollbackRequested => (2, 0),
            Phase::RollingBack(stage) => (2, *stage as usize + 1),
            Phase::Held => (3, 0),
            Phase::Moved => (4, 0),
            Phase::RolledBack => (5, 0),
            Phase::Failed => (6, 0),
        }
    }
}

impl Ord for Phase {
    fn cmp(&self, other: &Phase) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Phase {
    fn partial_cmp(&self, other: &Phase) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Pending => f.write_str("pending"),
            Phase::WaitingForRoom => f.write_str("waiting for room"),
            Phase::Moving(stage) => f.write_str(&stage_name(*stage)),
            Phase::RollbackRequested => f.write_str("rollback requested"),
            Phase::RollingBack(stage) => write!(f, "rollback: {}", stage_name(*stage)),
            Phase::Held => f.write_str("held"),
            Phase::Moved => f.write_str("moved"),
            Phase::RolledBack => f.write_str("rolled back"),
            Phase::Failed => f.write_str("failed"),
        }
    }
}

/// A stage as the journal spells it (`delete_source`), with spaces.
fn stage_name(stage: Stage) -> String {
    serde_json::to_value(stage).ok().and_then(|v| v.as_str().map(|s| s.replace('_', " "))).unwrap_or_default()
}

/// Servers per phase, in phase order, phases with none left out.
pub fn count<'a>(phases: impl IntoIterator<Item = &'a Phase>) -> Vec<(Phase, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for phase in phases {
        *counts.entry(*phase).or_insert(0usize) += 1;
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_read_and_sort_as_an_operator_expects() {
        let phases = [
            Phase::Moved,
            Phase::RollingBack(Stage::Boot),
            Phase::Pending,
            Phase::WaitingForRoom,
            Phase::Moving(Stage::Boot),
            Phase::Moving(Stage::Stop),
            Phase::Moved,
            Phase::RollbackRequested,
        ];
        let counts: Vec<String> = count(&phases).iter().map(|(p, n)| format!("{p}={n}")).collect();
        assert_eq!(
            counts,
            [
                "pending=1",
                "waiting for room=1",
                "stop=1",
                "boot=1",
                "rollback requested=1",
                "rollback: boot=1",
                "moved=2"
            ]
        );
        assert_eq!(Phase::Moving(Stage::DeleteSource).to_string(), "delete source");
    }
}
