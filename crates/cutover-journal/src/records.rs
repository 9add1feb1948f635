/*!
The engine's records beside the servers' states, as the journal types them:
per server its [`Notes`], per old host a [`HostEntry`] (its machine's
state, its hand-off hook's [`HookRecord`], when it was taken out of
scheduling and enabled again for a rebuild).
*/

use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::host::{HookEnd, HostAction, HostState};
use serde::{Deserialize, Serialize};

/// What the engine noted about one server, beside its state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notes {
    /// The server cutover booted for it (in the new region, or in the old
    /// one when it was restored there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_id: Option<ServerId>,
    /// Its share of the observations' HTTP requests so far: each batched
    /// observation's requests split evenly among the servers it covered.
    #[serde(default)]
    pub observed: f64,
    /// The HTTP requests its own actions sent (retries included).
    #[serde(default)]
    pub acted: f64,
}

/// One old host as the journal holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostEntry {
    /// Its machine's state, once stepped.
    pub state: Option<HostState>,
    /// Its hand-off hook, once started.
    pub hook: Option<HookRecord>,
    /// When (the run's clock) the run took it out of scheduling.
    pub disabled_at: Option<i64>,
    /// When it was enabled again for a rebuild there, if it has not been
    /// disabled again since: a resumed run disables it again.
    pub enabled_for_rebuild_at: Option<i64>,
}

/// The hand-off hook as the journal keeps it: its start is written before
/// it is called, its end before the host's machine is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRecord {
    /// When it was started (the run's clock).
    pub started_at: i64,
    /// How it ended; `None` while it runs, or if a crash cut it short.
    pub end: Option<HookEndRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookEndRecord {
    pub succeeded: bool,
    /// Exit status; `None` when it succeeded or was killed at its timeout.
    pub status: Option<i32>,
    /// The tail of what it printed.
    pub output: String,
    pub secs: u64,
}

impl HookEndRecord {
    /// `succeeded`, `exited 2`, `timed out`, with the last line printed.
    pub fn describe(&self) -> String {
        let how = match (self.succeeded, self.status) {
            (true, _) => "succeeded".to_string(),
            (false, Some(code)) => format!("exited {code}"),
            (false, None) => "timed out".to_string(),
        };
        match last_line(&self.output) {
            line if line.is_empty() => how,
            line => format!("{how}: {line}"),
        }
    }

    /// The end as the host's machine is told it.
    pub fn end(&self) -> HookEnd {
        match self.succeeded {
            true => HookEnd::Succeeded,
            false => HookEnd::Failed { status: self.status, output: last_line(&self.output) },
        }
    }
}

/// The last line a hook printed that is not blank.
pub fn last_line(output: &str) -> String {
    output.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string()
}

/// A host action written before it was carried out, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostActionEntry {
    pub seq: i64,
    pub host: HostName,
    pub action: HostAction,
    /// `None` while no outcome was written (see [`crate::ActionEntry`]).
    pub outcome: Option<std::result::Result<(), String>>,
}
