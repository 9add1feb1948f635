/*!
Nova v2.1, one router serving every region at `/compute/{region}`; each
region has its own state and microversion range. The [`microversion`]
layer negotiates the version and stamps it on every response.
*/

mod admin;
mod instance_actions;
mod lookup;
mod microversion;
mod server_actions;
mod servers;

use axum::extract::{Path, State};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

pub use microversion::{Nova, RegionPath};

use crate::api::common::ok;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::Microversion;
use crate::sim::Sim;

pub fn routes(sim: Sim) -> Router<Sim> {
    let v21 = Router::new()
        .route("/", get(version))
        .merge(servers::routes())
        .merge(server_actions::routes())
        .merge(admin::routes())
        .route("/servers/{server_id}/os-instance-actions", get(instance_actions::list))
        .route("/servers/{server_id}/os-instance-actions/{request_id}", get(instance_actions::show));
    Router::new().route("/", get(versions)).nest("/v2.1", v21.layer(from_fn_with_state(sim, microversion::negotiate)))
}

fn version_doc(base: &str, region: &str, min: Microversion, max: Microversion) -> Value {
    json!({
        "id": "v2.1",
        "status": "CURRENT",
        // Nova's v2.1 always names its range, even when it is 2.1 alone;
        // empty strings belong to the legacy v2.0 entry.
        "version": max.to_string(),
        "min_version": min.to_string(),
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": format!("{base}/compute/{region}/v2.1/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}]
    })
}

/// The region's version range, or 404 for a region this simulator lacks.
fn region_versions(sim: &Sim, region: &str) -> ApiResult<(String, Microversion, Microversion)> {
    let w = sim.world();
    let r = w
        .compute_region(region)
        .ok_or_else(|| ApiError::not_found(format!("No compute service in region {region}.")))?;
    let min = r.min_version.unwrap_or(Microversion::new(2, 1));
    Ok((w.base_url.clone(), min, r.max_version.unwrap_or(min)))
}

async fn versions(State(sim): State<Sim>, Path(RegionPath { region }): Path<RegionPath>) -> ApiResult<Response> {
    let (base, min, max) = region_versions(&sim, &region)?;
    Ok(crate::api::common::reply(
        axum::http::StatusCode::MULTIPLE_CHOICES,
        json!({"versions": [version_doc(&base, &region, min, max)]}),
    ))
}

/// `GET /v2.1/`: served without a token, as Nova's paste pipeline maps the
/// version document outside its auth filter.
async fn version(State(sim): State<Sim>, Path(RegionPath { region }): Path<RegionPath>) -> ApiResult<Response> {
    let (base, min, max) = region_versions(&sim, &region)?;
    Ok(ok(json!({"version": version_doc(&base, &region, min, max)})))
}
