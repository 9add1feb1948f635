/*!
`POST /servers/{id}/action`: picks the action from the body's single key
(as Nova's `action_peek` does, before looking the server up) and runs it;
lock, unlock and the admin's `os-resetState` live here too.
*/

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::common::{accepted, invalid_input, ServerPath};
use super::{floating_ips, power, snapshot};
use crate::api::common::JsonBody;
use crate::api::nova::lookup::visible_server_mut;
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::VmState;
use crate::sim::Sim;

pub async fn action(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ServerPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let (name, args) = match body.as_object() {
        Some(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.clone(), v.clone())).expect("one key"),
        _ => return Err(ApiError::bad_request("Malformed request body")),
    };
    let id = p.server_id.as_str();
    match name.as_str() {
        "os-stop" => power::stop(&sim, &nova, id),
        "os-start" => power::start(&sim, &nova, id),
        "reboot" => power::reboot(&sim, &nova, id, &args),
        "createImage" => snapshot::create_image(&sim, &nova, id, &args),
        // Versioned out at 2.44: Nova answers as if the action did not exist.
        "addFloatingIp" | "removeFloatingIp" if nova.at_least(44) => {
            Err(ApiError::not_found("The resource could not be found."))
        }
        "addFloatingIp" => floating_ips::add(&sim, &nova, id, &args),
        "removeFloatingIp" => floating_ips::remove(&sim, &nova, id, &args),
        "lock" => lock(&sim, &nova, id, &args),
        "unlock" => unlock(&sim, &nova, id),
        "os-resetState" => reset_state(&sim, &nova, id, &args),
        other => Err(ApiError::bad_request(format!("There is no such action: {other}"))),
    }
}

fn lock(sim: &Sim, nova: &Nova, id: &str, args: &Value) -> ApiResult<Response> {
    let reason = if nova.at_least(73) {
        match args {
            Value::Null => None,
            Value::Object(_) => {
                super::common::only_keys("lock", args, &["locked_reason"])?;
                match super::common::opt_str(args, "locked_reason")? {
                    Some(r) if r.is_empty() || r.chars().count() > 255 => {
                        return Err(invalid_input(
                            "locked_reason",
                            &args["locked_reason"],
                            "The length must be between 1 and 255 characters",
                        ))
                    }
                    r => r.map(str::to_string),
                }
            }
            other => return Err(invalid_input("lock", other, format!("{other} is not of type 'object', 'null'"))),
        }
    } else {
        None
    };
    let mut w = sim.world();
    let now = w.now;
    let server = visible_server_mut(&mut w, nova, id)?;
    let is_owner = nova.caller.project_id.as_deref() == Some(server.project_id.as_str());
    // `compute_api.lock`: an owner re-locking changes nothing.
    if server.locked && is_owner {
        return Ok(accepted());
    }
    server.locked = true;
    server.locked_by = Some(if is_owner { "owner" } else { "admin" }.to_string());
    if reason.is_some() {
        server.locked_reason = reason;
    }
    server.updated = now;
    Ok(accepted())
}

fn unlock(sim: &Sim, nova: &Nova, id: &str) -> ApiResult<Response> {
    let mut w = sim.world();
    let now = w.now;
    let server = visible_server_mut(&mut w, nova, id)?;
    let is_owner = nova.caller.project_id.as_deref() == Some(server.project_id.as_str());
    let expected = if is_owner { "owner" } else { "admin" };
    if server.locked_by.as_deref().is_some_and(|by| by != expected) {
        nova.caller.require_admin("os_compute_api:os-lock-server:unlock:unlock_override")?;
    }
    server.locked = false;
    server.locked_by = None;
    server.locked_reason = None;
    server.updated = now;
    Ok(accepted())
}

/// `os-resetState` (admin): forces `vm_state` to active or error and
/// clears the task, abandoning whatever operation was running. Like Nova,
/// it leaves the power state alone.
fn reset_state(sim: &Sim, nova: &Nova, id: &str, args: &Value) -> ApiResult<Response> {
    super::common::only_keys("os-resetState", args, &["state"])?;
    let state = match args.get("state") {
        Some(Value::String(s)) if s == "active" => VmState::Active,
        Some(Value::String(s)) if s == "error" => VmState::Error,
        Some(other) => return Err(invalid_input("state", other, format!("{other} is not one of ['active', 'error']"))),
        None => return Err(invalid_input("os-resetState", args, "'state' is a required property")),
    };
    let mut w = sim.world();
    let now = w.now;
    let server = visible_server_mut(&mut w, nova, id)?;
    nova.caller.require_admin("os_compute_api:os-admin-actions:reset_state")?;
    super::common::begin(server, now, None);
    server.vm_state = state;
    Ok(accepted())
}
