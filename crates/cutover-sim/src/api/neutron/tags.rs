/*!
The `standard-attr-tag` API: `/v2.0/{collection}/{id}/tags[/{tag}]` on
networks, subnets, ports, floating IPs and security groups. Reading needs
the resource to be visible, changing it to be the caller's (or an admin's).
*/

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::common::{bad_request, denied, no_content, owns, Attrs};
use super::{floatingips, networks, ports, routers, security_groups, subnets};
use crate::api::common::{ok, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::network::NetworkStore;
use crate::sim::Sim;

/// Collection, singular resource name for policy and messages.
const TAGGED: [(&str, &str); 6] = [
    ("networks", "network"),
    ("subnets", "subnet"),
    ("ports", "port"),
    ("floatingips", "floatingip"),
    ("routers", "router"),
    ("security-groups", "security_group"),
];

pub fn routes() -> Router<Sim> {
    let mut router = Router::new();
    for (collection, resource) in TAGGED {
        router = router
            .route(
                &format!("/{collection}/{{id}}/tags"),
                get(move |s, c, p| list(s, c, p, resource))
                    .put(move |s, c, p, b| replace(s, c, p, b, resource))
                    .delete(move |s, c, p| clear(s, c, p, resource)),
            )
            .route(
                &format!("/{collection}/{{id}}/tags/{{tag}}"),
                get(move |s, c, p| check(s, c, p, resource))
                    .put(move |s, c, p| add(s, c, p, resource))
                    .delete(move |s, c, p| remove(s, c, p, resource)),
            );
    }
    router
}

/// The owning project of a resource the caller may see.
fn owner_of(store: &NetworkStore, caller: &Caller, resource: &str, id: &str) -> ApiResult<String> {
    Ok(match resource {
        "network" => networks::find(store, caller, id)?.project_id.clone(),
        "subnet" => subnets::find(store, caller, id)?.project_id.clone(),
        "port" => ports::find(store, caller, id)?.project_id.clone(),
        "floatingip" => floatingips::find(store, caller, id)?.project_id.clone(),
        "router" => routers::find(store, caller, id)?.project_id.clone(),
        _ => security_groups::find(store, caller, id)?.project_id.clone(),
    })
}

fn may_change(store: &NetworkStore, caller: &Caller, resource: &str, id: &str) -> ApiResult<()> {
    let owner = owner_of(store, caller, resource, id)?;
    if owns(caller, &owner) {
        Ok(())
    } else {
        Err(denied(&format!("update_{resource}"), Some("tags")))
    }
}

fn check_tag(tag: &str) -> ApiResult<()> {
    if tag.is_empty() || tag.len() > 255 || tag.contains(',') {
        return Err(bad_request(format!("Invalid input for tags. Reason: '{tag}' is not a valid tag.")));
    }
    Ok(())
}

async fn list(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>, resource: &str) -> ApiResult<Response> {
    let world = sim.world();
    owner_of(&world.network, &caller, resource, &id)?;
    Ok(ok(json!({"tags": world.network.tags_of(&id)})))
}

async fn replace(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
    resource: &str,
) -> ApiResult<Response> {
    let attrs = Attrs::from_body(json!({ "body": body }), "body", &["tags"])?;
    let mut tags = attrs.str_list("tags")?.ok_or_else(|| bad_request("Invalid input for tags. Reason: missing."))?;
    tags.iter().try_for_each(|t| check_tag(t))?;
    tags.sort();
    tags.dedup();
    let mut world = sim.world();
    may_change(&world.network, &caller, resource, &id)?;
    world.network.tags.insert(id, tags.clone());
    Ok(ok(json!({ "tags": tags })))
}

async fn clear(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>, resource: &str) -> ApiResult<Response> {
    let mut world = sim.world();
    may_change(&world.network, &caller, resource, &id)?;
    world.network.tags.remove(&id);
    Ok(no_content())
}

fn tag_not_found(resource: &str, id: &str, tag: &str) -> ApiError {
    ApiError::not_found(format!("Tag {tag} could not be found for {resource} {id}.")).with_type("TagNotFound")
}

async fn check(
    State(sim): State<Sim>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
    resource: &str,
) -> ApiResult<Response> {
    let world = sim.world();
    owner_of(&world.network, &caller, resource, &id)?;
    if world.network.tags_of(&id).contains(&tag) {
        Ok(no_content())
    } else {
        Err(tag_not_found(resource, &id, &tag))
    }
}

async fn add(
    State(sim): State<Sim>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
    resource: &str,
) -> ApiResult<Response> {
    check_tag(&tag)?;
    let mut world = sim.world();
    may_change(&world.network, &caller, resource, &id)?;
    let tags = world.network.tags.entry(id).or_default();
    if !tags.contains(&tag) {
        tags.push(tag);
        tags.sort();
    }
    Ok(StatusCode::CREATED.into_response())
}

async fn remove(
    State(sim): State<Sim>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
    resource: &str,
) -> ApiResult<Response> {
    let mut world = sim.world();
    may_change(&world.network, &caller, resource, &id)?;
    let tags = world.network.tags.entry(id.clone()).or_default();
    if !tags.contains(&tag) {
        return Err(tag_not_found(resource, &id, &tag));
    }
    tags.retain(|t| t != &tag);
    Ok(no_content())
}
