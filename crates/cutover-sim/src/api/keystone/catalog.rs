/*!
Regions, services and endpoints: how cutover registers the new Nova region.
Reading services and endpoints needs the admin role as in Keystone's policy
(`identity:list_endpoints` and the others: admin or system reader);
regions are readable by any token.
*/

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::links::{collection_links, self_link};
use crate::api::common::{ok, reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::identity::{Endpoint, Region, Service};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/v3/regions", get(list_regions).post(create_region))
        .route("/v3/regions/{id}", get(show_region).patch(update_region).put(put_region).delete(delete_region))
        .route("/v3/services", get(list_services).post(create_service))
        .route("/v3/services/{id}", get(show_service).patch(update_service).delete(delete_service))
        .route("/v3/endpoints", get(list_endpoints).post(create_endpoint))
        .route("/v3/endpoints/{id}", get(show_endpoint).patch(update_endpoint).delete(delete_endpoint))
}

fn region_json(base: &str, r: &Region) -> Value {
    json!({"id": r.id, "description": r.description, "parent_region_id": r.parent_region_id,
           "links": self_link(base, "regions", &r.id)})
}

fn service_json(base: &str, s: &Service) -> Value {
    let mut v = json!({"id": s.id, "type": s.kind, "name": s.name, "enabled": s.enabled,
           "links": self_link(base, "services", &s.id)});
    // Keystone stores `description` as an extra attribute: absent unless given.
    if !s.description.is_empty() {
        v["description"] = json!(s.description);
    }
    v
}

fn endpoint_json(base: &str, e: &Endpoint) -> Value {
    json!({"id": e.id, "service_id": e.service_id, "region_id": e.region_id, "region": e.region_id,
           "interface": e.interface, "url": e.url, "enabled": e.enabled,
           "links": self_link(base, "endpoints", &e.id)})
}

#[derive(Deserialize)]
struct RegionBody {
    region: RegionFields,
}

#[derive(Deserialize, Default)]
struct RegionFields {
    id: Option<String>,
    description: Option<String>,
    parent_region_id: Option<String>,
}

async fn list_regions(State(sim): State<Sim>, _c: Caller, Query(q): Query<HashMap<String, String>>) -> Response {
    let w = sim.world();
    let regions: Vec<Value> = w
        .identity
        .regions
        .values()
        .filter(|r| q.get("parent_region_id").is_none_or(|p| r.parent_region_id.as_ref() == Some(p)))
        .map(|r| region_json(&w.base_url, r))
        .collect();
    ok(json!({"regions": regions, "links": collection_links(&w.base_url, "regions")}))
}

fn insert_region(sim: &Sim, caller: &Caller, id: Option<String>, fields: RegionFields) -> ApiResult {
    caller.require_admin("identity:create_region")?;
    let mut w = sim.world();
    let id = match id.or(fields.id) {
        Some(id) => id,
        None => w.new_hex_id(),
    };
    if w.identity.regions.contains_key(&id) {
        return Err(ApiError::conflict(format!("Conflict occurred attempting to store region - Duplicate ID, {id}.")));
    }
    if let Some(p) = &fields.parent_region_id {
        if !w.identity.regions.contains_key(p) {
            return Err(ApiError::not_found(format!("Could not find region: {p}.")));
        }
    }
    let region = Region {
        id: id.clone(),
        description: fields.description.unwrap_or_default(),
        parent_region_id: fields.parent_region_id,
    };
    let body = json!({"region": region_json(&w.base_url, &region)});
    w.identity.regions.insert(id, region);
    Ok(reply(StatusCode::CREATED, body))
}

async fn create_region(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<RegionBody>) -> ApiResult {
    insert_region(&sim, &c, None, b.region)
}

async fn put_region(
    State(sim): State<Sim>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RegionBody>,
) -> ApiResult {
    insert_region(&sim, &c, Some(id), b.region)
}

fn region_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Could not find region: {id}."))
}

async fn show_region(State(sim): State<Sim>, _c: Caller, Path(id): Path<String>) -> ApiResult {
    let w = sim.world();
    let r = w.identity.regions.get(&id).ok_or_else(|| region_not_found(&id))?;
    Ok(ok(json!({"region": region_json(&w.base_url, r)})))
}

async fn update_region(
    State(sim): State<Sim>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RegionBody>,
) -> ApiResult {
    c.require_admin("identity:update_region")?;
    let mut w = sim.world();
    let base = w.base_url.clone();
    let r = w.identity.regions.get_mut(&id).ok_or_else(|| region_not_found(&id))?;
    if let Some(d) = b.region.description {
        r.description = d;
    }
    if b.region.parent_region_id.is_some() {
        r.parent_region_id = b.region.parent_region_id;
    }
    Ok(ok(json!({"region": region_json(&base, r)})))
}

