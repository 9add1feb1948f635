/*!
`/v2.0/networks`: tenant, shared and external networks. Members see their
own plus shared and external ones; the provider and sharing attributes are
admin-only under Neutron's default policy.
*/

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::common::{admin_only_attr, creation_tags, denied, no_content, owns, set, standard_attrs, Attrs, ListQuery};
use crate::api::common::{reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::network::{Network, NetworkStore, AUTO_DELETE_PORT_OWNERS};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/networks", get(list).post(create))
        .route("/networks/{id}", get(show).put(update).delete(delete))
}

const FILTERS: &[&str] = &[
    "id",
    "name",
    "project_id",
    "tenant_id",
    "shared",
    "router:external",
    "admin_state_up",
    "status",
    "mtu",
    "description",
    "revision_number",
    "availability_zones",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
];

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Network {id} could not be found.")).with_type("NetworkNotFound")
}

/// Whether the caller may see the network (`get_network`: owner, admin,
/// shared or external).
pub fn visible(caller: &Caller, n: &Network) -> bool {
    owns(caller, &n.project_id) || n.shared || n.external
}

/// The network if the caller may see it, else `NetworkNotFound`.
pub fn find<'s>(store: &'s NetworkStore, caller: &Caller, id: &str) -> ApiResult<&'s Network> {
    store.networks.get(id).filter(|n| visible(caller, n)).ok_or_else(|| not_found(id))
}

fn render(store: &NetworkStore, caller: &Caller, n: &Network) -> Value {
    let subnets: Vec<&str> = store.subnets.values().filter(|s| s.network_id == n.id).map(|s| s.id.as_str()).collect();
    let mut v = json!({
        "id": n.id, "name": n.name, "admin_state_up": n.admin_state_up, "status": "ACTIVE",
        "subnets": subnets, "shared": n.shared, "router:external": n.external, "mtu": n.mtu,
        "availability_zone_hints": [], "availability_zones": n.availability_zones,
        "ipv4_address_scope": null, "ipv6_address_scope": null, "l2_adjacency": true,
        "port_security_enabled": true, "description": n.description, "qinq": false, "vlan_transparent": false,
    });
    let obj = v.as_object_mut().expect("object literal");
    // auto-allocated-topology shows `is_default` on external networks only.
    if n.external {
        obj.insert("is_default".into(), json!(false));
    }
    standard_attrs(obj, &n.project_id, &n.created_at, &n.updated_at, n.revision_number, store.tags_of(&n.id));
    if caller.is_admin() {
        obj.insert("provider:network_type".into(), json!(n.provider_network_type));
        obj.insert("provider:physical_network".into(), json!(n.provider_physical_network));
        obj.insert("provider:segmentation_id".into(), json!(n.provider_segmentation_id));
    }
    v
}

async fn list(State(sim): State<Sim>, caller: Caller, Query(q): Query<Vec<(String, String)>>) -> ApiResult<Response> {
    let world = sim.world();
    let store = &world.network;
    let items = store.networks.values().filter(|n| visible(&caller, n)).map(|n| render(store, &caller, n)).collect();
    ListQuery::new(q).reply(&world.base_url, "networks", items, FILTERS, not_found)
}

async fn show(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let world = sim.world();
    let n = find(&world.network, &caller, &id)?;
    Ok(super::common::one(StatusCode::OK, "network", render(&world.network, &caller, n), &ListQuery::new(q)))
}

const CREATE_ATTRS: &[&str] = &[
    "name",
    "admin_state_up",
    "shared",
    "router:external",
    "mtu",
    "description",
    "project_id",
    "tenant_id",
    "availability_zone_hints",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
    "tags",
];

const ADMIN_ATTRS: [&str; 5] =
    ["shared", "router:external", "provider:network_type", "provider:physical_network", "provider:segmentation_id"];

