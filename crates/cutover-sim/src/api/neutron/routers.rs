/*!
`/v2.0/routers`: routers with an external gateway and interfaces on project
subnets, as Neutron's `l3_db` keeps them. Floating IP associations go
through them; a router in use by interfaces or floating IPs stays.
*/

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router as Routes;
use serde_json::{json, Map, Value};

use super::common::{bad_request, creation_tags, denied, no_content, one, owns, set, standard_attrs, Attrs, ListQuery};
use super::{networks, ports, subnets};
use crate::api::common::{reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::network::{FixedIpRequest, NetworkStore, Port, Router};
use crate::model::routing::ROUTER_INTERFACE;
use crate::sim::Sim;

pub fn routes() -> Routes<Sim> {
    Routes::new()
        .route("/routers", get(list).post(create))
        .route("/routers/{id}", get(show).put(update).delete(delete))
        .route("/routers/{id}/add_router_interface", put(add_interface))
        .route("/routers/{id}/remove_router_interface", put(remove_interface))
}

const FILTERS: &[&str] =
    &["id", "name", "project_id", "tenant_id", "admin_state_up", "status", "description", "revision_number"];

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Router {id} could not be found")).with_type("RouterNotFound")
}

/// Neutron's `BadRequest(resource='router')`.
fn bad_router(message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Bad router request: {message}.")).with_type("BadRequest")
}

/// The router if the caller owns it (or is an admin), else `RouterNotFound`.
pub fn find<'s>(store: &'s NetworkStore, caller: &Caller, id: &str) -> ApiResult<&'s Router> {
    store.routers.get(id).filter(|r| owns(caller, &r.project_id)).ok_or_else(|| not_found(id))
}

fn render(store: &NetworkStore, caller: &Caller, r: &Router) -> Value {
    let gateway = r.gateway.as_ref().map(|g| {
        let ips = store.ports.get(&g.port_id).map(|p| p.fixed_ips.clone()).unwrap_or_default();
        json!({"network_id": g.network_id, "enable_snat": g.enable_snat, "external_fixed_ips": ips})
    });
    let mut v = json!({
        "id": r.id, "name": r.name, "status": "ACTIVE", "admin_state_up": r.admin_state_up,
        "external_gateway_info": gateway, "description": r.description, "routes": [],
        "availability_zone_hints": [], "availability_zones": ["nova"], "flavor_id": null,
    });
    let obj = v.as_object_mut().expect("object literal");
    standard_attrs(obj, &r.project_id, &r.created_at, &r.updated_at, r.revision_number, store.tags_of(&r.id));
    if caller.is_admin() {
        obj.insert("distributed".into(), json!(false));
        obj.insert("ha".into(), json!(false));
    }
    v
}

async fn list(State(sim): State<Sim>, caller: Caller, Query(q): Query<Vec<(String, String)>>) -> ApiResult<Response> {
    let world = sim.world();
    let store = &world.network;
    let items = store.routers.values().filter(|r| owns(&caller, &r.project_id)).map(|r| render(store, &caller, r));
    ListQuery::new(q).reply(&world.base_url, "routers", items.collect(), FILTERS, not_found)
}

async fn show(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let world = sim.world();
    let r = find(&world.network, &caller, &id)?;
    Ok(one(StatusCode::OK, "router", render(&world.network, &caller, r), &ListQuery::new(q)))
}

/// A requested `external_gateway_info`.
struct GatewayRequest {
    network_id: String,
    enable_snat: Option<bool>,
    fixed_ips: Option<Vec<FixedIpRequest>>,
}

/// `external_gateway_info`: absent (`None`), cleared with `null` or `{}`
/// (`Some(None)`), or set. `enable_snat` and `external_fixed_ips` are
/// admin-only under Neutron's default policy.
fn parse_gateway(
    store: &NetworkStore,
    caller: &Caller,
    action: &str,
    attrs: &Attrs,
) -> ApiResult<Option<Option<GatewayRequest>>> {
    let info = match attrs.value("external_gateway_info") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(None)),
        Some(Value::Object(m)) if m.is_empty() => return Ok(Some(None)),
        Some(Value::Object(m)) => m,
        Some(v) => {
            return Err(bad_request(format!("Invalid input for external_gateway_info. Reason: '{v}' is not a dict.")))
        }
    };
    let allowed = ["network_id", "enable_snat", "external_fixed_ips"];
    if let Some(k) = info.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad_request(format!(
            "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {{'network_id'}} Provided keys: {{'{k}'}}."
        )));
    }
    for a in ["enable_snat", "external_fixed_ips"] {
        if info.contains_key(a) && !caller.is_admin() {
            return Err(denied(action, Some(&format!("external_gateway_info:{a}"))));
        }
    }
    let network_id = match info.get("network_id") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(bad_request(
                "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'}.",
            ))
        }
    };
    let net = networks::find(store, caller, &network_id)?;
    if !net.external {
        return Err(bad_router(format_args!("Network {network_id} is not an external network")));
    }
    let wrapped = Attrs::from_body(json!({ "gw": Value::Object(info.clone()) }), "gw", &allowed)?;
    let fixed_ips =
        info.get("external_fixed_ips").map(|raw| ports::parse_fixed_ip_list(store, "external_fixed_ips", raw));
    Ok(Some(Some(GatewayRequest {
        network_id,
        enable_snat: wrapped.bool("enable_snat")?,
        fixed_ips: fixed_ips.transpose()?,
    })))
}

