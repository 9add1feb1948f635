/*!
`/servers/{id}/tags` (microversion 2.26+; 404 below, as Nova answers for a
method its version lacks): at most 50 tags a server, each 1 to 60
characters without `/` or `,`.
*/

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::common::{invalid_input, ItemPath, ServerPath};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{visible_server, visible_server_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::Server;
use crate::sim::Sim;

const MAX_TAGS: usize = 50;
const MAX_TAG_LENGTH: usize = 60;

fn require_version(nova: &Nova) -> ApiResult<()> {
    if nova.at_least(26) {
        Ok(())
    } else {
        Err(ApiError::not_found("The resource could not be found."))
    }
}

/// Why `tag` is not a valid tag, if it is not.
fn tag_error(tag: &str) -> Option<String> {
    let n = tag.chars().count();
    if n == 0 {
        Some(format!("'{tag}' is too short"))
    } else if n > MAX_TAG_LENGTH {
        Some(format!("'{tag}' is too long"))
    } else if tag.contains(['/', ',']) {
        Some(format!("'{tag}' does not match '^[^,/]*$'"))
    } else {
        None
    }
}

/// The server for a tag change, after the version and state checks.
fn changeable<'a>(w: &'a mut crate::model::World, nova: &Nova, id: &str, action: &str) -> ApiResult<&'a mut Server> {
    require_version(nova)?;
    let server = visible_server_mut(w, nova, id)?;
    if !super::common::CHANGEABLE.contains(&server.vm_state) {
        return Err(super::common::invalid_state(action, id, "vm_state", server.vm_state.as_str()));
    }
    Ok(server)
}

pub async fn index(State(sim): State<Sim>, nova: Nova, Path(p): Path<ServerPath>) -> ApiResult<Response> {
    require_version(&nova)?;
    let w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    Ok(ok(json!({"tags": server.tags})))
}

/// `GET /tags/{tag}`: 204 when the server has the tag, else 404.
pub async fn show(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    require_version(&nova)?;
    let w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    if !server.tags.contains(&p.item) {
        return Err(ApiError::not_found(format!("Server {} has no tag '{}'", p.server_id, p.item)));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /tags` with `{"tags": [...]}`: replaces every tag.
pub async fn update_all(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ServerPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    require_version(&nova)?;
    super::common::only_keys("body", &body, &["tags"])?;
    let list = match body.get("tags") {
        Some(Value::Array(list)) => list,
        Some(other) => return Err(invalid_input("tags", other, format!("{other} is not of type 'array'"))),
        None => return Err(invalid_input("body", &body, "'tags' is a required property")),
    };
    if list.len() > MAX_TAGS {
        return Err(invalid_input("tags", &body["tags"], format!("{} is too long", body["tags"])));
    }
    let mut tags = std::collections::BTreeSet::new();
    for item in list {
        let Value::String(tag) = item else {
            return Err(invalid_input("tags", item, format!("{item} is not of type 'string'")));
        };
        if let Some(reason) = tag_error(tag) {
            return Err(invalid_input("tags", item, reason));
        }
        tags.insert(tag.clone());
    }
    let mut w = sim.world();
    let now = w.now;
    let server = changeable(&mut w, &nova, &p.server_id, "update tags")?;
    server.tags = tags;
    server.updated = now;
    Ok(ok(json!({"tags": server.tags})))
}

/// `PUT /tags/{tag}`: adds one tag; 201 with its location, 204 if present.
pub async fn update(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    let mut w = sim.world();
    let now = w.now;
    let base = w.base_url.clone();
    let server = changeable(&mut w, &nova, &p.server_id, "update tag")?;
    if let Some(reason) = tag_error(&p.item) {
        return Err(ApiError::bad_request(format!(
            "Tag '{}' is invalid. It must be a non empty string without characters '/' and ','. \
             Validation error message: {reason}",
            p.item
        )));
    }
    if server.tags.len() >= MAX_TAGS {
        return Err(ApiError::bad_request(format!("The number of tags exceeded the per-server limit {MAX_TAGS}")));
    }
    if server.tags.contains(&p.item) {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    server.tags.insert(p.item.clone());
    server.updated = now;
    let location = format!("{base}/compute/{}/v2.1/servers/{}/tags/{}", nova.region, p.server_id, url_escape(&p.item));
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// Percent-encodes a path segment (tags may hold spaces and any Unicode).
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn delete_all(State(sim): State<Sim>, nova: Nova, Path(p): Path<ServerPath>) -> ApiResult<Response> {
    let mut w = sim.world();
    let now = w.now;
    let server = changeable(&mut w, &nova, &p.server_id, "delete tags")?;
    server.tags.clear();
    server.updated = now;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn delete(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    let mut w = sim.world();
    let now = w.now;
    let server = changeable(&mut w, &nova, &p.server_id, "delete tag")?;
    if !server.tags.remove(&p.item) {
        return Err(ApiError::not_found(format!("Instance {} has no tag '{}'", p.server_id, p.item)));
    }
    server.updated = now;
    Ok(StatusCode::NO_CONTENT.into_response())
}