async fn delete_region(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:delete_region")?;
    let mut w = sim.world();
    w.identity.regions.remove(&id).ok_or_else(|| region_not_found(&id))?;
    w.identity.endpoints.retain(|_, e| e.region_id.as_deref() != Some(&id));
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ServiceBody {
    service: ServiceFields,
}

#[derive(Deserialize)]
struct ServiceFields {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

fn service_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Could not find service: {id}."))
}

async fn list_services(State(sim): State<Sim>, c: Caller, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    c.require_admin("identity:list_services")?;
    let w = sim.world();
    let services: Vec<Value> = w
        .identity
        .services
        .values()
        .filter(|s| q.get("type").is_none_or(|t| &s.kind == t) && q.get("name").is_none_or(|n| &s.name == n))
        .map(|s| service_json(&w.base_url, s))
        .collect();
    Ok(ok(json!({"services": services, "links": collection_links(&w.base_url, "services")})))
}

async fn create_service(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<ServiceBody>) -> ApiResult {
    c.require_admin("identity:create_service")?;
    let mut w = sim.world();
    let kind = b.service.kind.ok_or_else(|| ApiError::bad_request("'type' is a required property"))?;
    let service = Service {
        id: w.new_hex_id(),
        kind,
        name: b.service.name.unwrap_or_default(),
        description: b.service.description.unwrap_or_default(),
        enabled: b.service.enabled.unwrap_or(true),
    };
    let body = json!({"service": service_json(&w.base_url, &service)});
    w.identity.services.insert(service.id.clone(), service);
    Ok(reply(StatusCode::CREATED, body))
}

async fn show_service(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:get_service")?;
    let w = sim.world();
    let s = w.identity.services.get(&id).ok_or_else(|| service_not_found(&id))?;
    Ok(ok(json!({"service": service_json(&w.base_url, s)})))
}

async fn update_service(
    State(sim): State<Sim>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ServiceBody>,
) -> ApiResult {
    c.require_admin("identity:update_service")?;
    let mut w = sim.world();
    let base = w.base_url.clone();
    let s = w.identity.services.get_mut(&id).ok_or_else(|| service_not_found(&id))?;
    let f = b.service;
    if let Some(v) = f.kind {
        s.kind = v;
    }
    if let Some(v) = f.name {
        s.name = v;
    }
    if let Some(v) = f.description {
        s.description = v;
    }
    if let Some(v) = f.enabled {
        s.enabled = v;
    }
    Ok(ok(json!({"service": service_json(&base, s)})))
}

async fn delete_service(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:delete_service")?;
    let mut w = sim.world();
    w.identity.services.remove(&id).ok_or_else(|| service_not_found(&id))?;
    w.identity.endpoints.retain(|_, e| e.service_id != id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct EndpointBody {
    endpoint: EndpointFields,
}

#[derive(Deserialize)]
struct EndpointFields {
    service_id: Option<String>,
    region_id: Option<String>,
    /// The pre-Newton name of `region_id`, still accepted.
    region: Option<String>,
    interface: Option<String>,
    url: Option<String>,
    enabled: Option<bool>,
}

fn endpoint_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Could not find endpoint: {id}."))
}

async fn list_endpoints(State(sim): State<Sim>, c: Caller, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    c.require_admin("identity:list_endpoints")?;
    let w = sim.world();
    let region = q.get("region_id").or(q.get("region"));
    let endpoints: Vec<Value> = w
        .identity
        .endpoints
        .values()
        .filter(|e| q.get("interface").is_none_or(|i| &e.interface == i))
        .filter(|e| q.get("service_id").is_none_or(|s| &e.service_id == s))
        .filter(|e| region.is_none_or(|r| e.region_id.as_ref() == Some(r)))
        .map(|e| endpoint_json(&w.base_url, e))
        .collect();
    Ok(ok(json!({"endpoints": endpoints, "links": collection_links(&w.base_url, "endpoints")})))
}

fn check_interface(interface: &str) -> ApiResult<()> {
    if ["public", "internal", "admin"].contains(&interface) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid input for field 'interface': '{interface}' is not one of ['admin', 'internal', 'public']"
        )))
    }
}

async fn create_endpoint(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<EndpointBody>) -> ApiResult {
    c.require_admin("identity:create_endpoint")?;
    let f = b.endpoint;
    let service_id = f.service_id.ok_or_else(|| ApiError::bad_request("'service_id' is a required property"))?;
    let interface = f.interface.ok_or_else(|| ApiError::bad_request("'interface' is a required property"))?;
    let url = f.url.ok_or_else(|| ApiError::bad_request("'url' is a required property"))?;
    check_interface(&interface)?;
    let mut w = sim.world();
    if !w.identity.services.contains_key(&service_id) {
        return Err(ApiError::bad_request(format!("Could not find service: {service_id}.")));
    }
    let region_id = f.region_id.or(f.region);
    if let Some(r) = &region_id {
        if !w.identity.regions.contains_key(r) {
            return Err(ApiError::not_found(format!("Could not find region: {r}.")));
        }
    }
    let endpoint =
        Endpoint { id: w.new_hex_id(), service_id, region_id, interface, url, enabled: f.enabled.unwrap_or(true) };
    let body = json!({"endpoint": endpoint_json(&w.base_url, &endpoint)});
    w.identity.endpoints.insert(endpoint.id.clone(), endpoint);
    Ok(reply(StatusCode::CREATED, body))
}

async fn show_endpoint(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:get_endpoint")?;
    let w = sim.world();
    let e = w.identity.endpoints.get(&id).ok_or_else(|| endpoint_not_found(&id))?;
    Ok(ok(json!({"endpoint": endpoint_json(&w.base_url, e)})))
}

async fn update_endpoint(
    State(sim): State<Sim>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<EndpointBody>,
) -> ApiResult {
    c.require_admin("identity:update_endpoint")?;
    let f = b.endpoint;
    if let Some(i) = &f.interface {
        check_interface(i)?;
    }
    let mut w = sim.world();
    let base = w.base_url.clone();
    let e = w.identity.endpoints.get_mut(&id).ok_or_else(|| endpoint_not_found(&id))?;
    if let Some(v) = f.service_id {
        e.service_id = v;
    }
    if let Some(v) = f.region_id.or(f.region) {
        e.region_id = Some(v);
    }
    if let Some(v) = f.interface {
        e.interface = v;
    }
    if let Some(v) = f.url {
        e.url = v;
    }
    if let Some(v) = f.enabled {
        e.enabled = v;
    }
    Ok(ok(json!({"endpoint": endpoint_json(&base, e)})))
}

async fn delete_endpoint(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:delete_endpoint")?;
    sim.world().identity.endpoints.remove(&id).ok_or_else(|| endpoint_not_found(&id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
