/*!
The engine's own bookkeeping in the journal, beside the machine's states:
which old hosts were taken out of scheduling (and which were let take
servers again for a rebuild there), and per server the rebuild's id (the
state does not hold it) and its share of the batched observations. Kept in
the journal's key/value `meta` table.
*/

use cutover_journal::Journal;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// What the engine noted about one server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notes {
    /// The server cutover booted for it (in the new region, or in the old
    /// one when it was restored there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_id: Option<String>,
    /// Its share of the observations' HTTP requests so far: each batched
    /// observation's requests split evenly among the servers it covered.
    #[serde(default)]
    pub observed: f64,
    /// The HTTP requests its own actions sent (retries included).
    #[serde(default)]
    pub acted: f64,
}

fn server_key(source: &str) -> String {
    format!("server/{source}")
}

fn host_key(host: &str) -> String {
    format!("host/{host}/disabled")
}

pub fn load(journal: &Journal, source: &str) -> Result<Notes> {
    Ok(journal.value(&server_key(source))?.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default())
}

pub fn save(journal: &mut Journal, source: &str, notes: &Notes) -> Result<()> {
    let text = serde_json::to_string(notes).unwrap_or_default();
    Ok(journal.set_value(&server_key(source), &text)?)
}

/// When (the run's clock) the old host was taken out of scheduling.
pub fn host_disabled(journal: &Journal, host: &str) -> Result<Option<String>> {
    Ok(journal.value(&host_key(host))?)
}

pub fn set_host_disabled(journal: &mut Journal, host: &str, at: i64) -> Result<()> {
    Ok(journal.set_value(&host_key(host), &at.to_string())?)
}

fn enabled_key(host: &str) -> String {
    format!("host/{host}/enabled-for-rebuild")
}

/// Old hosts enabled again for a rebuild there and not disabled since.
pub fn hosts_enabled(journal: &Journal) -> Result<Vec<String>> {
    Ok(journal
        .values_with_prefix("host/")?
        .into_iter()
        .filter_map(|(key, _)| Some(key.strip_prefix("host/")?.strip_suffix("/enabled-for-rebuild")?.to_string()))
        .collect())
}

/// Written before the host is enabled: a run killed after the call still
/// knows to disable it again.
pub fn set_host_enabled(journal: &mut Journal, host: &str, at: i64) -> Result<()> {
    Ok(journal.set_value(&enabled_key(host), &at.to_string())?)
}

/// Removed once the cloud confirmed the host disabled again.
pub fn clear_host_enabled(journal: &mut Journal, host: &str) -> Result<()> {
    Ok(journal.remove_value(&enabled_key(host))?)
}
