/*!
`/servers/{id}/metadata`: the server's key/value metadata, validated as
Nova's schema does (keys `[a-zA-Z0-9-_:. ]{1,255}`, string values up to
255) and limited by the project's `metadata_items` quota.
*/

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::common::{check_state, check_unlocked, invalid_input, only_keys, ItemPath, ServerPath};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, visible_server, visible_server_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::sim::Sim;

fn valid_key(k: &str) -> bool {
    let n = k.chars().count();
    (1..=255).contains(&n) && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c))
}

/// Parses `{"<field>": {k: v, ...}}` into a map.
fn parse(body: &Value, field: &str) -> ApiResult<BTreeMap<String, String>> {
    only_keys("body", body, &[field])?;
    let Some(value) = body.get(field) else {
        return Err(invalid_input("body", body, format!("'{field}' is a required property")));
    };
    let Some(map) = value.as_object() else {
        return Err(invalid_input(field, value, format!("{value} is not of type 'object'")));
    };
    let mut out = BTreeMap::new();
    for (k, v) in map {
        if !valid_key(k) {
            return Err(invalid_input(
                field,
                value,
                format!("Additional properties are not allowed ('{k}' was unexpected)"),
            ));
        }
        match v {
            Value::String(s) if s.chars().count() <= 255 => {
                out.insert(k.clone(), s.clone());
            }
            Value::String(_) => return Err(invalid_input(&format!("{field}/{k}"), v, "is too long")),
            other => {
                return Err(invalid_input(&format!("{field}/{k}"), other, format!("{other} is not of type 'string'")))
            }
        }
    }
    Ok(out)
}

/// Replaces or merges the server's metadata after Nova's lock, state and
/// quota checks; returns the resulting metadata.
fn write(
    sim: &Sim,
    nova: &Nova,
    id: &str,
    action: &str,
    change: impl FnOnce(&mut BTreeMap<String, String>),
) -> ApiResult<BTreeMap<String, String>> {
    let mut w = sim.world();
    let now = w.now;
    let limit = {
        let server = visible_server(&w, nova, id)?;
        region(&w, nova)?.effective_quota(&server.project_id).metadata_items
    };
    let server = visible_server_mut(&mut w, nova, id)?;
    check_unlocked(server, nova)?;
    check_state(server, action, &super::common::CHANGEABLE, true)?;
    let mut next = server.metadata.clone();
    change(&mut next);
    if limit >= 0 && next.len() as i64 > limit {
        return Err(ApiError::forbidden(format!("Maximum number of metadata items exceeds {limit}")));
    }
    server.metadata = next.clone();
    server.updated = now;
    Ok(next)
}

pub async fn index(State(sim): State<Sim>, nova: Nova, Path(p): Path<ServerPath>) -> ApiResult<Response> {
    let w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    Ok(ok(json!({"metadata": server.metadata})))
}

/// `POST`: merges the given items into the metadata (200, as Nova answers).
pub async fn create(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ServerPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let items = parse(&body, "metadata")?;
    let all = write(&sim, &nova, &p.server_id, "update metadata", |m| m.extend(items))?;
    Ok(ok(json!({"metadata": all})))
}

/// `PUT`: replaces the whole metadata.
pub async fn update_all(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ServerPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let items = parse(&body, "metadata")?;
    let all = write(&sim, &nova, &p.server_id, "update metadata", |m| *m = items)?;
    Ok(ok(json!({"metadata": all})))
}

pub async fn show(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    let w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    let value = server.metadata.get(&p.item).ok_or_else(|| ApiError::not_found("Metadata item was not found"))?;
    Ok(ok(json!({"meta": {p.item.clone(): value}})))
}

/// `PUT /metadata/{key}` with `{"meta": {key: value}}`: sets one item.
pub async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ItemPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let items = parse(&body, "meta")?;
    if items.len() != 1 {
        let n = items.len();
        let reason = if n == 0 { "does not have enough properties" } else { "has too many properties" };
        return Err(invalid_input("meta", &body["meta"], format!("{} {reason}", body["meta"])));
    }
    if !items.contains_key(&p.item) {
        return Err(ApiError::bad_request("Request body and URI mismatch"));
    }
    write(&sim, &nova, &p.server_id, "update metadata", |m| m.extend(items.clone()))?;
    Ok(ok(json!({"meta": items})))
}

pub async fn delete(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    {
        let w = sim.world();
        let server = visible_server(&w, &nova, &p.server_id)?;
        if !server.metadata.contains_key(&p.item) {
            return Err(ApiError::not_found("Metadata item was not found"));
        }
    }
    write(&sim, &nova, &p.server_id, "delete metadata", |m| {
        m.remove(&p.item);
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