/// Floating IPs that go through the router (and so need its gateway).
fn fips_through(store: &NetworkStore, router_id: &str) -> bool {
    store.floating_ips.values().any(|f| f.router_id.as_deref() == Some(router_id))
}

/// Sets or clears the gateway; a change of network or a removal is
/// refused while floating IPs go through the router.
fn apply_gateway(world: &mut crate::model::World, router_id: &str, req: Option<GatewayRequest>) -> ApiResult<()> {
    let current = world.network.routers.get(router_id).and_then(|r| r.gateway.clone());
    let keeps_network = matches!((&current, &req), (Some(c), Some(r)) if c.network_id == r.network_id);
    if let Some(c) = &current {
        if !keeps_network && fips_through(&world.network, router_id) {
            return Err(ApiError::conflict(format!(
                "Gateway cannot be updated for router {router_id}, since a gateway to external network {} is required by one or more floating IPs.",
                c.network_id
            ))
            .with_type("RouterExternalGatewayInUseByFloatingIp"));
        }
    }
    match req {
        None => world.clear_router_gateway(router_id),
        Some(r) if keeps_network && r.fixed_ips.is_none() => {
            if let (Some(snat), Some(g)) =
                (r.enable_snat, world.network.routers.get_mut(router_id).and_then(|x| x.gateway.as_mut()))
            {
                g.enable_snat = snat;
            }
        }
        Some(r) => {
            world.set_router_gateway(router_id, &r.network_id, r.enable_snat.unwrap_or(true), r.fixed_ips.as_deref())?
        }
    }
    Ok(())
}

const CREATE_ATTRS: &[&str] = &[
    "name",
    "admin_state_up",
    "description",
    "external_gateway_info",
    "project_id",
    "tenant_id",
    "availability_zone_hints",
    "tags",
];

async fn create(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "router", CREATE_ATTRS)?;
    let project_id = attrs.owner(&caller)?;
    let tags = creation_tags(&attrs)?;
    let mut world = sim.world();
    let gateway = parse_gateway(&world.network, &caller, "create_router", &attrs)?.flatten();
    let now = world.now;
    let router = Router {
        id: world.new_uuid(),
        name: attrs.str("name")?.unwrap_or_default(),
        project_id,
        admin_state_up: attrs.bool("admin_state_up")?.unwrap_or(true),
        description: attrs.description()?.unwrap_or_default(),
        gateway: None,
        created_at: now,
        updated_at: now,
        revision_number: 1,
    };
    let id = router.id.clone();
    world.network.routers.insert(id.clone(), router);
    if let Err(e) = apply_gateway(&mut world, &id, gateway) {
        world.network.routers.remove(&id);
        return Err(e);
    }
    if let Some(t) = tags {
        world.network.tags.insert(id.clone(), t);
    }
    let body = render(&world.network, &caller, &world.network.routers[&id]);
    Ok(reply(StatusCode::CREATED, json!({ "router": body })))
}

async fn update(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "router", &["name", "admin_state_up", "description", "external_gateway_info"])?;
    let mut world = sim.world();
    find(&world.network, &caller, &id)?;
    if let Some(gateway) = parse_gateway(&world.network, &caller, "update_router", &attrs)? {
        apply_gateway(&mut world, &id, gateway)?;
    }
    let now = world.now;
    let r = world.network.routers.get_mut(&id).ok_or_else(|| not_found(&id))?;
    set(&mut r.name, attrs.str("name")?);
    set(&mut r.description, attrs.description()?);
    set(&mut r.admin_state_up, attrs.bool("admin_state_up")?);
    r.updated_at = now;
    r.revision_number += 1;
    let body = render(&world.network, &caller, &world.network.routers[&id]);
    Ok(reply(StatusCode::OK, json!({ "router": body })))
}

async fn delete(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let mut world = sim.world();
    find(&world.network, &caller, &id)?;
    if !world.network.router_interfaces(&id).is_empty() {
        return Err(ApiError::conflict(format!("Router {id} still has ports")).with_type("RouterInUse"));
    }
    apply_gateway(&mut world, &id, None)?;
    world.network.routers.remove(&id);
    world.network.tags.remove(&id);
    Ok(no_content())
}

/// The body of `add_router_interface` / `remove_router_interface`:
/// `subnet_id` or `port_id`.
fn interface_request(body: &Value) -> ApiResult<(Option<String>, Option<String>)> {
    let Value::Object(map) = body else { return Err(bad_request("Body contains invalid data")) };
    let field = |k: &str| match map.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(bad_request(format!("Invalid input for {k}. Reason: '{v}' is not a valid UUID."))),
    };
    Ok((field("subnet_id")?, field("port_id")?))
}

fn neither() -> ApiError {
    bad_router("Either subnet_id or port_id must be specified")
}

