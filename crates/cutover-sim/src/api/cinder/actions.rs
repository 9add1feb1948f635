/*!
`POST /volumes/{id}/action`: `os-set_bootable`, `os-extend`,
`os-reset_status` (admin), `os-set_image_metadata`, `os-unset_image_metadata`.
*/

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

use super::microversion::{Cinder, Id};
use super::volumes::visible;
use crate::api::common::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/volumes/{id}/action", post(action))
}

fn invalid_input(msg: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid input received: {msg}"))
}

/// A boolean as Cinder's `strutils.bool_from_string(strict=True)` reads it.
fn flag(v: Option<&Value>, what: &str) -> Result<bool, ApiError> {
    match v {
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s))
            if matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on" | "t" | "y") =>
        {
            Ok(true)
        }
        Some(Value::String(s))
            if matches!(s.to_ascii_lowercase().as_str(), "false" | "0" | "no" | "off" | "f" | "n") =>
        {
            Ok(false)
        }
        _ => Err(invalid_input(format!("{what} must be a boolean"))),
    }
}

async fn action(State(sim): State<Sim>, c: Cinder, Id(id): Id, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let (name, args) = body
        .as_object()
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
        .ok_or_else(|| ApiError::bad_request("Malformed request body"))?;
    let mut w = sim.world();
    visible(&c, &w, &id)?;
    let now = w.now;
    let v = w.volume.get_mut(&id)?;
    let status = match name.as_str() {
        "os-set_bootable" => {
            v.bootable = flag(args.get("bootable"), "Bootable")?;
            StatusCode::OK
        }
        "os-extend" => {
            let new_size = args
                .get("new_size")
                .and_then(|s| s.as_u64().or_else(|| s.as_str().and_then(|t| t.parse().ok())))
                .ok_or_else(|| invalid_input("New volume size must be specified as an integer."))?;
            let allowed: &[&str] = if c.at_least(42) { &["available", "in-use"] } else { &["available"] };
            if !allowed.contains(&v.status.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "Invalid volume: Volume {id} status must be {} to extend, currently {}.",
                    allowed.join(" or "),
                    v.status
                )));
            }
            if new_size <= v.size_gb {
                return Err(invalid_input(format!(
                    "New size for extend must be greater than current size. (current: {}, extended: {new_size}).",
                    v.size_gb
                )));
            }
            v.size_gb = new_size;
            StatusCode::ACCEPTED
        }
        "os-reset_status" => {
            c.caller.require_admin("volume_extension:volume_admin_actions:reset_status")?;
            if let Some(s) = args.get("status").and_then(Value::as_str) {
                v.status = s.to_string();
            }
            if args.get("attach_status").and_then(Value::as_str) == Some("detached") {
                v.attachments.clear();
            }
            StatusCode::ACCEPTED
        }
        "os-set_image_metadata" => {
            let meta = args
                .get("metadata")
                .and_then(Value::as_object)
                .ok_or_else(|| invalid_input("Malformed image metadata"))?;
            for (k, val) in meta {
                let val = val.as_str().ok_or_else(|| invalid_input("Malformed image metadata"))?;
                v.image_metadata.insert(k.clone(), val.to_string());
            }
            StatusCode::OK
        }
        "os-unset_image_metadata" => {
            let key =
                args.get("key").and_then(Value::as_str).ok_or_else(|| invalid_input("Malformed image metadata"))?;
            v.image_metadata.remove(key).ok_or_else(|| {
                ApiError::not_found(format!("Glance metadata for volume {id} with key {key} could not be found."))
            })?;
            StatusCode::OK
        }
        other => return Err(ApiError::bad_request(format!("There is no such action: {other}"))),
    };
    v.updated_at = Some(now);
    Ok(status.into_response())
}
