/*!
`/flavors`: list and detail (public flavors plus the private ones the
project was given; admins filter with `is_public`), show, and the admin
create, description update (2.55) and delete. Extra specs and access
lists are in [`super::flavor_access`].
*/

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::common::{admin, empty, parse_bool, Id};
use crate::api::common::{ok, page, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::Flavor;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/flavors", get(list).post(create))
        .route("/flavors/detail", get(detail))
        .route("/flavors/{id}", get(show).put(update).delete(delete))
}

/// Whether `caller` may see `flavor`: public, or private with access.
pub fn visible(flavor: &Flavor, caller: &Caller) -> bool {
    flavor.is_public || caller.is_admin() || caller.project_id.as_ref().is_some_and(|p| flavor.access.contains(p))
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Flavor {id} could not be found."))
}

/// The flavor `id` as the caller sees it, or 404.
pub fn find<'r>(r: &'r crate::model::ComputeRegion, nova: &Nova, id: &str) -> Result<&'r Flavor, ApiError> {
    r.flavors.get(id).filter(|f| visible(f, &nova.caller)).ok_or_else(|| not_found(id))
}

fn links(base: &str, region: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{base}/compute/{region}/v2.1/flavors/{id}")},
        {"rel": "bookmark", "href": format!("{base}/compute/{region}/flavors/{id}")}
    ])
}

/// A flavor as Nova's view builder renders it at the request's version.
pub fn flavor_json(base: &str, nova: &Nova, f: &Flavor, detail: bool) -> Value {
    let mut v = json!({"id": f.id, "name": f.name, "links": links(base, &nova.region, &f.id)});
    if nova.at_least(55) {
        v["description"] = json!(f.description);
    }
    if !detail {
        return v;
    }
    v["ram"] = json!(f.ram_mb);
    v["disk"] = json!(f.disk_gb);
    v["vcpus"] = json!(f.vcpus);
    // Before 2.75 an empty swap is the empty string.
    v["swap"] = if f.swap_mb == 0 && !nova.at_least(75) { json!("") } else { json!(f.swap_mb) };
    v["OS-FLV-EXT-DATA:ephemeral"] = json!(f.ephemeral_gb);
    v["OS-FLV-DISABLED:disabled"] = json!(f.disabled);
    v["os-flavor-access:is_public"] = json!(f.is_public);
    v["rxtx_factor"] = json!(f.rxtx_factor);
    if nova.at_least(61) {
        v["extra_specs"] = json!(f.extra_specs);
    }
    v
}

/// The flavors a list shows, following Nova's `_get_flavors`: non-admins
/// see enabled public flavors plus private ones shared with their project;
/// admins choose with `is_public` (default true, `none` for all).
fn listed(nova: &Nova, flavors: Vec<&Flavor>, q: &HashMap<String, String>) -> Result<Vec<Flavor>, ApiError> {
    let is_public = if nova.caller.is_admin() {
        match q.get("is_public").map(|s| s.as_str()) {
            None => Some(true),
            Some(s) if s.eq_ignore_ascii_case("none") => None,
            Some(s) => Some(parse_bool("is_public", s)?),
        }
    } else {
        Some(true)
    };
    let min = |key: &str| -> Result<Option<u64>, ApiError> {
        q.get(key)
            .map(|v| v.parse::<u64>().map_err(|_| ApiError::bad_request(format!("Invalid {key} filter [{v}]"))))
            .transpose()
    };
    let (min_ram, min_disk) = (min("minRam")?, min("minDisk")?);
    let project = nova.caller.project_id.as_deref();
    Ok(flavors
        .into_iter()
        .filter(|f| nova.caller.is_admin() || !f.disabled)
        .filter(|f| match is_public {
            None => true,
            Some(true) => f.is_public || project.is_some_and(|p| f.access.contains(p)),
            Some(false) => !f.is_public,
        })
        .filter(|f| min_ram.is_none_or(|m| f.ram_mb >= m) && min_disk.is_none_or(|m| f.disk_gb >= m))
        .cloned()
        .collect())
}

async fn list_of(sim: Sim, nova: Nova, q: HashMap<String, String>, detail: bool) -> ApiResult<Response> {
    let w = sim.world();
    let r = region(&w, &nova)?;
    let all = listed(&nova, r.flavors.values().collect(), &q)?;
    let limit = q.get("limit").map(|l| l.parse::<usize>()).transpose().map_err(|_| ApiError::bad_request("limit"))?;
    let items = page(&all, |f| f.id.as_str(), q.get("marker").map(|s| s.as_str()), limit)?;
    let body: Vec<Value> = items.iter().map(|f| flavor_json(&w.base_url, &nova, f, detail)).collect();
    Ok(ok(json!({"flavors": body})))
}

