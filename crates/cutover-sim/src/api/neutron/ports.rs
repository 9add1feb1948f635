/*!
`/v2.0/ports`: addresses, MACs, device ownership, host binding and
security groups of ports. Explicit IPs and MACs are for admins and the
network's owner, binding attributes for admins only (Neutron's default
policy); IPs and MACs are unique per network.
*/

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::common::{admin_only_attr, bad_request, creation_tags, denied, no_content, one, owns, set, standard_attrs};
use super::common::{Attrs, ListQuery};
use super::{networks, security_groups, subnets};
use crate::api::common::{reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::network::{ipv4_num, FixedIp, FixedIpRequest, NetworkStore, Port};
use crate::model::routing::{ROUTER_GATEWAY, ROUTER_INTERFACE};
use crate::model::World;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/ports", get(list).post(create)).route("/ports/{id}", get(show).put(update).delete(delete))
}

const FILTERS: &[&str] = &[
    "id",
    "name",
    "network_id",
    "project_id",
    "tenant_id",
    "mac_address",
    "fixed_ips",
    "device_id",
    "device_owner",
    "status",
    "admin_state_up",
    "description",
    "security_groups",
    "revision_number",
    "binding:host_id",
    "binding:vnic_type",
    "binding:vif_type",
    "ip_allocation",
];

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Port {id} could not be found.")).with_type("PortNotFound")
}

fn network_owner<'s>(store: &'s NetworkStore, network_id: &str) -> &'s str {
    store.networks.get(network_id).map(|n| n.project_id.as_str()).unwrap_or_default()
}

/// `get_port`: admin, the port's owner or the owner of its network.
pub fn visible(store: &NetworkStore, caller: &Caller, p: &Port) -> bool {
    owns(caller, &p.project_id) || owns(caller, network_owner(store, &p.network_id))
}

pub fn find<'s>(store: &'s NetworkStore, caller: &Caller, id: &str) -> ApiResult<&'s Port> {
    store.ports.get(id).filter(|p| visible(store, caller, p)).ok_or_else(|| not_found(id))
}

fn vif_type(p: &Port) -> &str {
    if p.binding_host_id.is_empty() {
        "unbound"
    } else {
        &p.binding_vif_type
    }
}

fn render(store: &NetworkStore, caller: &Caller, p: &Port) -> Value {
    let mut v = json!({
        "id": p.id, "name": p.name, "network_id": p.network_id, "mac_address": p.mac_address,
        "admin_state_up": p.admin_state_up, "status": p.status, "device_id": p.device_id,
        "device_owner": p.device_owner, "fixed_ips": p.fixed_ips, "allowed_address_pairs": [],
        "extra_dhcp_opts": [], "security_groups": p.security_groups, "description": p.description,
        "binding:vnic_type": p.binding_vnic_type, "port_security_enabled": true, "qos_policy_id": null,
        "qos_network_policy_id": null, "ip_allocation": "immediate", "propagate_uplink_status": false,
    });
    let obj = v.as_object_mut().expect("object literal");
    standard_attrs(obj, &p.project_id, &p.created_at, &p.updated_at, p.revision_number, store.tags_of(&p.id));
    // get_port:binding:* are admin-only: members do not even see the keys.
    if caller.is_admin() {
        let details = if p.binding_host_id.is_empty() {
            json!({})
        } else {
            // ML2 records which mechanism driver bound the port, per binding level.
            json!({"port_filter": true, "connectivity": "l2", "bridge_name": "br-int", "datapath_type": "system",
                   "bound_drivers": {"0": "openvswitch"}})
        };
        obj.insert("binding:host_id".into(), json!(p.binding_host_id));
        obj.insert("binding:profile".into(), json!({}));
        obj.insert("binding:vif_type".into(), json!(vif_type(p)));
        obj.insert("binding:vif_details".into(), details);
        obj.insert("resource_request".into(), Value::Null);
    }
    v
}

async fn list(State(sim): State<Sim>, caller: Caller, Query(q): Query<Vec<(String, String)>>) -> ApiResult<Response> {
    let world = sim.world();
    let store = &world.network;
    let items =
        store.ports.values().filter(|p| visible(store, &caller, p)).map(|p| render(store, &caller, p)).collect();
    ListQuery::new(q).reply(&world.base_url, "ports", items, FILTERS, not_found)
}

