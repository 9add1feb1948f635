/*!
Neutron v2.0 at `/network`: version and extension discovery here, one
module per resource (networks, subnets, ports, routers, floating IPs,
security groups, tags) and the list/body/policy rules they share in `common`.
*/

mod common;
mod floatingips;
pub(crate) mod networks;
mod ports;
mod routers;
mod security_groups;
mod subnets;
mod tags;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::common::ok;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    let v2 = Router::new()
        .route("/", get(resources))
        .route("/extensions", get(extensions))
        .route("/extensions/{alias}", get(extension))
        .merge(networks::routes())
        .merge(subnets::routes())
        .merge(ports::routes())
        .merge(floatingips::routes())
        .merge(routers::routes())
        .merge(security_groups::routes())
        .merge(tags::routes());
    Router::new().route("/", get(versions)).nest("/v2.0", v2)
}

async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    ok(json!({"versions": [{"id": "v2.0", "status": "CURRENT",
        "links": [{"rel": "self", "href": format!("{base}/network/v2.0/")}]}]}))
}

/// The collections served, as `GET /v2.0` lists them.
const RESOURCES: [(&str, &str); 7] = [
    ("network", "networks"),
    ("subnet", "subnets"),
    ("port", "ports"),
    ("floatingip", "floatingips"),
    ("router", "routers"),
    ("security_group", "security-groups"),
    ("security_group_rule", "security-group-rules"),
];

async fn resources(State(sim): State<Sim>, _caller: Caller) -> Response {
    let base = sim.world().base_url.clone();
    let list: Vec<Value> = RESOURCES
        .iter()
        .map(|(name, collection)| {
            json!({"name": name, "collection": collection,
                "links": [{"rel": "self", "href": format!("{base}/network/v2.0/{collection}")}]})
        })
        .collect();
    ok(json!({"resources": list}))
}

/// The extensions whose behaviour the simulator implements (alias, name,
/// description), so clients probing for them get true answers.
const EXTENSIONS: [(&str, &str, &str); 20] = [
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
    ("filter-validation", "Filter parameters validation", "Provides validation on filter parameters."),
    ("fip-port-details", "Floating IP Port Details Extension", "Add port_details attribute to Floating IP resource"),
    ("ip-substring-filtering", "IP address substring filtering", "Provides IP address substring filtering when listing ports"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for a network resource."),
    ("network_availability_zone", "Network Availability Zone", "Availability zone support for network."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
    ("security-group", "security-group", "The security groups extension."),
    ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
    ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
    ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip", "Enables to set tag on resources with standard attribute."),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
    ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not"),
    ("tag-ports-during-bulk-creation", "Tag Ports During Bulk Creation", "Allow to tag ports during bulk creation"),
];

fn extension_doc(alias: &str, name: &str, description: &str) -> Value {
    json!({"alias": alias, "name": name, "description": description,
        "updated": "2013-01-20T00:00:00-00:00", "links": []})
}

async fn extensions(_caller: Caller) -> Response {
    let list: Vec<Value> = EXTENSIONS.iter().map(|(a, n, d)| extension_doc(a, n, d)).collect();
    ok(json!({"extensions": list}))
}

async fn extension(_caller: Caller, Path(alias): Path<String>) -> ApiResult<Response> {
    let (a, n, d) = EXTENSIONS.iter().find(|(a, _, _)| *a == alias).ok_or_else(|| {
        ApiError::not_found(format!("Extension with alias {alias} does not exist")).with_type("HTTPNotFound")
    })?;
    Ok(ok(json!({"extension": extension_doc(a, n, d)})))
}
