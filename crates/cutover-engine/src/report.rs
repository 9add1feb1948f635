/*!
The report of a run, read from the journal alone: per server its old and
new id, strategy, where it is or how it ended, downtime (stop sent →
verified in the new region) and the calls it cost; totals; servers per
phase. `cutover run` prints it at the end, `cutover status` at any time;
`-f json` gives these types as they are.
*/

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use cutover_core::id::{HostName, RegionName, ServerId};
use cutover_core::machine::{End, Strategy};
use cutover_journal::{HostEntry, Journal, Notes, ServerEntry};
use serde::Serialize;

use crate::error::Result;
use crate::openstack::KEY_CLASH_PREFIX;
use crate::phase::{self, Phase};

/// How a server's move came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Moved,
    RolledBack,
    Failed,
    /// Stopped by errors repeating did not cure; the next run retries it.
    Held,
    /// Still on its way (the run was interrupted, or is still going).
    Unfinished,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerReport {
    /// The server's id in the old region.
    pub old_id: ServerId,
    pub name: String,
    pub host: HostName,
    pub project: String,
    pub strategy: Strategy,
    /// Where it is: `pending`, a stage, `held`, or how it ended.
    pub phase: String,
    pub result: Outcome,
    /// The rebuilt server (in the old region when it was restored there).
    pub new_id: Option<ServerId>,
    /// Stop sent → verified in the new region, in seconds.
    pub downtime_secs: Option<i64>,
    /// Actions sent to the clouds.
    pub actions: usize,
    /// HTTP requests sent for it: its actions' (retries, lookups and
    /// project-scoped logins included) plus its share of the batched
    /// observations'.
    pub api_calls: f64,
    /// Actions written as intended whose outcome was never written: a run
    /// stopped while they were under way (resolved by observing).
    pub interrupted: usize,
    pub reason: Option<String>,
    /// What the move could not keep as it was (the rebuild names a copy of
    /// its key pair under another name: cutover's user has another key
    /// under the original one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub servers: usize,
    pub moved: usize,
    pub rolled_back: usize,
    pub failed: usize,
    pub held: usize,
    pub unfinished: usize,
    pub downtime_max_secs: Option<i64>,
    pub downtime_mean_secs: Option<f64>,
    pub api_calls: f64,
    /// Mean over the servers that moved.
    pub api_calls_per_moved_server: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseCount {
    pub phase: String,
    pub servers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub migration: String,
    pub journal: String,
    pub old_region: RegionName,
    pub new_region: RegionName,
    /// Servers per phase, in route order.
    pub phases: Vec<PhaseCount>,
    pub servers: Vec<ServerReport>,
    pub totals: Totals,
    /// Old hosts cutover let take servers again for a rebuild there and has
    /// not disabled again yet (the next `cutover run` or `rollback` does).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts_enabled_for_rebuild: Vec<HostName>,
    /// The old hosts' machines, where a run has stepped them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostReport>,
}

/// One old host: how far it went, and its hand-off hook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostReport {
    pub host: HostName,
    /// `active`, `disabled`, `draining`, `empty`, `handed-off`, `joined-new`, `retired-old`.
    pub stage: String,
    /// Why it stopped short (a failed hook, no rejoin).
    pub reason: Option<String>,
    /// How its hook ended (`succeeded`, `exited 2`, `timed out`), with the
    /// last line it printed; `running` when a run stopped during it.
    pub hook: Option<String>,
}

impl Report {
    /// The report as the journal has it; `held` names the servers the
    /// current run stopped retrying, with why.
    pub fn from_journal(journal: &Journal, held: &HashMap<ServerId, String>) -> Result<Report> {
        Report::of_servers(journal, held, None)
    }

    /// The same, of the servers `only` names (by old id) when given.
    pub fn of_servers(
        journal: &Journal,
        held: &HashMap<ServerId, String>,
        only: Option<&BTreeSet<ServerId>>,
    ) -> Result<Report> {
        let loaded = journal.load()?;
        let mut actions: HashMap<ServerId, (usize, usize)> = HashMap::new();
        for action in loaded.actions {
            let entry = actions.entry(action.source).or_default();
            entry.0 += 1;
            entry.1 += usize::from(action.outcome.is_none());
        }
        let mut servers = Vec::new();
        let mut phases = Vec::new();
        for entry in loaded.servers {
            if only.is_some_and(|only| !only.contains(&entry.plan.source)) {
                continue;
            }
            let (sent, interrupted) = actions.get(&entry.plan.source).copied().unwrap_or_default();
            let notes = loaded.notes.get(&entry.plan.source).cloned().unwrap_or_default();
            let started = sent > 0 || entry.state.started();
            let phase = match held.get(&entry.plan.source) {
                Some(_) if entry.state.end.is_none() => Phase::Held,
                _ => Phase::of(&entry.plan, &entry.state, started),
            };
            phases.push(phase);
            let mut report = server_report(&entry, phase, held, sent, interrupted, &notes);
            report.warning = journal.value(&format!("{KEY_CLASH_PREFIX}{}", entry.plan.source))?;
            servers.push(report);
        }
        let meta = journal.meta();
        // A run's own report also has the hosts it stepped with no server
        // of their own (a spare handed off); a rollback's, its servers' hosts.
        let stepped: Vec<&str> = match only {
            None => loaded.hosts.iter().filter(|(_, h)| h.state.is_some()).map(|(name, _)| name.as_str()).collect(),
            Some(_) => Vec::new(),
        };
        let names = servers.iter().map(|s| s.host.as_str()).chain(stepped);
        let hosts = host_reports(&loaded.hosts, names);
        Ok(Report {
            hosts,
            migration: meta.migration.clone(),
            journal: journal.path().display().to_string(),
            old_region: meta.old_region.clone(),
            new_region: meta.new_region.clone(),
            phases: phase::count(&phases)
                .into_iter()
                .map(|(phase, servers)| PhaseCount { phase: phase.to_string(), servers })
                .collect(),
            totals: totals(&servers),
            servers,
            hosts_enabled_for_rebuild: loaded
                .hosts
                .iter()
                .filter(|(_, h)| h.enabled_for_rebuild_at.is_some())
                .map(|(name, _)| name.clone())
                .collect(),
        })
    }