async fn show(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let world = sim.world();
    let p = find(&world.network, &caller, &id)?;
    Ok(one(StatusCode::OK, "port", render(&world.network, &caller, p), &ListQuery::new(q)))
}

/// A MAC in Neutron's canonical form (lower case, colons), or the 400
/// Neutron gives for anything else, including broadcast and multicast.
fn parse_mac(mac: &str) -> ApiResult<String> {
    let invalid = || bad_request(format!("Invalid input for mac_address. Reason: '{mac}' is not a valid MAC address."));
    let parts: Vec<&str> = mac.split([':', '-']).collect();
    if parts.len() != 6 || parts.iter().any(|p| p.len() != 2) {
        return Err(invalid());
    }
    let bytes: Vec<u8> =
        parts.iter().map(|p| u8::from_str_radix(p, 16)).collect::<Result<_, _>>().map_err(|_| invalid())?;
    if bytes.iter().all(|b| *b == 0) || bytes[0] & 1 == 1 {
        return Err(invalid());
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
}

/// `fixed_ips` of a request body: entries with `subnet_id` and/or `ip_address`.
fn parse_fixed_ips(store: &NetworkStore, attrs: &Attrs) -> ApiResult<Option<Vec<FixedIpRequest>>> {
    attrs.value("fixed_ips").map(|raw| parse_fixed_ip_list(store, "fixed_ips", raw)).transpose()
}

/// A `fixed_ips`-style list (`[{subnet_id, ip_address}]`) named `key`.
pub fn parse_fixed_ip_list(store: &NetworkStore, key: &str, raw: &Value) -> ApiResult<Vec<FixedIpRequest>> {
    let items = raw
        .as_array()
        .ok_or_else(|| bad_request(format!("Invalid input for {key}. Reason: '{raw}' is not a list.")))?;
    let mut out = Vec::new();
    for item in items {
        let field = |k: &str| -> ApiResult<Option<String>> {
            match &item[k] {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                v => Err(bad_request(format!("Invalid input for {key}. Reason: '{v}' is not a valid {k}."))),
            }
        };
        let req = FixedIpRequest { subnet_id: field("subnet_id")?, ip_address: field("ip_address")? };
        if let Some(ip) = &req.ip_address {
            if ipv4_num(ip).is_none() {
                return Err(bad_request(format!("Invalid input for {key}. Reason: '{ip}' is not a valid IP address.")));
            }
        }
        if let Some(s) = &req.subnet_id {
            if !store.subnets.contains_key(s) {
                return Err(subnets::not_found(s));
            }
        }
        out.push(req);
    }
    Ok(out)
}

/// Attribute policies that only admins and the network's owner pass.
fn check_net_owner_attrs(
    caller: &Caller,
    action: &str,
    attrs: &Attrs,
    is_net_owner: bool,
    shared: bool,
) -> ApiResult<()> {
    if is_net_owner {
        return Ok(());
    }
    if attrs.has("mac_address") && action == "create_port" {
        return Err(denied(action, Some("mac_address")));
    }
    if let Some(Value::Array(ips)) = attrs.value("fixed_ips") {
        if !shared {
            return Err(denied(action, Some("fixed_ips")));
        }
        if ips.iter().any(|ip| !ip["ip_address"].is_null()) {
            return Err(denied(action, Some("fixed_ips:ip_address")));
        }
    }
    if let Some(owner) = attrs.str("device_owner")? {
        if owner.starts_with("network:") && !caller.is_admin() {
            return Err(denied(action, Some("device_owner")));
        }
    }
    Ok(())
}

/// Security group ids for a port of `project_id`: each must exist and be
/// visible to the caller.
fn resolve_groups(
    world: &mut World,
    caller: &Caller,
    requested: Option<Vec<String>>,
    project_id: &str,
    device_owner: &str,
) -> ApiResult<Vec<String>> {
    match requested {
        Some(ids) => {
            for id in &ids {
                security_groups::find(&world.network, caller, id)?;
            }
            Ok(ids)
        }
        // Neutron gives a port its project's default group, except
        // network-owned ports (DHCP, router interfaces).
        None if device_owner.starts_with("network:") => Ok(Vec::new()),
        None => Ok(vec![world.ensure_default_security_group(project_id)]),
    }
}

const CREATE_ATTRS: &[&str] = &[
    "network_id",
    "name",
    "admin_state_up",
    "mac_address",
    "fixed_ips",
    "device_id",
    "device_owner",
    "security_groups",
    "binding:host_id",
    "binding:vnic_type",
    "binding:profile",
    "description",
    "project_id",
    "tenant_id",
    "tags",
];

async fn create(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "port", CREATE_ATTRS)?;
    let project_id = attrs.owner(&caller)?;
    let network_id = attrs.required_str("network_id")?;
    let tags = creation_tags(&attrs)?;
    let mut world = sim.world();
    let net = networks::find(&world.network, &caller, &network_id)?;
    if !caller.is_admin() && !net.shared && net.project_id != project_id {
        return Err(ApiError::forbidden(format!("Tenant {project_id} not allowed to create port on this network"))
            .with_type("HTTPForbidden"));
    }
    let is_net_owner = owns(&caller, &net.project_id);
    check_net_owner_attrs(&caller, "create_port", &attrs, is_net_owner, net.shared)?;
    for a in ["binding:host_id", "binding:profile"] {
        admin_only_attr(&caller, "create_port", &attrs, a)?;
    }
    let requested = parse_fixed_ips(&world.network, &attrs)?;
    let fixed_ips = world.network.resolve_fixed_ips(&network_id, requested.as_deref(), None)?;
    let mac = match attrs.str("mac_address")? {
        Some(m) => parse_mac(&m)?,
        None => {
            let World { network, rng, .. } = &mut *world;
            network.new_mac(&network_id, rng)
        }
    };
    let device_owner = attrs.str("device_owner")?.unwrap_or_default();
    let groups = resolve_groups(&mut world, &caller, attrs.str_list("security_groups")?, &project_id, &device_owner)?;
    let host = attrs.str("binding:host_id")?.unwrap_or_default();
    let now = world.now;
    let port = Port {
        id: world.new_uuid(),
        name: attrs.str("name")?.unwrap_or_default(),
        network_id,
        project_id,
        mac_address: mac,
        fixed_ips,
        device_id: attrs.str("device_id")?.unwrap_or_default(),
        device_owner,
        status: if host.is_empty() { "DOWN" } else { "ACTIVE" }.into(),
        binding_host_id: host,
        binding_vif_type: "ovs".into(),
        binding_vnic_type: attrs.str("binding:vnic_type")?.unwrap_or_else(|| "normal".into()),
        security_groups: groups,
        admin_state_up: attrs.bool("admin_state_up")?.unwrap_or(true),
        description: attrs.description()?.unwrap_or_default(),
        created_at: now,
        updated_at: now,
        revision_number: 1,
    };
    let id = port.id.clone();
    world.network.insert_port(port)?;
    if let Some(t) = tags {
        world.network.tags.insert(id.clone(), t);
    }
    let body = render(&world.network, &caller, &world.network.ports[&id]);
    Ok(reply(StatusCode::CREATED, json!({ "port": body })))
}

