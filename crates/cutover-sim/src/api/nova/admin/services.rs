/*!
`/os-services` (admin): the region's services with their up/down state.
Before 2.53 services are enabled and disabled with the legacy
`PUT /os-services/{enable,disable,disable-log-reason,force-down}` by host
and binary and have integer ids; from 2.53 by `PUT /os-services/{uuid}`.
Deleting a `nova-compute` service removes its host.
*/

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Value};

use super::common::{admin, empty, Id};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::ComputeService;
use crate::model::{iso_micros, ComputeRegion};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/os-services", get(list)).route("/os-services/{id}", put(update).delete(delete))
}

/// The id a service shows at the request's version.
pub fn service_id(nova: &Nova, s: &ComputeService) -> Value {
    if nova.at_least(53) {
        json!(s.uuid)
    } else {
        json!(s.id)
    }
}

/// `up` unless the service stopped reporting or was forced down.
pub fn state(s: &ComputeService) -> &'static str {
    if s.up && !s.forced_down {
        "up"
    } else {
        "down"
    }
}

pub fn status(s: &ComputeService) -> &'static str {
    if s.disabled {
        "disabled"
    } else {
        "enabled"
    }
}

fn service_json(nova: &Nova, s: &ComputeService) -> Value {
    let mut v = json!({
        "id": service_id(nova, s),
        "binary": s.binary,
        "host": s.host,
        "zone": s.zone,
        "status": status(s),
        "state": state(s),
        "disabled_reason": s.disabled_reason,
        "updated_at": iso_micros(&s.updated_at),
    });
    if nova.at_least(11) {
        v["forced_down"] = json!(s.forced_down);
    }
    v
}

async fn list(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-services:list")?;
    let w = sim.world();
    let rows: Vec<Value> = region(&w, &nova)?
        .services
        .values()
        .filter(|s| q.get("host").is_none_or(|h| *h == s.host) && q.get("binary").is_none_or(|b| *b == s.binary))
        .map(|s| service_json(&nova, s))
        .collect();
    Ok(ok(json!({"services": rows})))
}

/// The service a request names: by integer id before 2.53, by UUID after.
fn find_key(nova: &Nova, r: &ComputeRegion, id: &str) -> Result<u64, ApiError> {
    let found = if nova.at_least(53) {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(ApiError::bad_request(format!("Invalid uuid {id}")));
        }
        r.services.values().find(|s| s.uuid == id)
    } else {
        let n = id.parse::<u64>().map_err(|_| ApiError::bad_request(format!("Invalid id {id}")))?;
        r.services.get(&n)
    };
    found.map(|s| s.id).ok_or_else(|| ApiError::not_found(format!("Service {id} could not be found.")))
}

fn str_field<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .ok_or_else(|| ApiError::bad_request(format!("'{key}' is a required property")))
}

async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Id(id): Id,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-services:update")?;
    if nova.at_least(53) {
        update_by_uuid(sim, nova, id, body)
    } else {
        legacy_update(sim, nova, &id, body)
    }
}

/// The pre-2.53 actions: the URL's last segment names the action and the
/// body the service by host and binary.
fn legacy_update(sim: Sim, nova: Nova, action: &str, body: Value) -> ApiResult<Response> {
    let known =
        ["enable", "disable", "disable-log-reason"].contains(&action) || action == "force-down" && nova.at_least(11);
    if !known {
        return Err(ApiError::not_found("Unknown action"));
    }
    let host = str_field(&body, "host")?.to_string();
    let binary = str_field(&body, "binary")?.to_string();
    let reason = match action {
        "disable-log-reason" => Some(str_field(&body, "disabled_reason")?.to_string()),
        _ => None,
    };
    let forced = match (action, body.get("forced_down")) {
        ("force-down", Some(Value::Bool(b))) => Some(*b),
        ("force-down", _) => return Err(ApiError::bad_request("'forced_down' is a required property")),
        _ => None,
    };
    let mut w = sim.world();
    let now = w.now;
    let r = region_mut(&mut w, &nova)?;
    let s = r
        .services
        .values_mut()
        .find(|s| s.host == host && s.binary == binary)
        .ok_or_else(|| ApiError::not_found("Unknown service"))?;
    s.updated_at = now;
    let mut out = json!({"host": host, "binary": binary});
    match action {
        "force-down" => {
            s.forced_down = forced.unwrap_or(false);
            out["forced_down"] = json!(s.forced_down);
        }
        "enable" => {
            s.disabled = false;
            s.disabled_reason = None;
            out["status"] = json!("enabled");
        }
        _ => {
            s.disabled = true;
            s.disabled_reason = reason.clone();
            out["status"] = json!("disabled");
            if let Some(r) = reason {
                out["disabled_reason"] = json!(r);
            }
        }
    }
    Ok(ok(json!({"service": out})))
}

fn update_by_uuid(sim: Sim, nova: Nova, id: String, body: Value) -> ApiResult<Response> {
    let status = match body.get("status") {
        None => None,
        Some(Value::String(s)) if s == "enabled" || s == "disabled" => Some(s.as_str() == "disabled"),
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute status.")),
    };
    let reason = match body.get("disabled_reason") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 255 => Some(s.clone()),
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute disabled_reason.")),
    };
    let forced = match body.get("forced_down") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute forced_down.")),
    };
    if status.is_none() && forced.is_none() {
        return Err(ApiError::bad_request(
            "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
        ));
    }
    if reason.is_some() && status != Some(true) {
        return Err(ApiError::bad_request("Specifying 'disabled_reason' with status 'enabled' is invalid."));
    }
    let mut w = sim.world();
    let now = w.now;
    let r = region_mut(&mut w, &nova)?;
    let key = find_key(&nova, r, &id)?;
    let s = r.services.get_mut(&key).ok_or_else(|| ApiError::not_found(format!("Service {id} could not be found.")))?;
    if s.binary != "nova-compute" {
        return Err(ApiError::bad_request(format!(
            "Updating a {} service is not supported. Only nova-compute services can be updated.",
            s.binary
        )));
    }
    if let Some(disabled) = status {
        s.disabled = disabled;
        s.disabled_reason = if disabled { reason } else { None };
    }
    if let Some(f) = forced {
        s.forced_down = f;
    }
    s.updated_at = now;
    Ok(ok(json!({"service": service_json(&nova, s)})))
}

async fn delete(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-services:delete")?;
    let mut w = sim.world();
    let r = region_mut(&mut w, &nova)?;
    let key = find_key(&nova, r, &id)?;
    let s = r.services[&key].clone();
    if s.binary == "nova-compute" {
        if r.servers_on_host(&s.host).next().is_some() {
            return Err(ApiError::conflict(
                "Unable to delete compute service that is hosting instances. Migrate or delete the instances first.",
            ));
        }
        r.remove_compute_host(&s.host);
    }
    r.services.remove(&key);
    Ok(empty(StatusCode::NO_CONTENT))
}
