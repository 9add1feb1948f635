/*!
Keystone v3: version discovery, tokens and the catalog, and the identity
admin API (domains, projects, users, roles and implied roles, assignments,
regions, services, endpoints). Admin calls need the `admin` role, as
Keystone's default policy.
*/

mod admin;
mod catalog;
mod implied;
mod links;
mod tokens;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::common::reply;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(version))
        .merge(tokens::routes())
        .merge(catalog::routes())
        .merge(admin::routes())
        .merge(implied::routes())
}

fn version_doc(base: &str) -> Value {
    json!({
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": format!("{base}/v3/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]
    })
}

async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::MULTIPLE_CHOICES, json!({"versions": {"values": [version_doc(&base)]}}))
}

async fn version(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::OK, json!({"version": version_doc(&base)}))
}