const UPDATE_ATTRS: &[&str] = &[
    "name",
    "admin_state_up",
    "mac_address",
    "fixed_ips",
    "device_id",
    "device_owner",
    "security_groups",
    "binding:host_id",
    "binding:vnic_type",
    "binding:profile",
    "description",
];

const READ_ONLY: &[&str] = &["id", "network_id", "project_id", "tenant_id", "status", "created_at", "updated_at"];

async fn update(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    if let Some(Value::Object(m)) = body.get("port") {
        if let Some(k) = m.keys().find(|k| READ_ONLY.contains(&k.as_str())) {
            return Err(bad_request(format!("Cannot update read-only attribute {k}")));
        }
    }
    let attrs = Attrs::from_body(body, "port", UPDATE_ATTRS)?;
    let mut world = sim.world();
    let port = find(&world.network, &caller, &id)?.clone();
    if !owns(&caller, &port.project_id) {
        return Err(denied("update_port", None));
    }
    let is_net_owner = owns(&caller, network_owner(&world.network, &port.network_id));
    let shared = world.network.networks.get(&port.network_id).is_some_and(|n| n.shared);
    check_net_owner_attrs(&caller, "update_port", &attrs, is_net_owner, shared)?;
    for a in ["mac_address", "binding:host_id", "binding:profile"] {
        admin_only_attr(&caller, "update_port", &attrs, a)?;
    }
    let fixed_ips = match parse_fixed_ips(&world.network, &attrs)? {
        Some(req) => Some(world.network.resolve_fixed_ips(&port.network_id, Some(&req), Some(&id))?),
        None => None,
    };
    let mac = attrs.str("mac_address")?.map(|m| parse_mac(&m)).transpose()?;
    if let Some(m) = &mac {
        if !port.binding_host_id.is_empty() && m != &port.mac_address {
            return Err(ApiError::conflict(format!(
                "Unable to complete operation on port {id}, port is already bound, port type: {}, old_mac {}, new_mac {m}.",
                vif_type(&port),
                port.mac_address
            ))
            .with_type("PortBound"));
        }
    }
    let groups = match attrs.str_list("security_groups")? {
        Some(ids) => Some(resolve_groups(&mut world, &caller, Some(ids), &port.project_id, &port.device_owner)?),
        None => None,
    };
    let change = PortChange {
        name: attrs.str("name")?,
        description: attrs.str("description")?,
        device_id: attrs.str("device_id")?,
        device_owner: attrs.str("device_owner")?,
        binding_host_id: attrs.str("binding:host_id")?,
        binding_vnic_type: attrs.str("binding:vnic_type")?,
        admin_state_up: attrs.bool("admin_state_up")?,
        fixed_ips,
        mac,
        groups,
    };
    let now = world.now;
    world.network.update_port(&id, |p| change.apply(p, now))?;
    let body = render(&world.network, &caller, &world.network.ports[&id]);
    Ok(reply(StatusCode::OK, json!({ "port": body })))
}

