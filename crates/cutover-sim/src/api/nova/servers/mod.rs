/*!
Nova's servers API core: list ([`list`]), show and update (here), create
([`create`], [`networks`]) with the build timeline ([`boot`]), delete
([`delete`]), and the server JSON ([`view`]).
*/

mod boot;
mod create;
mod delete;
mod list;
mod networks;
pub mod view;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, visible_server, visible_server_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::sim::Sim;
use view::{Shape, ViewCtx};

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/servers", get(list::index).post(create::create))
        .route("/servers/detail", get(list::detail))
        .route("/servers/{id}", get(show).put(update).delete(delete::delete))
}

async fn show(State(sim): State<Sim>, nova: Nova, Path((_, id)): Path<(String, String)>) -> ApiResult {
    let w = sim.read();
    let server = visible_server(&w, &nova, &id)?;
    let ctx = ViewCtx::new(&w, region(&w, &nova)?, &nova);
    Ok(ok(json!({"server": ctx.full(server, Shape::Show)})))
}

/// `PUT /servers/{id}`: name, description (2.19), access IPs.
async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult {
    let o = body.get("server").and_then(Value::as_object).ok_or_else(|| {
        ApiError::bad_request("Invalid input for field/attribute server. 'server' is a required property")
    })?;
    let allowed = |k: &str| {
        matches!(k, "name" | "accessIPv4" | "accessIPv6" | "OS-DCF:diskConfig")
            || (k == "description" && nova.at_least(19))
            || (k == "hostname" && nova.at_least(90))
    };
    if let Some(k) = o.keys().find(|k| !allowed(k)) {
        return Err(ApiError::bad_request(format!(
            "Invalid input for field/attribute server. Additional properties are not allowed ('{k}' was unexpected)"
        )));
    }
    let text = |k: &str, max: usize, nullable: bool| -> ApiResult<Option<Option<String>>> {
        match o.get(k) {
            None => Ok(None),
            Some(Value::Null) if nullable => Ok(Some(None)),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(Some(s.clone()))),
            Some(v) => Err(ApiError::bad_request(format!("Invalid input for field/attribute {k}. Value: {v}."))),
        }
    };
    let name = text("name", 255, false)?.flatten();
    if name.as_ref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_request("Invalid input for field/attribute name. Value: . is not a valid name"));
    }
    let description = text("description", 255, true)?;
    let ipv4 = text("accessIPv4", 15, false)?.flatten();
    let ipv6 = text("accessIPv6", 39, false)?.flatten();
    let mut w = sim.world();
    let now = w.now;
    let s = visible_server_mut(&mut w, &nova, &id)?;
    if let Some(n) = name {
        s.name = n;
    }
    if let Some(d) = description {
        s.description = d;
    }
    if let Some(ip) = ipv4 {
        s.access_ipv4 = ip;
    }
    if let Some(ip) = ipv6 {
        s.access_ipv6 = ip;
    }
    s.updated = now;
    let server = visible_server(&w, &nova, &id)?;
    let ctx = ViewCtx::new(&w, region(&w, &nova)?, &nova);
    Ok(ok(json!({"server": ctx.full(server, Shape::Update)})))
}
