/*!
`/v2.0/floatingips`: addresses of external networks allocated to projects
and associated with ports. Choosing the address is admin-only under
Neutron's default policy; association checks the port's owner and fixed IP.
The status follows an association a moment later, as the L3 agent's does.
*/

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::common::{admin_only_attr, bad_request, creation_tags, no_content, one, owns, set, standard_attrs};
use super::common::{Attrs, ListQuery};
use super::{networks, ports};
use crate::api::common::{reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::network::{ipv4_num, FixedIpRequest, FloatingIp, NetworkStore};
use crate::model::World;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/floatingips", get(list).post(create))
        .route("/floatingips/{id}", get(show).put(update).delete(delete))
}

const FILTERS: &[&str] = &[
    "id",
    "floating_ip_address",
    "floating_network_id",
    "port_id",
    "fixed_ip_address",
    "router_id",
    "status",
    "project_id",
    "tenant_id",
    "description",
    "revision_number",
];

/// How long the L3 agent takes to wire (or unwire) an association.
const AGENT_DELAY: Duration = Duration::from_secs(2);

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Floating IP {id} could not be found")).with_type("FloatingIPNotFound")
}

fn bad_fip(message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Bad floatingip request: {message}.")).with_type("BadRequest")
}

pub fn find<'s>(store: &'s NetworkStore, caller: &Caller, id: &str) -> ApiResult<&'s FloatingIp> {
    store.floating_ips.get(id).filter(|f| owns(caller, &f.project_id)).ok_or_else(|| not_found(id))
}

fn render(store: &NetworkStore, f: &FloatingIp) -> Value {
    let details = f.port_id.as_ref().and_then(|p| store.ports.get(p)).map(|p| {
        json!({"name": p.name, "network_id": p.network_id, "mac_address": p.mac_address,
            "admin_state_up": p.admin_state_up, "status": p.status, "device_id": p.device_id,
            "device_owner": p.device_owner})
    });
    let mut v = json!({
        "id": f.id, "floating_ip_address": f.floating_ip_address, "floating_network_id": f.floating_network_id,
        "router_id": f.router_id, "port_id": f.port_id, "fixed_ip_address": f.fixed_ip_address,
        "status": f.status, "description": f.description, "port_details": details,
    });
    let obj = v.as_object_mut().expect("object literal");
    standard_attrs(obj, &f.project_id, &f.created_at, &f.updated_at, f.revision_number, store.tags_of(&f.id));
    v
}

async fn list(State(sim): State<Sim>, caller: Caller, Query(q): Query<Vec<(String, String)>>) -> ApiResult<Response> {
    let world = sim.world();
    let store = &world.network;
    let items =
        store.floating_ips.values().filter(|f| owns(&caller, &f.project_id)).map(|f| render(store, f)).collect();
    ListQuery::new(q).reply(&world.base_url, "floatingips", items, FILTERS, not_found)
}

async fn show(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let world = sim.world();
    let f = find(&world.network, &caller, &id)?;
    Ok(one(StatusCode::OK, "floatingip", render(&world.network, f), &ListQuery::new(q)))
}

/// An association's fixed IP and the router it goes through.
struct Association {
    fixed_ip: String,
    router_id: String,
}

/// Checks an association of `fip` with a port and picks the fixed IP:
/// the port must be visible, belong to the floating IP's project (unless
/// an admin asks), hold the fixed IP, that fixed IP must not already
/// have a floating IP from the same external network, and a router must
/// join its subnet to the floating IP's network.
fn association(
    store: &NetworkStore,
    caller: &Caller,
    fip: &FloatingIp,
    port_id: &str,
    fixed_ip: Option<String>,
) -> ApiResult<Association> {
    let port = ports::find(store, caller, port_id)?;
    if !caller.is_admin() && port.project_id != fip.project_id {
        return Err(bad_fip(format_args!(
            "Cannot process floating IP association with Port {port_id}, since that port is owned by a different tenant"
        )));
    }
    let v4: Vec<&str> =
        port.fixed_ips.iter().map(|f| f.ip_address.as_str()).filter(|ip| ipv4_num(ip).is_some()).collect();
    let fixed = match fixed_ip {
        Some(ip) if v4.contains(&ip.as_str()) => ip,
        Some(ip) => return Err(bad_fip(format_args!("Port {port_id} does not have fixed ip {ip}"))),
        None => match v4.as_slice() {
            [one] => one.to_string(),
            [] => return Err(bad_fip(format_args!("Port {port_id} does not have any IPv4 address"))),
            _ => {
                return Err(bad_fip(format_args!(
                "Port {port_id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP"
            )))
            }
        },
    };
    let taken = store.floating_ips.values().any(|o| {
        o.id != fip.id
            && o.floating_network_id == fip.floating_network_id
            && o.port_id.as_deref() == Some(port_id)
            && o.fixed_ip_address.as_deref() == Some(fixed.as_str())
    });
    if taken {
        return Err(ApiError::conflict(format!(
            "Cannot associate floating IP {} ({}) with port {port_id} using fixed IP {fixed}, as that fixed IP already has a floating IP on external network {}.",
            fip.floating_ip_address, fip.id, fip.floating_network_id
        ))
        .with_type("FloatingIPPortAlreadyAssociated"));
    }
    let router_id = store.fip_router(&fip.floating_network_id, port_id, &fixed)?;
    Ok(Association { fixed_ip: fixed, router_id })
}

