/*!
What the server action and sub-resource handlers share: the paths they
are routed on, Nova's state checks and 400/409 messages, body field
parsing, and the task steps a slow action runs on the timeline.
*/

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{Server, VmState};
use crate::model::World;

/// The empty 202 most actions answer with.
pub fn accepted() -> Response {
    StatusCode::ACCEPTED.into_response()
}

/// `/servers/{server_id}/...`
#[derive(Debug, Deserialize)]
pub struct ServerPath {
    pub server_id: String,
}

/// `/servers/{server_id}/<collection>/{item}`
#[derive(Debug, Deserialize)]
pub struct ItemPath {
    pub server_id: String,
    pub item: String,
}

/// States in which a server's metadata and tags may change.
pub const CHANGEABLE: [VmState; 4] = [VmState::Active, VmState::Paused, VmState::Suspended, VmState::Stopped];

/// Nova's 409 for an operation refused in the server's current state
/// (`common.raise_http_conflict_for_instance_invalid_state`).
pub fn invalid_state(action: &str, id: &str, attr: &str, state: &str) -> ApiError {
    ApiError::conflict(format!("Cannot '{action}' instance {id} while it is in {attr} {state}"))
}

/// `check_instance_state`: the vm_state must be one of `allowed` and, when
/// `idle` is set, no task may be running.
pub fn check_state(server: &Server, action: &str, allowed: &[VmState], idle: bool) -> ApiResult<()> {
    if !allowed.contains(&server.vm_state) {
        return Err(invalid_state(action, &server.id, "vm_state", server.vm_state.as_str()));
    }
    if idle {
        if let Some(task) = &server.task_state {
            return Err(invalid_state(action, &server.id, "task_state", task));
        }
    }
    Ok(())
}

/// `check_instance_lock`: a locked server refuses changes except from an admin.
pub fn check_unlocked(server: &Server, nova: &Nova) -> ApiResult<()> {
    if server.locked && !nova.caller.is_admin() {
        return Err(ApiError::conflict(format!("Instance {} is locked", server.id)));
    }
    Ok(())
}

/// The 400 Nova's JSON-schema validation gives.
pub fn invalid_input(field: &str, value: &Value, reason: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid input for field/attribute {field}. Value: {value}. {reason}"))
}

/// Rejects members of `body` not in `allowed` (`additionalProperties: false`).
pub fn only_keys(field: &str, body: &Value, allowed: &[&str]) -> ApiResult<()> {
    let Some(map) = body.as_object() else {
        return Err(invalid_input(field, body, format!("{body} is not of type 'object'")));
    };
    let extra: Vec<&String> = map.keys().filter(|k| !allowed.contains(&k.as_str())).collect();
    if extra.is_empty() {
        Ok(())
    } else {
        let names: Vec<String> = extra.iter().map(|k| format!("'{k}'")).collect();
        Err(invalid_input(
            field,
            body,
            format!(
                "Additional properties are not allowed ({} {} unexpected)",
                names.join(", "),
                if names.len() == 1 { "was" } else { "were" }
            ),
        ))
    }
}

/// An optional string member of `body`, 400 when it is another type.
pub fn opt_str<'a>(body: &'a Value, field: &str) -> ApiResult<Option<&'a str>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid_input(field, other, format!("{other} is not of type 'string'"))),
    }
}

/// A boolean as Nova's `parameter_types.boolean` accepts it: JSON booleans
/// and the strings oslo's `bool_from_string` knows.
pub fn parse_bool(field: &str, value: &Value) -> ApiResult<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "t" | "on" | "y" | "yes" => Ok(true),
            "false" | "0" | "f" | "off" | "n" | "no" => Ok(false),
            _ => Err(invalid_input(field, value, format!("{value} is not of type 'boolean', 'string'"))),
        },
        other => Err(invalid_input(field, other, format!("{other} is not of type 'boolean', 'string'"))),
    }
}

/// Whether a string is a canonical UUID, as Nova's `format: uuid` checks.
pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

/// Starts a new operation on a server: later steps of older operations
/// see the new generation and stand down.
pub fn begin(server: &mut Server, now: chrono::DateTime<chrono::Utc>, task: Option<&str>) -> u64 {
    server.generation += 1;
    server.task_state = task.map(str::to_string);
    server.updated = now;
    server.generation
}

/// The server a scheduled step belongs to, if it still exists and no newer
/// operation has started on it.
pub fn current<'a>(w: &'a mut World, region: &str, id: &str, generation: u64) -> Option<&'a mut Server> {
    w.compute_region_mut(region)?.servers.get_mut(id).filter(|s| s.generation == generation)
}

/// Schedules a step of the server's current operation `secs` realistic
/// seconds from now; it runs only if the operation is still current.
pub fn step(
    w: &mut World,
    region: &str,
    id: &str,
    generation: u64,
    secs: f64,
    then: impl FnOnce(&mut Server, chrono::DateTime<chrono::Utc>) + Send + Sync + 'static,
) {
    let (region, id) = (region.to_string(), id.to_string());
    w.after(crate::clock::TimeModel::secs(secs), move |w| {
        let now = w.now;
        if let Some(server) = current(w, &region, &id, generation) {
            then(server, now);
            server.updated = now;
        }
    });
}
