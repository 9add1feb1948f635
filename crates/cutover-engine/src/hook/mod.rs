/*!
The hand-off of an emptied old host (phase 6 of the procedure): [`HandOff`] is what
the engine calls for a host the host machine found empty; [`CommandHook`]
runs the operator's command for it, another implementation (the demo's)
may move the host itself. Either way the answer is a [`HookReport`]: how
the hook ended, for `machine::host`, and what it printed, for the journal.
*/

mod command;
mod guard;
mod tail;

use std::time::Duration;

use async_trait::async_trait;
use cutover_core::id::{HostName, RegionName};
pub use cutover_core::machine::host::HookEnd;

pub use command::{CommandHook, HookError, CANNOT_RUN, DEFAULT_GRACE, DEFAULT_TIMEOUT, NOT_FOUND};
pub use guard::HookGuard;
pub use tail::OUTPUT_TAIL_BYTES;

/// What a hook is told: the host, both regions, the migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRequest {
    /// The old `nova-compute` host, as Nova names it: cloud data, passed on
    /// verbatim and never interpreted.
    pub host: HostName,
    pub old_region: RegionName,
    pub new_region: RegionName,
    /// The plan's migration id.
    pub migration: String,
}

/// How a hand-off went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookReport {
    /// What the host machine observes (`HostObservation::hook`).
    pub end: HookEnd,
    /// The last [`OUTPUT_TAIL_BYTES`] of what the hook wrote to stdout and
    /// stderr, interleaved as it came; `[...]` first when cut. Only what the
    /// hook printed: no value of its environment is added.
    pub output: String,
    pub duration: Duration,
}

impl HookReport {
    pub fn succeeded(&self) -> bool {
        self.end == HookEnd::Succeeded
    }

    /// The last non-blank line of the output, for a one-line summary.
    pub fn last_line(&self) -> &str {
        self.output.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
    }

    /// How it ended in words: `succeeded`, `exited 2`, `timed out`.
    pub fn outcome(&self) -> String {
        match &self.end {
            HookEnd::Succeeded => "succeeded".to_string(),
            HookEnd::Failed { status: Some(code), .. } => format!("exited {code}"),
            HookEnd::Failed { status: None, .. } => "timed out".to_string(),
        }
    }
}

/// Hands an empty old host off to the new environment. Called once per
/// host in the normal run, but possibly again for the same host after a
/// crash (the journal records the start before the call): an
/// implementation must be idempotent, succeeding when the host was
/// already handed off. Failures are reported, not returned: a failed
/// hand-off stops that host, not the run.
#[async_trait]
pub trait HandOff: Send + Sync {
    async fn hand_off(&self, request: &HookRequest) -> HookReport;
}