fn associate(fip: &mut FloatingIp, port_id: String, a: Association) {
    fip.port_id = Some(port_id);
    fip.fixed_ip_address = Some(a.fixed_ip);
    fip.router_id = Some(a.router_id);
}

/// Lets the status catch up with the association, unless it changed again.
fn settle_status(world: &mut World, id: &str) {
    let (id, port) = (id.to_string(), world.network.floating_ips.get(id).and_then(|f| f.port_id.clone()));
    world.after(AGENT_DELAY, move |w| {
        if let Some(f) = w.network.floating_ips.get_mut(&id) {
            if f.port_id == port {
                f.status = if port.is_some() { "ACTIVE" } else { "DOWN" }.into();
            }
        }
    });
}

const CREATE_ATTRS: &[&str] = &[
    "floating_network_id",
    "floating_ip_address",
    "subnet_id",
    "port_id",
    "fixed_ip_address",
    "description",
    "project_id",
    "tenant_id",
    "tags",
];

async fn create(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "floatingip", CREATE_ATTRS)?;
    admin_only_attr(&caller, "create_floatingip", &attrs, "floating_ip_address")?;
    let project_id = attrs.owner(&caller)?;
    let network_id = attrs.required_str("floating_network_id")?;
    let address = attrs.str("floating_ip_address")?;
    if let Some(a) = &address {
        if ipv4_num(a).is_none() {
            return Err(bad_request(format!(
                "Invalid input for floating_ip_address. Reason: '{a}' is not a valid IP address."
            )));
        }
    }
    let tags = creation_tags(&attrs)?;
    let mut world = sim.world();
    let net = networks::find(&world.network, &caller, &network_id)?;
    if !net.external {
        return Err(bad_fip(format_args!("Network {network_id} is not a valid external network")));
    }
    if world.network.subnets_of(&network_id).is_empty() {
        return Err(bad_fip(format_args!("Network {network_id} does not contain any IPv4 subnet")));
    }
    let request = FixedIpRequest { subnet_id: attrs.str("subnet_id")?, ip_address: address };
    let requested = (request != FixedIpRequest::default()).then(|| vec![request]);
    let ip = world.network.resolve_fixed_ips(&network_id, requested.as_deref(), None)?.remove(0).ip_address;
    let now = world.now;
    let mut fip = FloatingIp::unassociated(world.new_uuid(), ip, network_id, project_id, now);
    fip.description = attrs.description()?.unwrap_or_default();
    if let Some(port_id) = attrs.str("port_id")? {
        let a = association(&world.network, &caller, &fip, &port_id, attrs.str("fixed_ip_address")?)?;
        associate(&mut fip, port_id, a);
    }
    let id = fip.id.clone();
    if let Some(t) = tags {
        world.network.tags.insert(id.clone(), t);
    }
    world.network.insert_floating_ip(fip);
    settle_status(&mut world, &id);
    let body = render(&world.network, &world.network.floating_ips[&id]);
    Ok(reply(StatusCode::CREATED, json!({ "floatingip": body })))
}

async fn update(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "floatingip", &["port_id", "fixed_ip_address", "description"])?;
    let mut world = sim.world();
    let mut fip = find(&world.network, &caller, &id)?.clone();
    match attrs.nullable_str("port_id")? {
        Some(Some(port_id)) => {
            let a = association(&world.network, &caller, &fip, &port_id, attrs.str("fixed_ip_address")?)?;
            associate(&mut fip, port_id, a);
        }
        Some(None) => {
            fip.port_id = None;
            fip.fixed_ip_address = None;
            fip.router_id = None;
        }
        None if attrs.has("fixed_ip_address") => {
            return Err(bad_fip("fixed_ip_address cannot be specified without a port_id"));
        }
        None => {}
    }
    set(&mut fip.description, attrs.description()?);
    fip.updated_at = world.now;
    fip.revision_number += 1;
    world.network.insert_floating_ip(fip);
    settle_status(&mut world, &id);
    let body = render(&world.network, &world.network.floating_ips[&id]);
    Ok(reply(StatusCode::OK, json!({ "floatingip": body })))
}

async fn delete(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let mut world = sim.world();
    find(&world.network, &caller, &id)?;
    world.network.remove_floating_ip(&id);
    world.network.tags.remove(&id);
    Ok(no_content())
}
