/*!
Instance actions (`/servers/{id}/os-instance-actions`): what the handlers
record as they accept an action (its compute events started then and
finished when the work is done), and the list and show that serve them,
with Nova's microversions (deleted servers from 2.21, events to owners
from 2.51, `updated_at` and paging from 2.58, `host`/`hostId` from 2.62,
`changes-before` from 2.66, `details` from 2.84) and policies (events with
their traceback and host for admins only).
*/

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::api::common::ok;
use crate::api::nova::lookup::{query_limit, query_time, region, server_not_found, MAX_LIMIT};
use crate::api::nova::Nova;
use crate::clock::TimeModel;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{host_id, ActionEvent, InstanceAction};
use crate::model::World;
use crate::service::urls;
use crate::sim::Sim;

/// Records action `action` on server `id`, asked in this request, and
/// starts its first event, if it has one, on the server's host (or, for
/// a build, the conductor's).
pub fn record(w: &mut World, nova: &Nova, id: &str, action: &str, event: Option<&str>) {
    let now = w.now;
    let Some(r) = w.compute_region_mut(&nova.region) else { return };
    let host = r.servers.get(id).and_then(|s| s.host.clone());
    r.actions.record(id, action, &nova.requested(), now);
    if let Some(event) = event {
        r.actions.start(id, event, host.as_deref(), now);
    }
}

/// Finishes server `id`'s event `event` `secs` realistic seconds from now
/// (after the operation's own step due then); `failed` says why it failed.
pub fn finish_after(w: &mut World, region: &str, id: &str, event: &'static str, secs: f64, failed: Option<String>) {
    let (region, id) = (region.to_string(), id.to_string());
    w.after(TimeModel::secs(secs), move |w| finish(w, &region, &id, event, failed.as_deref()));
}

/// Finishes server `id`'s event `event` now.
pub fn finish(w: &mut World, region: &str, id: &str, event: &str, failed: Option<&str>) {
    let now = w.now;
    if let Some(r) = w.compute_region_mut(region) {
        r.actions.finish(id, event, failed, now);
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    #[serde(rename = "changes-since")]
    changes_since: Option<String>,
    #[serde(rename = "changes-before")]
    changes_before: Option<String>,
}

/// `GET /servers/{id}/os-instance-actions`: newest first.
pub async fn list(
    State(sim): State<Sim>,
    nova: Nova,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let w = sim.read();
    server_project(&w, &nova, &id)?;
    let mut actions: Vec<&InstanceAction> = region(&w, &nova)?.actions.of(&id).iter().rev().collect();
    let mut next = None;
    if nova.at_least(58) {
        let since = q.changes_since.as_deref().map(|v| query_time("changes-since", v)).transpose()?;
        let before = match q.changes_before.as_deref() {
            Some(_) if !nova.at_least(66) => return Err(additional_property("changes-before")),
            b => b.map(|v| query_time("changes-before", v)).transpose()?,
        };
        if let (Some(s), Some(b)) = (since, before) {
            if b < s {
                return Err(ApiError::bad_request(
                    "The value of changes-since must be less than or equal to changes-before.",
                ));
            }
        }
        actions.retain(|a| since.is_none_or(|s| a.updated_at >= s) && before.is_none_or(|b| a.updated_at <= b));
        if let Some(marker) = &q.marker {
            let at = actions
                .iter()
                .position(|a| &a.request_id == marker)
                .ok_or_else(|| ApiError::bad_request(format!("Marker {marker} could not be found.")))?;
            actions.drain(..=at);
        }
        let limit = q.limit.as_deref().map(query_limit).transpose()?.unwrap_or(MAX_LIMIT);
        actions.truncate(limit);
        if !actions.is_empty() && actions.len() == limit {
            next = actions.last().map(|a| a.request_id.clone());
        }
    }
    let body: Vec<Value> = actions.iter().map(|a| action_view(a, &nova)).collect();
    let mut reply = json!({"instanceActions": body});
    if let Some(marker) = next {
        let href = format!(
            "{}/servers/{id}/os-instance-actions?limit={}&marker={marker}",
            urls::compute(&w.base_url, &nova.region),
            actions.len()
        );
        reply["links"] = json!([{"rel": "next", "href": href}]);
    }
    Ok(ok(reply))
}

/// `GET /servers/{id}/os-instance-actions/{request_id}`.
pub async fn show(
    State(sim): State<Sim>,
    nova: Nova,
    Path((_, id, request_id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let w = sim.read();
    let project = server_project(&w, &nova, &id)?;
    let action = region(&w, &nova)?
        .actions
        .of(&id)
        .iter()
        .rev()
        .find(|a| a.request_id == request_id)
        .ok_or_else(|| ApiError::not_found(format!("Action {request_id} not found")))?;
    let mut body = action_view(action, &nova);
    // Events: all of them to admins; to the owner from 2.51, without the
    // traceback (and, from 2.62, without the host's name).
    let admin = nova.caller.is_admin();
    if admin || nova.at_least(51) {
        let events: Vec<Value> = action.events.iter().map(|e| event_view(e, &nova, admin, &project)).collect();
        body["events"] = json!(events);
    }
    Ok(ok(json!({"instanceAction": body})))
}

/// The project of server `id`, deleted or not (from 2.21) when the caller
/// may see it; 404 otherwise.
fn server_project(w: &World, nova: &Nova, id: &str) -> ApiResult<String> {
    let r = region(w, nova)?;
    let server = if nova.at_least(21) { r.server_or_tombstone(id) } else { r.servers.get(id) };
    server
        .filter(|s| nova.caller.can_see_project(&s.project_id))
        .map(|s| s.project_id.clone())
        .ok_or_else(|| server_not_found(id))
}

fn action_view(a: &InstanceAction, nova: &Nova) -> Value {
    let mut v = json!({
        "action": a.action,
        "instance_uuid": a.instance_uuid,
        "request_id": a.request_id,
        "user_id": a.user_id,
        "project_id": a.project_id,
        "start_time": nova_time(&a.start_time),
        "message": a.message,
    });
    if nova.at_least(58) {
        v["updated_at"] = json!(nova_time(&a.updated_at));
    }
    v
}

fn event_view(e: &ActionEvent, nova: &Nova, admin: bool, project: &str) -> Value {
    let mut v = json!({
        "event": e.event,
        "start_time": nova_time(&e.start_time),
        "finish_time": e.finish_time.as_ref().map(nova_time),
        "result": e.result,
    });
    if admin {
        v["traceback"] = json!(e.traceback);
    }
    if nova.at_least(62) {
        if admin {
            v["host"] = json!(e.host);
        }
        v["hostId"] = json!(host_id(project, e.host.as_deref()));
    }
    if nova.at_least(84) && admin {
        v["details"] = json!(e.details);
    }
    v
}

/// Nova's timestamps in instance actions: no zone, microseconds.
fn nova_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn additional_property(name: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Invalid input for query parameters {name}. Value: Additional properties are not allowed ('{name}' was \
         unexpected)"
    ))
}
