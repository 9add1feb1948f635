/*!
`/os-aggregates` (admin): host aggregates and their actions `add_host`,
`remove_host` and `set_metadata`. An aggregate's `availability_zone`
metadata puts its hosts in that zone; Nova refuses to put a host in two
zones, and the hosts' and services' zones follow every change.
*/

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::common::{action, admin, empty, Id};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::Aggregate;
use crate::model::{iso_micros, ComputeRegion};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/os-aggregates", get(list).post(create))
        .route("/os-aggregates/{id}", get(show).put(update).delete(delete))
        .route("/os-aggregates/{id}/action", post(aggregate_action))
}

fn aggregate_json(nova: &Nova, a: &Aggregate) -> Value {
    let mut v = json!({
        "id": a.id,
        "name": a.name,
        "availability_zone": a.availability_zone,
        "hosts": a.hosts,
        "metadata": a.metadata,
        "created_at": iso_micros(&a.created_at),
        "updated_at": a.updated_at.as_ref().map(iso_micros),
        "deleted_at": null,
        "deleted": false,
    });
    if nova.at_least(41) {
        v["uuid"] = json!(a.uuid);
    }
    v
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Aggregate {id} could not be found."))
}

fn find<'r>(r: &'r mut ComputeRegion, id: &str) -> Result<&'r mut Aggregate, ApiError> {
    id.parse::<u64>().ok().and_then(|n| r.aggregates.get_mut(&n)).ok_or_else(|| not_found(id))
}

/// A name or zone: a trimmed string of 1 to 255 characters.
fn name_field(v: &Value, field: &str) -> Result<String, ApiError> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .map(String::from)
        .ok_or_else(|| ApiError::bad_request(format!("Invalid input for field/attribute {field}.")))
}

/// Why aggregate `agg` may not take zone `zone` (Nova's checks when an
/// aggregate's zone changes): a host already in another zone, or a host
/// running servers that would change zone under them.
fn zone_change_error(r: &ComputeRegion, agg: &Aggregate, zone: Option<&str>) -> Option<String> {
    if zone == agg.availability_zone.as_deref() {
        return None;
    }
    let conflicts: Vec<String> = agg
        .hosts
        .iter()
        .filter_map(|h| r.host_zone_without(h, agg.id))
        .filter(|other| Some(other.as_str()) != zone)
        .collect();
    if !conflicts.is_empty() {
        return Some(format!("One or more hosts already in availability zone(s) {conflicts:?}"));
    }
    if agg.hosts.iter().any(|h| r.servers_on_host(h).next().is_some()) {
        return Some("One or more hosts contain instances in this zone.".into());
    }
    None
}

async fn list(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-aggregates:index")?;
    let w = sim.world();
    let aggs: Vec<Value> = region(&w, &nova)?.aggregates.values().map(|a| aggregate_json(&nova, a)).collect();
    Ok(ok(json!({"aggregates": aggs})))
}

async fn show(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-aggregates:show")?;
    let mut w = sim.world();
    let a = find(region_mut(&mut w, &nova)?, &id)?;
    Ok(ok(json!({"aggregate": aggregate_json(&nova, a)})))
}

async fn create(State(sim): State<Sim>, nova: Nova, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-aggregates:create")?;
    let a = body
        .get("aggregate")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'aggregate' is a required property"))?;
    let name = name_field(a.get("name").unwrap_or(&Value::Null), "name")?;
    let zone = match a.get("availability_zone") {
        None | Some(Value::Null) => None,
        Some(v) => Some(name_field(v, "availability_zone")?),
    };
    let mut w = sim.world();
    let (uuid, now) = (w.new_uuid(), w.now);
    let r = region_mut(&mut w, &nova)?;
    if r.aggregates.values().any(|x| x.name == name) {
        return Err(ApiError::conflict(format!("Aggregate {name} already exists.")));
    }
    let id = r.next_int_id();
    let mut metadata = BTreeMap::new();
    if let Some(z) = &zone {
        metadata.insert("availability_zone".to_string(), z.clone());
    }
    let agg = Aggregate {
        id,
        uuid,
        name,
        availability_zone: zone,
        hosts: Default::default(),
        metadata,
        created_at: now,
        updated_at: None,
    };
    let mut v = aggregate_json(&nova, &agg);
    // Nova's create answer leaves these two out.
    if let Some(o) = v.as_object_mut() {
        o.remove("hosts");
        o.remove("metadata");
    }
    r.aggregates.insert(id, agg);
    Ok(ok(json!({"aggregate": v})))
}

/// Sets (or clears) an aggregate's zone after checking Nova's rules;
/// `context` names the failed action in the 400 message.
fn set_zone(r: &mut ComputeRegion, id: &str, zone: Option<String>, context: &str) -> Result<(), ApiError> {
    let agg = find(r, id)?.clone();
    if let Some(reason) = zone_change_error(r, &agg, zone.as_deref()) {
        return Err(ApiError::bad_request(format!("Cannot {context} aggregate {id}. Reason: {reason}")));
    }
    let a = find(r, id)?;
    match &zone {
        Some(z) => a.metadata.insert("availability_zone".into(), z.clone()),
        None => a.metadata.remove("availability_zone"),
    };
    a.availability_zone = zone;
    Ok(())
}

