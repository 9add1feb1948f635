/*!
Cinder v3 at `/volume`: version discovery, the `volume 3.x` microversion
negotiation, and the v3 API under `/volume/v3/{project_id}` (and, as Cinder
allows from 3.67, under `/volume/v3` without the project id).
*/

mod actions;
mod microversion;
mod types;
mod volumes;

use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::common::{ok, reply};
use crate::error::ApiError;
use crate::model::volume::VolumeError;
use crate::sim::Sim;
use microversion::{negotiate, MAX_VERSION, MIN_VERSION};

pub fn routes() -> Router<Sim> {
    let api = || {
        Router::new().merge(volumes::routes()).merge(actions::routes()).merge(types::routes()).layer(from_fn(negotiate))
    };
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(v3_versions))
        .nest("/v3/{project_id}", api())
        .nest("/v3", api())
}

impl From<VolumeError> for ApiError {
    fn from(e: VolumeError) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, e.to_string())
    }
}

fn version_doc(base: &str) -> Value {
    json!({"id": "v3.0", "status": "CURRENT", "version": MAX_VERSION.to_string(), "min_version": MIN_VERSION.to_string(),
        "updated": "2023-08-31T00:00:00Z",
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": format!("{base}/volume/v3/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]})
}

/// The unversioned root lists every version with 300.
async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::MULTIPLE_CHOICES, json!({"versions": [version_doc(&base)]}))
}

/// `/v3/` answers 200 with the same list, as Cinder's versions controller.
async fn v3_versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    ok(json!({"versions": [version_doc(&base)]}))
}