async fn list(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    list_of(sim, nova, q, false).await
}

async fn detail(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    list_of(sim, nova, q, true).await
}

async fn show(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    let w = sim.world();
    let f = find(region(&w, &nova)?, &nova, &id)?;
    Ok(ok(json!({"flavor": flavor_json(&w.base_url, &nova, f, true)})))
}

/// An integer field that Nova's schema accepts as a number or a numeric
/// string, at least `min`.
fn int_field(body: &Map<String, Value>, key: &str, min: i64, default: Option<i64>) -> Result<i64, ApiError> {
    let n = match body.get(key) {
        None => return default.ok_or_else(|| ApiError::bad_request(format!("'{key}' is a required property"))),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if n >= min => Ok(n),
        _ => Err(ApiError::bad_request(format!("Invalid input for field/attribute {key}."))),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && !id.starts_with(' ')
        && !id.ends_with(' ')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || ". _-".contains(c))
}

async fn create(State(sim): State<Sim>, nova: Nova, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-flavor-manage:create")?;
    let f = body
        .get("flavor")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'flavor' is a required property"))?;
    let name = f
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.len() <= 255)
        .ok_or_else(|| ApiError::bad_request("Invalid input for field/attribute name."))?
        .to_string();
    let ram = int_field(f, "ram", 1, None)?;
    let vcpus = int_field(f, "vcpus", 1, None)?;
    let disk = int_field(f, "disk", 0, None)?;
    let ephemeral = int_field(f, "OS-FLV-EXT-DATA:ephemeral", 0, Some(0))?;
    let swap = match f.get("swap") {
        Some(Value::String(s)) if s.is_empty() => 0,
        _ => int_field(f, "swap", 0, Some(0))?,
    };
    let rxtx = match f.get("rxtx_factor") {
        None => 1.0,
        Some(v) => v.as_f64().filter(|x| *x > 0.0).ok_or_else(|| ApiError::bad_request("Invalid rxtx_factor."))?,
    };
    let is_public = match f.get("os-flavor-access:is_public") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => parse_bool("os-flavor-access:is_public", s)?,
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute os-flavor-access:is_public.")),
    };
    let description = match f.get("description") {
        Some(_) if !nova.at_least(55) => {
            return Err(ApiError::bad_request("Additional properties are not allowed ('description' was unexpected)"))
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute description.")),
    };
    let mut w = sim.world();
    let id = match f.get("id") {
        None | Some(Value::Null) => w.new_uuid(),
        Some(Value::String(s)) if valid_id(s) => s.clone(),
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute id.")),
    };
    let base = w.base_url.clone();
    let r = region_mut(&mut w, &nova)?;
    if r.flavors.values().any(|x| x.name == name) {
        return Err(ApiError::conflict(format!("Flavor with name {name} already exists.")));
    }
    if r.flavors.contains_key(&id) {
        return Err(ApiError::conflict(format!("Flavor with ID {id} already exists.")));
    }
    let flavor = Flavor {
        id: id.clone(),
        name,
        vcpus: vcpus as u32,
        ram_mb: ram as u64,
        disk_gb: disk as u64,
        ephemeral_gb: ephemeral as u64,
        swap_mb: swap as u64,
        rxtx_factor: rxtx,
        is_public,
        disabled: false,
        description,
        extra_specs: Default::default(),
        access: Default::default(),
    };
    let body = json!({"flavor": flavor_json(&base, &nova, &flavor, true)});
    r.flavors.insert(id, flavor);
    Ok(ok(body))
}

/// `PUT /flavors/{id}`: only the description, from 2.55.
async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Id(id): Id,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    super::common::requires(nova.at_least(55))?;
    admin(&nova, "os_compute_api:os-flavor-manage:update")?;
    let description = match body.get("flavor").and_then(|f| f.get("description")) {
        Some(Value::String(s)) if s.len() <= 65535 => Some(s.clone()),
        Some(Value::Null) => None,
        _ => return Err(ApiError::bad_request("'description' is a required property")),
    };
    let mut w = sim.world();
    let base = w.base_url.clone();
    let r = region_mut(&mut w, &nova)?;
    let f = r.flavors.get_mut(&id).ok_or_else(|| not_found(&id))?;
    f.description = description;
    Ok(ok(json!({"flavor": flavor_json(&base, &nova, f, true)})))
}

async fn delete(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-flavor-manage:delete")?;
    let mut w = sim.world();
    region_mut(&mut w, &nova)?.flavors.remove(&id).ok_or_else(|| not_found(&id))?;
    Ok(empty(StatusCode::ACCEPTED))
}
