/*!
Implied roles (`/v3/roles/{prior}/implies/{implied}`, `/v3/role_inferences`):
an assignment of the prior role also gives the implied one, in tokens and
in `effective` assignment lists. Keystone refuses `admin` as an implied
role (`[assignment] prohibited_implied_role`).
*/

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::common::{ok, reply};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::identity::Role;
use crate::model::World;
use crate::sim::Sim;

/// Keystone's default `[assignment] prohibited_implied_role`.
const PROHIBITED_IMPLIED: [&str; 1] = ["admin"];

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/v3/role_inferences", get(list_all))
        .route("/v3/roles/{prior}/implies", get(list_implied))
        .route("/v3/roles/{prior}/implies/{implied}", get(show).head(check).put(create).delete(delete))
}

fn role_ref(base: &str, r: &Role) -> Value {
    json!({"id": r.id, "name": r.name, "links": {"self": format!("{base}/v3/roles/{}", r.id)}})
}

fn role<'w>(w: &'w World, id: &str) -> ApiResult<&'w Role> {
    w.identity.roles.get(id).ok_or_else(|| ApiError::not_found(format!("Could not find role: {id}.")))
}

/// The rule `prior` → `implied`, both roles existing, or Keystone's 404s.
fn rule<'w>(w: &'w World, prior: &str, implied: &str) -> ApiResult<(&'w Role, &'w Role)> {
    let (p, i) = (role(w, prior)?, role(w, implied)?);
    if !w.identity.inferences.iter().any(|(a, b)| a == prior && b == implied) {
        return Err(ApiError::not_found(format!("{prior} does not imply {implied}.")));
    }
    Ok((p, i))
}

fn inference_json(base: &str, prior: &Role, implied: &Role) -> Value {
    json!({"role_inference": {"prior_role": role_ref(base, prior), "implies": role_ref(base, implied)},
           "links": {"self": format!("{base}/v3/roles/{}/implies/{}", prior.id, implied.id)}})
}

async fn create(State(sim): State<Sim>, c: Caller, Path((prior, implied)): Path<(String, String)>) -> ApiResult {
    c.require_admin("identity:create_implied_role")?;
    let mut w = sim.world();
    let (p, i) = (role(&w, &prior)?.clone(), role(&w, &implied)?.clone());
    if PROHIBITED_IMPLIED.contains(&i.name.as_str()) {
        return Err(ApiError::forbidden(format!("{implied} cannot be an implied roles.")));
    }
    if w.identity.inferences.iter().any(|(a, b)| a == &prior && b == &implied) {
        return Err(ApiError::conflict("Conflict occurred attempting to store implied_role - Duplicate entry."));
    }
    w.identity.inferences.push((prior, implied));
    Ok(reply(StatusCode::CREATED, inference_json(&w.base_url, &p, &i)))
}

async fn show(State(sim): State<Sim>, c: Caller, Path((prior, implied)): Path<(String, String)>) -> ApiResult {
    c.require_admin("identity:get_implied_role")?;
    let w = sim.world();
    let (p, i) = rule(&w, &prior, &implied)?;
    Ok(ok(inference_json(&w.base_url, p, i)))
}

/// Keystone answers a HEAD here 204, not 200 (kept for API compatibility).
async fn check(State(sim): State<Sim>, c: Caller, Path((prior, implied)): Path<(String, String)>) -> ApiResult {
    c.require_admin("identity:check_implied_role")?;
    rule(&sim.world(), &prior, &implied)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete(State(sim): State<Sim>, c: Caller, Path((prior, implied)): Path<(String, String)>) -> ApiResult {
    c.require_admin("identity:delete_implied_role")?;
    let mut w = sim.world();
    rule(&w, &prior, &implied)?;
    w.identity.inferences.retain(|(a, b)| !(a == &prior && b == &implied));
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_implied(State(sim): State<Sim>, c: Caller, Path(prior): Path<String>) -> ApiResult {
    c.require_admin("identity:list_implied_roles")?;
    let w = sim.world();
    let p = role(&w, &prior)?;
    let implies: Vec<Value> = w.identity.implied_by(&prior).into_iter().map(|r| role_ref(&w.base_url, r)).collect();
    Ok(ok(json!({"role_inference": {"prior_role": role_ref(&w.base_url, p), "implies": implies},
                 "links": {"self": format!("{}/v3/roles/{prior}/implies", w.base_url)}})))
}

async fn list_all(State(sim): State<Sim>, c: Caller) -> ApiResult<Response> {
    c.require_admin("identity:list_role_inference_rules")?;
    let w = sim.world();
    let mut priors: Vec<&str> = w.identity.inferences.iter().map(|(p, _)| p.as_str()).collect();
    priors.sort();
    priors.dedup();
    let rules: Vec<Value> = priors
        .into_iter()
        .filter_map(|p| w.identity.roles.get(p))
        .map(|p| {
            let implies: Vec<Value> =
                w.identity.implied_by(&p.id).into_iter().map(|r| role_ref(&w.base_url, r)).collect();
            json!({"prior_role": role_ref(&w.base_url, p), "implies": implies})
        })
        .collect();
    Ok(ok(json!({"role_inferences": rules, "links": {"self": format!("{}/v3/role_inferences", w.base_url)}})))
}
