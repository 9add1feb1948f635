/*!
Nova's instance actions: what was asked of each server (`create`, `stop`,
`createImage`, `delete`, ...), in which request and by whom, with the
compute manager's events and their start and finish times. They outlive
the server (Nova keeps them with its soft-deleted row), and they are how
an operator, or cutover, learns how long each of the cloud's steps took.
*/

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Who asked, in which request: what Nova stamps on an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    pub request_id: String,
    pub user_id: String,
    /// The token's project (not necessarily the server's).
    pub project_id: Option<String>,
}

/// One action on a server.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceAction {
    pub action: String,
    pub instance_uuid: String,
    pub request_id: String,
    pub user_id: String,
    pub project_id: Option<String>,
    pub start_time: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `Error` once one of its events failed.
    pub message: Option<String>,
    pub events: Vec<ActionEvent>,
}

/// A step of an action as the service doing it records it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionEvent {
    pub event: String,
    pub start_time: DateTime<Utc>,
    pub finish_time: Option<DateTime<Utc>>,
    /// `Success` or `Error` once finished.
    pub result: Option<String>,
    /// The compute host (or conductor) that ran it.
    pub host: Option<String>,
    pub traceback: Option<String>,
    /// What went wrong, for a failed event (2.84).
    pub details: Option<String>,
}

/// Every server's actions in one region, oldest first, kept after the
/// server is deleted.
#[derive(Debug, Default)]
pub struct ActionLog {
    by_server: std::collections::BTreeMap<String, Vec<InstanceAction>>,
}

impl ActionLog {
    /// Records action `action` on `server`, asked by `by` at `now`.
    pub fn record(&mut self, server: &str, action: &str, by: &Requested, now: DateTime<Utc>) {
        self.by_server.entry(server.to_string()).or_default().push(InstanceAction {
            action: action.to_string(),
            instance_uuid: server.to_string(),
            request_id: by.request_id.clone(),
            user_id: by.user_id.clone(),
            project_id: by.project_id.clone(),
            start_time: now,
            updated_at: now,
            message: None,
            events: Vec::new(),
        });
    }

    /// Starts event `event` of the latest action on `server`, run on
    /// `host` (Nova allows one task at a time on a server, so the latest
    /// action is the one running).
    pub fn start(&mut self, server: &str, event: &str, host: Option<&str>, now: DateTime<Utc>) {
        if let Some(action) = self.by_server.get_mut(server).and_then(|a| a.last_mut()) {
            action.updated_at = now;
            action.events.push(ActionEvent {
                event: event.to_string(),
                start_time: now,
                finish_time: None,
                result: None,
                host: host.map(str::to_string),
                traceback: None,
                details: None,
            });
        }
    }

    /// Finishes `server`'s latest unfinished event `event`: `Success`, or
    /// `Error` with what went wrong (which marks its action `Error` too).
    pub fn finish(&mut self, server: &str, event: &str, failed: Option<&str>, now: DateTime<Utc>) {
        let Some(actions) = self.by_server.get_mut(server) else { return };
        for action in actions.iter_mut().rev() {
            if let Some(e) = action.events.iter_mut().rev().find(|e| e.event == event && e.finish_time.is_none()) {
                finish_event(e, failed, now);
                action.updated_at = now;
                if failed.is_some() {
                    action.message = Some("Error".to_string());
                }
                return;
            }
        }
    }

    /// Fails every unfinished event of `server`'s latest action (a build
    /// that ends in ERROR).
    pub fn fail_unfinished(&mut self, server: &str, why: &str, now: DateTime<Utc>) {
        let Some(action) = self.by_server.get_mut(server).and_then(|a| a.last_mut()) else { return };
        for e in action.events.iter_mut().filter(|e| e.finish_time.is_none()) {
            finish_event(e, Some(why), now);
            action.message = Some("Error".to_string());
            action.updated_at = now;
        }
    }

    /// `server`'s actions, oldest first.
    pub fn of(&self, server: &str) -> &[InstanceAction] {
        self.by_server.get(server).map_or(&[], Vec::as_slice)
    }
}

fn finish_event(e: &mut ActionEvent, failed: Option<&str>, now: DateTime<Utc>) {
    e.finish_time = Some(now);
    e.result = Some(if failed.is_some() { "Error" } else { "Success" }.to_string());
    if let Some(why) = failed {
        e.traceback = Some(format!("Traceback (most recent call last):\n{why}\n"));
        e.details = Some(why.to_string());
    }
}
