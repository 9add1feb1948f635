/*!
Cinder v3 at `/volume`: version discovery, volumes and volume types.
*/

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::api::reply;
use crate::error::ApiError;
use crate::model::volume::VolumeError;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/", get(versions))
}

impl From<VolumeError> for ApiError {
    fn from(e: VolumeError) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, e.to_string())
    }
}

async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(
        StatusCode::MULTIPLE_CHOICES,
        json!({"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.70", "min_version": "3.0",
            "updated": "2023-08-31T00:00:00Z",
            "links": [{"rel": "self", "href": format!("{base}/volume/v3/")}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}]}),
    )
}