    /// True when every server moved.
    pub fn all_moved(&self) -> bool {
        self.totals.moved == self.totals.servers
    }

    /// Reads the report of the journal at `path` without taking its lock.
    pub fn read(path: &Path) -> Result<Report> {
        Report::from_journal(&Journal::open_read_only(path)?, &HashMap::new())
    }
}

fn server_report(
    entry: &ServerEntry,
    phase: Phase,
    held: &HashMap<ServerId, String>,
    sent: usize,
    interrupted: usize,
    notes: &Notes,
) -> ServerReport {
    let field = |name: &str| entry.record.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let state = &entry.state;
    let (result, reason) = match (&state.end, held.get(&entry.plan.source)) {
        // A move back that failed says so.
        (Some(End::Moved), _) => (Outcome::Moved, state.reason.clone()),
        (Some(End::RolledBack { reason }), _) => (Outcome::RolledBack, Some(reason.clone())),
        (Some(End::Failed { reason }), _) => (Outcome::Failed, Some(reason.clone())),
        (None, Some(why)) => (Outcome::Held, Some(why.clone())),
        (None, None) => (Outcome::Unfinished, state.reason.clone()),
    };
    ServerReport {
        old_id: entry.plan.source.clone(),
        name: field("name"),
        host: field("host").into(),
        project: field("project_id"),
        strategy: entry.plan.strategy,
        phase: phase.to_string(),
        result,
        new_id: notes.new_id.clone(),
        downtime_secs: state.stopped_at.zip(state.verified_at).map(|(stop, verified)| verified - stop),
        actions: sent,
        api_calls: round(notes.acted + notes.observed),
        interrupted,
        reason,
        warning: None,
    }
}

fn totals(servers: &[ServerReport]) -> Totals {
    let count = |outcome: Outcome| servers.iter().filter(|s| s.result == outcome).count();
    let downtimes: Vec<i64> = servers.iter().filter_map(|s| s.downtime_secs).collect();
    let moved: Vec<&ServerReport> = servers.iter().filter(|s| s.result == Outcome::Moved).collect();
    let mean = |values: Vec<f64>| (!values.is_empty()).then(|| round(values.iter().sum::<f64>() / values.len() as f64));
    Totals {
        servers: servers.len(),
        moved: moved.len(),
        rolled_back: count(Outcome::RolledBack),
        failed: count(Outcome::Failed),
        held: count(Outcome::Held),
        unfinished: count(Outcome::Unfinished),
        downtime_max_secs: downtimes.iter().copied().max(),
        downtime_mean_secs: mean(downtimes.iter().map(|d| *d as f64).collect()),
        api_calls: round(servers.iter().map(|s| s.api_calls).sum()),
        api_calls_per_moved_server: mean(moved.iter().map(|s| s.api_calls).collect()),
    }
}

/// One decimal: a share of a batched call is not worth more.
fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The old hosts of `names` (in order, once each) the journal has a state for.
fn host_reports<'a>(
    journaled: &BTreeMap<HostName, HostEntry>,
    names: impl Iterator<Item = &'a str>,
) -> Vec<HostReport> {
    let mut seen = BTreeSet::new();
    let mut hosts = Vec::new();
    for name in names {
        if !seen.insert(name) {
            continue;
        }
        let Some(HostEntry { state: Some(state), hook, .. }) = journaled.get(name) else { continue };
        let stage = serde_json::to_value(state.stage).ok().and_then(|v| v.as_str().map(str::to_string));
        let hook = hook.as_ref().map(|h| match &h.end {
            None => "running".to_string(),
            Some(end) => end.describe(),
        });
        hosts.push(HostReport {
            host: name.into(),
            stage: stage.unwrap_or_default(),
            reason: state.failed.clone(),
            hook,
        });
    }
    hosts
}
