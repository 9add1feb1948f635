/*!
Neutron v2.0 at `/network`: version discovery, networks, subnets, ports,
floating IPs and security groups.
*/

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::api::ok;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/", get(versions))
}

async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    ok(json!({"versions": [{"id": "v2.0", "status": "CURRENT",
        "links": [{"rel": "self", "href": format!("{base}/network/v2.0/")}]}]}))
}