/// What a port update changes, checked before anything is.
struct PortChange {
    name: Option<String>,
    description: Option<String>,
    device_id: Option<String>,
    device_owner: Option<String>,
    binding_host_id: Option<String>,
    binding_vnic_type: Option<String>,
    admin_state_up: Option<bool>,
    fixed_ips: Option<Vec<FixedIp>>,
    mac: Option<String>,
    groups: Option<Vec<String>>,
}

impl PortChange {
    fn apply(self, p: &mut Port, now: DateTime<Utc>) {
        set(&mut p.name, self.name);
        set(&mut p.description, self.description);
        set(&mut p.device_id, self.device_id);
        set(&mut p.device_owner, self.device_owner);
        set(&mut p.binding_vnic_type, self.binding_vnic_type);
        if let Some(v) = self.binding_host_id {
            // ML2 binds the port on the host named (the simulator's every
            // host has an agent), and unbinds it for none.
            p.status = if v.is_empty() { "DOWN" } else { "ACTIVE" }.into();
            p.binding_vif_type = if v.is_empty() { "unbound" } else { "ovs" }.into();
            p.binding_host_id = v;
        }
        set(&mut p.admin_state_up, self.admin_state_up);
        set(&mut p.fixed_ips, self.fixed_ips);
        set(&mut p.mac_address, self.mac);
        set(&mut p.security_groups, self.groups);
        p.updated_at = now;
        p.revision_number += 1;
    }
}

async fn delete(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let mut world = sim.world();
    let port = find(&world.network, &caller, &id)?;
    // l3_db's `prevent_l3_port_deletion`: a live router's ports go through
    // the router API.
    let router_owned = [ROUTER_INTERFACE, ROUTER_GATEWAY].contains(&port.device_owner.as_str());
    if router_owned && world.network.routers.contains_key(&port.device_id) {
        return Err(ApiError::conflict(format!(
            "Port {id} cannot be deleted directly via the port API: has device owner {}.",
            port.device_owner
        ))
        .with_type("ServicePortInUse"));
    }
    world.network.remove_port(&id);
    world.network.tags.remove(&id);
    Ok(no_content())
}
