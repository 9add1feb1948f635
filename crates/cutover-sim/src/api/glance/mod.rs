/*!
Glance v2 at `/image`: version discovery and images.
*/

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::reply;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/", get(versions)).route("/versions", get(versions_ok))
}

fn versions_doc(base: &str) -> Value {
    let v = |id: &str, status: &str| json!({"id": id, "status": status, "links": [{"rel": "self", "href": format!("{base}/image/v2/")}]});
    json!({"versions": [v("v2.16", "CURRENT"), v("v2.15", "SUPPORTED"), v("v2.9", "SUPPORTED"), v("v2.0", "SUPPORTED")]})
}

async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::MULTIPLE_CHOICES, versions_doc(&base))
}

async fn versions_ok(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::OK, versions_doc(&base))
}