/// `{id, port_id, subnet_id, subnet_ids, network_id, project_id}` as both
/// interface actions answer.
fn interface_info(r: &Router, p: &Port) -> Value {
    let subnets: Vec<&str> = p.fixed_ips.iter().map(|f| f.subnet_id.as_str()).collect();
    let mut m = Map::new();
    m.insert("id".into(), json!(r.id));
    m.insert("tenant_id".into(), json!(r.project_id));
    m.insert("project_id".into(), json!(r.project_id));
    m.insert("port_id".into(), json!(p.id));
    m.insert("network_id".into(), json!(p.network_id));
    m.insert("subnet_id".into(), json!(subnets.first()));
    m.insert("subnet_ids".into(), json!(subnets));
    Value::Object(m)
}

async fn add_interface(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let (subnet_id, port_id) = interface_request(&body)?;
    let mut world = sim.world();
    find(&world.network, &caller, &id)?;
    let port_id = match (subnet_id, port_id) {
        (Some(_), Some(_)) => return Err(bad_router("Cannot specify both subnet-id and port-id")),
        (Some(subnet_id), None) => {
            subnets::find(&world.network, &caller, &subnet_id)?;
            world.add_router_subnet(&id, &subnet_id)?
        }
        (_, Some(port_id)) => {
            attach_port(&world.network, &caller, &id, &port_id)?;
            world.network.update_port(&port_id, |p| {
                p.device_id = id.clone();
                p.device_owner = ROUTER_INTERFACE.into();
            })?;
            port_id
        }
        (None, None) => return Err(neither()),
    };
    bump(&mut world, &id);
    let store = &world.network;
    Ok(reply(StatusCode::OK, interface_info(&store.routers[&id], &store.ports[&port_id])))
}

/// Checks that an existing port can become an interface of the router:
/// unattached, with addresses, on no subnet the router already has.
fn attach_port(store: &NetworkStore, caller: &Caller, router_id: &str, port_id: &str) -> ApiResult<()> {
    let port = ports::find(store, caller, port_id)?;
    if !port.device_id.is_empty() || !port.device_owner.is_empty() {
        return Err(ApiError::conflict(format!(
            "Unable to complete operation on port {port_id} for network {}. Port already has an attached device {}.",
            port.network_id, port.device_id
        ))
        .with_type("PortInUse"));
    }
    if port.fixed_ips.is_empty() {
        return Err(bad_router("Router port must have at least one fixed IP"));
    }
    let existing = store.router_interfaces(router_id);
    if let Some(f) =
        port.fixed_ips.iter().find(|f| existing.iter().any(|p| p.fixed_ips.iter().any(|e| e.subnet_id == f.subnet_id)))
    {
        return Err(bad_router(format_args!("Router already has a port on subnet {}", f.subnet_id)));
    }
    Ok(())
}

fn bump(world: &mut crate::model::World, router_id: &str) {
    let now = world.now;
    if let Some(r) = world.network.routers.get_mut(router_id) {
        r.updated_at = now;
        r.revision_number += 1;
    }
}

async fn remove_interface(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let (subnet_id, port_id) = interface_request(&body)?;
    let mut world = sim.world();
    let router = find(&world.network, &caller, &id)?.clone();
    let store = &world.network;
    let interfaces = store.router_interfaces(&id);
    let port = match (&port_id, &subnet_id) {
        (Some(p), _) => interfaces.iter().find(|i| &i.id == p).ok_or_else(|| {
            ApiError::not_found(format!("Router {id} does not have an interface with id {p}"))
                .with_type("RouterInterfaceNotFound")
        })?,
        (None, Some(s)) => {
            subnets::find(store, &caller, s)?;
            interfaces.iter().find(|i| i.fixed_ips.iter().any(|f| &f.subnet_id == s)).ok_or_else(|| {
                ApiError::not_found(format!("Router {id} has no interface on subnet {s}"))
                    .with_type("RouterInterfaceNotFoundForSubnet")
            })?
        }
        (None, None) => return Err(neither()),
    };
    let port = (*port).clone();
    // A floating IP whose fixed address is on one of the port's subnets
    // reaches its external network through this interface.
    let needed = port.fixed_ips.iter().find(|f| {
        store.floating_ips.values().any(|fip| {
            fip.router_id.as_deref() == Some(id.as_str())
                && fip.port_id.as_ref().and_then(|p| store.ports.get(p)).is_some_and(|p| {
                    p.fixed_ips.iter().any(|x| {
                        x.subnet_id == f.subnet_id && fip.fixed_ip_address.as_deref() == Some(x.ip_address.as_str())
                    })
                })
        })
    });
    if let Some(f) = needed {
        return Err(ApiError::conflict(format!(
            "Router interface for subnet {} on router {id} cannot be deleted, as it is required by one or more floating IPs.",
            f.subnet_id
        ))
        .with_type("RouterInterfaceInUseByFloatingIP"));
    }
    world.network.remove_port(&port.id);
    bump(&mut world, &id);
    Ok(reply(StatusCode::OK, interface_info(&router, &port)))
}
