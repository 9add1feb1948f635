/*!
A flavor's `os-extra_specs` (readable by whoever sees the flavor, changed
by admins) and its `os-flavor-access` list with the `addTenantAccess` and
`removeTenantAccess` actions (admin; only private flavors have a list).
*/

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::common::{action, admin, empty, Id, IdKey};
use super::flavors::{find, not_found};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::Flavor;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/flavors/{id}/os-extra_specs", get(list_specs).post(create_specs))
        .route("/flavors/{id}/os-extra_specs/{key}", get(show_spec).put(update_spec).delete(delete_spec))
        .route("/flavors/{id}/os-flavor-access", get(list_access))
        .route("/flavors/{id}/action", post(flavor_action))
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c))
}

/// Extra spec values: strings, or numbers and booleans Nova stores as text.
fn spec_values(specs: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    specs
        .iter()
        .map(|(k, v)| {
            if !valid_key(k) {
                return Err(ApiError::bad_request(format!("Invalid input for field/attribute extra_specs. Key '{k}'")));
            }
            let text = match v {
                Value::String(s) if s.len() <= 255 => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(true) => "True".into(),
                Value::Bool(false) => "False".into(),
                _ => return Err(ApiError::bad_request(format!("Invalid input for field/attribute {k}."))),
            };
            Ok((k.clone(), text))
        })
        .collect()
}

fn flavor_mut<'r>(r: &'r mut crate::model::ComputeRegion, id: &str) -> Result<&'r mut Flavor, ApiError> {
    r.flavors.get_mut(id).ok_or_else(|| not_found(id))
}

async fn list_specs(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    let w = sim.world();
    let f = find(region(&w, &nova)?, &nova, &id)?;
    Ok(ok(json!({"extra_specs": f.extra_specs})))
}

async fn show_spec(State(sim): State<Sim>, nova: Nova, Path(IdKey { id, key }): Path<IdKey>) -> ApiResult<Response> {
    let w = sim.world();
    let f = find(region(&w, &nova)?, &nova, &id)?;
    let value = f
        .extra_specs
        .get(&key)
        .ok_or_else(|| ApiError::not_found(format!("Flavor {id} has no extra specs with key {key}.")))?;
    Ok(ok(json!({ key: value })))
}

async fn create_specs(
    State(sim): State<Sim>,
    nova: Nova,
    Id(id): Id,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-flavor-extra-specs:create")?;
    let specs = body
        .get("extra_specs")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'extra_specs' is a required property"))?;
    let specs = spec_values(specs)?;
    let mut w = sim.world();
    let f = flavor_mut(region_mut(&mut w, &nova)?, &id)?;
    f.extra_specs.extend(specs.iter().cloned());
    let echoed: Map<String, Value> = specs.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Ok(ok(json!({"extra_specs": echoed})))
}

async fn update_spec(
    State(sim): State<Sim>,
    nova: Nova,
    Path(IdKey { id, key }): Path<IdKey>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-flavor-extra-specs:update")?;
    let specs = body.as_object().ok_or_else(|| ApiError::bad_request("The request body is invalid."))?;
    if specs.len() > 1 {
        return Err(ApiError::bad_request("Request body contains too many items"));
    }
    if !specs.contains_key(&key) {
        return Err(ApiError::bad_request("Request body and URI mismatch"));
    }
    let specs = spec_values(specs)?;
    let mut w = sim.world();
    let f = flavor_mut(region_mut(&mut w, &nova)?, &id)?;
    f.extra_specs.extend(specs.iter().cloned());
    let (k, v) = &specs[0];
    Ok(ok(json!({ k: v })))
}

async fn delete_spec(State(sim): State<Sim>, nova: Nova, Path(IdKey { id, key }): Path<IdKey>) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-flavor-extra-specs:delete")?;
    let mut w = sim.world();
    let f = flavor_mut(region_mut(&mut w, &nova)?, &id)?;
    f.extra_specs
        .remove(&key)
        .ok_or_else(|| ApiError::not_found(format!("Flavor {id} has no extra specs with key {key}.")))?;
    Ok(empty(StatusCode::ACCEPTED))
}

fn access_json(f: &Flavor) -> Value {
    let rows: Vec<Value> = f.access.iter().map(|p| json!({"flavor_id": f.id, "tenant_id": p})).collect();
    json!({"flavor_access": rows})
}

async fn list_access(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-flavor-access")?;
    let w = sim.world();
    let f = region(&w, &nova)?.flavors.get(&id).ok_or_else(|| not_found(&id))?;
    if f.is_public {
        return Err(ApiError::not_found("Access list not available for public flavors."));
    }
    Ok(ok(access_json(f)))
}

async fn flavor_action(
    State(sim): State<Sim>,
    nova: Nova,
    Id(id): Id,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let (name, arg) = action(&body)?;
    let add = match name {
        "addTenantAccess" => true,
        "removeTenantAccess" => false,
        _ => return Err(ApiError::bad_request("There is no such action.")),
    };
    admin(
        &nova,
        if add {
            "os_compute_api:os-flavor-access:add_tenant_access"
        } else {
            "os_compute_api:os-flavor-access:remove_tenant_access"
        },
    )?;
    let tenant = arg
        .get("tenant")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("'tenant' is a required property"))?
        .to_string();
    let mut w = sim.world();
    // Nova checks the project with Keystone before adding access; removing
    // tolerates a project Keystone no longer knows.
    if add && !w.identity.projects.contains_key(&tenant) {
        return Err(ApiError::bad_request(format!("Project ID {tenant} is not a valid project.")));
    }
    let version_27 = nova.at_least(7);
    let f = flavor_mut(region_mut(&mut w, &nova)?, &id)?;
    if add {
        if f.is_public && version_27 {
            return Err(ApiError::conflict("Can not add access to a public flavor."));
        }
        if !f.access.insert(tenant.clone()) {
            return Err(ApiError::conflict(format!(
                "Flavor access already exists for flavor {id} and project {tenant} combination."
            )));
        }
    } else if !f.access.remove(&tenant) {
        return Err(ApiError::not_found(format!("Flavor access not found for {id} / {tenant} combination.")));
    }
    Ok(ok(access_json(f)))
}