async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Id(id): Id,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-aggregates:update")?;
    let a = body
        .get("aggregate")
        .and_then(Value::as_object)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::bad_request("Invalid input for field/attribute aggregate."))?;
    let name = a.get("name").map(|v| name_field(v, "name")).transpose()?;
    let zone = match a.get("availability_zone") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(name_field(v, "availability_zone")?)),
    };
    let mut w = sim.world();
    let now = w.now;
    let r = region_mut(&mut w, &nova)?;
    find(r, &id)?;
    if let Some(n) = &name {
        if r.aggregates.values().any(|x| &x.name == n && x.id.to_string() != id) {
            return Err(ApiError::conflict(format!("Aggregate {n} already exists.")));
        }
    }
    if let Some(z) = zone {
        set_zone(r, &id, z, "update")?;
    }
    let a = find(r, &id)?;
    if let Some(n) = name {
        a.name = n;
    }
    a.updated_at = Some(now);
    let v = aggregate_json(&nova, a);
    r.refresh_zones();
    Ok(ok(json!({"aggregate": v})))
}

async fn delete(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-aggregates:delete")?;
    let mut w = sim.world();
    let r = region_mut(&mut w, &nova)?;
    let a = find(r, &id)?;
    if !a.hosts.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Cannot remove aggregate {id}. Reason: Host aggregate is not empty"
        )));
    }
    let key = a.id;
    r.aggregates.remove(&key);
    Ok(empty(StatusCode::OK))
}

fn host_arg(arg: &Value) -> Result<String, ApiError> {
    arg.get("host")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
        .map(String::from)
        .ok_or_else(|| ApiError::bad_request("'host' is a required property"))
}

fn add_host(r: &mut ComputeRegion, id: &str, host: &str) -> Result<(), ApiError> {
    let agg = find(r, id)?.clone();
    if !r.hosts.contains_key(host) {
        return Err(ApiError::not_found(format!("Compute host {host} could not be found.")));
    }
    if agg.hosts.contains(host) {
        return Err(ApiError::conflict(format!("Aggregate {id} already has host {host}.")));
    }
    if let (Some(zone), Some(other)) = (&agg.availability_zone, r.host_zone_without(host, agg.id)) {
        if *zone != other {
            return Err(ApiError::conflict(format!(
                "Cannot add host to aggregate {id}. Reason: One or more hosts already in availability zone(s) ['{other}']."
            )));
        }
    }
    find(r, id)?.hosts.insert(host.to_string());
    Ok(())
}

fn remove_host(r: &mut ComputeRegion, id: &str, host: &str) -> Result<(), ApiError> {
    let a = find(r, id).map_err(|_| ApiError::not_found(format!("Cannot remove host {host} in aggregate {id}")))?;
    if !a.hosts.remove(host) {
        return Err(ApiError::not_found(format!("Cannot remove host {host} in aggregate {id}")));
    }
    Ok(())
}

fn set_metadata(r: &mut ComputeRegion, id: &str, arg: &Value) -> Result<(), ApiError> {
    let meta: &Map<String, Value> = arg
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'metadata' is a required property"))?;
    let mut changes = Vec::new();
    for (k, v) in meta {
        if k.is_empty() || k.len() > 255 {
            return Err(ApiError::bad_request("Invalid input for field/attribute metadata."));
        }
        match v {
            Value::Null => changes.push((k.clone(), None)),
            Value::String(s) if s.len() <= 255 => changes.push((k.clone(), Some(s.clone()))),
            _ => return Err(ApiError::bad_request(format!("Invalid input for field/attribute {k}."))),
        }
    }
    find(r, id)?;
    if let Some((_, zone)) = changes.iter().find(|(k, _)| k == "availability_zone") {
        set_zone(r, id, zone.clone(), "update metadata on")?;
    }
    let a = find(r, id)?;
    for (k, v) in changes {
        match v {
            Some(v) => a.metadata.insert(k, v),
            None => a.metadata.remove(&k),
        };
    }
    Ok(())
}

async fn aggregate_action(
    State(sim): State<Sim>,
    nova: Nova,
    Id(id): Id,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let (name, arg) = action(&body)?;
    let mut w = sim.world();
    let now = w.now;
    let r = region_mut(&mut w, &nova)?;
    match name {
        "add_host" => {
            admin(&nova, "os_compute_api:os-aggregates:add_host")?;
            add_host(r, &id, &host_arg(arg)?)?;
        }
        "remove_host" => {
            admin(&nova, "os_compute_api:os-aggregates:remove_host")?;
            remove_host(r, &id, &host_arg(arg)?)?;
        }
        "set_metadata" => {
            admin(&nova, "os_compute_api:os-aggregates:set_metadata")?;
            set_metadata(r, &id, arg)?;
        }
        _ => return Err(ApiError::bad_request("There is no such action.")),
    }
    let a = find(r, &id)?;
    // Hosts and metadata live in their own tables: the stored aggregate
    // row, and so `updated_at`, stays as it was (null until a rename or AZ
    // change). Only set_metadata's answer shows a time: Nova's in-memory
    // object stamps it (`Aggregate.update_metadata`) without saving it.
    let mut v = aggregate_json(&nova, a);
    if name == "set_metadata" {
        v["updated_at"] = json!(iso_micros(&now));
    }
    r.refresh_zones();
    Ok(ok(json!({"aggregate": v})))
}