async fn create(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "network", CREATE_ATTRS)?;
    for a in ADMIN_ATTRS {
        admin_only_attr(&caller, "create_network", &attrs, a)?;
    }
    let project_id = attrs.owner(&caller)?;
    let tags = creation_tags(&attrs)?;
    let mut world = sim.world();
    let network_type = attrs.str("provider:network_type")?.unwrap_or_else(|| "vxlan".into());
    let segmentation_id = match attrs.u32("provider:segmentation_id")? {
        Some(s) => Some(s),
        None if network_type == "vxlan" => {
            let top = world.network.networks.values().filter_map(|n| n.provider_segmentation_id).max();
            Some(top.unwrap_or(0) + 1)
        }
        None => None,
    };
    let now = world.now;
    let net = Network {
        id: world.new_uuid(),
        name: attrs.str("name")?.unwrap_or_default(),
        project_id,
        shared: attrs.bool("shared")?.unwrap_or(false),
        external: attrs.bool("router:external")?.unwrap_or(false),
        admin_state_up: attrs.bool("admin_state_up")?.unwrap_or(true),
        // The VXLAN header costs 50 bytes of a 1500-byte physical MTU.
        mtu: attrs.u32("mtu")?.unwrap_or(if network_type == "vxlan" { 1450 } else { 1500 }),
        provider_physical_network: attrs.str("provider:physical_network")?,
        provider_network_type: Some(network_type),
        provider_segmentation_id: segmentation_id,
        description: attrs.description()?.unwrap_or_default(),
        availability_zones: vec!["nova".into()],
        created_at: now,
        updated_at: now,
        revision_number: 1,
    };
    if let Some(t) = tags {
        world.network.tags.insert(net.id.clone(), t);
    }
    let body = render(&world.network, &caller, &net);
    world.network.networks.insert(net.id.clone(), net);
    Ok(reply(StatusCode::CREATED, json!({ "network": body })))
}

const UPDATE_ATTRS: &[&str] = &["name", "admin_state_up", "shared", "router:external", "mtu", "description"];

async fn update(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "network", UPDATE_ATTRS)?;
    let mut world = sim.world();
    let n = find(&world.network, &caller, &id)?;
    if !owns(&caller, &n.project_id) {
        return Err(denied("update_network", None));
    }
    for a in ["shared", "router:external"] {
        admin_only_attr(&caller, "update_network", &attrs, a)?;
    }
    let now = world.now;
    let mut n = n.clone();
    set(&mut n.name, attrs.str("name")?);
    set(&mut n.description, attrs.description()?);
    set(&mut n.admin_state_up, attrs.bool("admin_state_up")?);
    set(&mut n.shared, attrs.bool("shared")?);
    set(&mut n.external, attrs.bool("router:external")?);
    set(&mut n.mtu, attrs.u32("mtu")?);
    n.updated_at = now;
    n.revision_number += 1;
    let body = render(&world.network, &caller, &n);
    world.network.networks.insert(id, n);
    Ok(reply(StatusCode::OK, json!({ "network": body })))
}

async fn delete(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let mut world = sim.world();
    let n = find(&world.network, &caller, &id)?;
    if !owns(&caller, &n.project_id) {
        return Err(denied("delete_network", None));
    }
    let store = &mut world.network;
    if store.network_in_use(&id) {
        return Err(ApiError::conflict(format!(
            "Unable to complete operation on network {id}. There are one or more ports still in use on the network."
        ))
        .with_type("NetworkInUse"));
    }
    // What is left are the ports Neutron deletes with the network (DHCP).
    let auto: Vec<String> = store
        .ports
        .values()
        .filter(|p| p.network_id == id && AUTO_DELETE_PORT_OWNERS.contains(&p.device_owner.as_str()))
        .map(|p| p.id.clone())
        .collect();
    for p in auto {
        store.remove_port(&p);
    }
    let subnets: Vec<String> = store.subnets.values().filter(|s| s.network_id == id).map(|s| s.id.clone()).collect();
    for s in subnets {
        store.subnets.remove(&s);
        store.alloc_cursor.remove(&s);
        store.tags.remove(&s);
    }
    store.networks.remove(&id);
    store.tags.remove(&id);
    Ok(no_content())
}
