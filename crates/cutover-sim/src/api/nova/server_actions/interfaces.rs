/*!
`/servers/{id}/os-interface`: the server's Neutron ports. Attaching a
network creates a port Nova owns (deleted on detach); attaching a given
port binds it and keeps it on detach (`preserve_on_delete`). nova-network
regions have no ports: Nova answered 501 there.
*/

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use super::common::accepted;
use super::common::{check_state, check_unlocked, invalid_input, is_uuid, only_keys, opt_str, ItemPath, ServerPath};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::instance_actions;
use crate::api::nova::lookup::{region, visible_server, visible_server_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{Networking, Nic, Server, VmState};
use crate::model::network::{FixedIp, Port};
use crate::model::World;
use crate::sim::Sim;

const ATTACHABLE: [VmState; 3] = [VmState::Active, VmState::Paused, VmState::Stopped];

fn require_neutron(w: &World, nova: &Nova) -> ApiResult<()> {
    match region(w, nova)?.networking {
        Networking::Neutron => Ok(()),
        Networking::NovaNetwork => {
            Err(ApiError::new(axum::http::StatusCode::NOT_IMPLEMENTED, "The requested functionality is not supported."))
        }
    }
}

fn port_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Port id {id} could not be found."))
}

fn view(nova: &Nova, port: &Port, server: &Server) -> Value {
    let mut v = json!({
        "net_id": port.network_id,
        "port_id": port.id,
        "mac_addr": port.mac_address,
        "port_state": port.status,
        "fixed_ips": port.fixed_ips,
    });
    if nova.at_least(70) {
        v["tag"] = json!(server
            .nics
            .iter()
            .find(|n| n.port_id.as_deref() == Some(port.id.as_str()))
            .and_then(|n| n.tag.clone()));
    }
    v
}

pub async fn index(State(sim): State<Sim>, nova: Nova, Path(p): Path<ServerPath>) -> ApiResult<Response> {
    let w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    require_neutron(&w, &nova)?;
    let items: Vec<Value> =
        w.network.ports_of_device(&server.id).into_iter().map(|port| view(&nova, port, server)).collect();
    Ok(ok(json!({"interfaceAttachments": items})))
}

fn show_port(w: &World, nova: &Nova, server_id: &str, port_id: &str) -> ApiResult<Value> {
    let server = visible_server(w, nova, server_id)?;
    require_neutron(w, nova)?;
    let port = w
        .network
        .ports
        .get(port_id)
        .filter(|p| nova.caller.can_see_project(&p.project_id))
        .ok_or_else(|| port_not_found(port_id))?;
    if port.device_id != server.id {
        return Err(ApiError::not_found(format!("Instance {server_id} does not have a port with id {port_id}")));
    }
    Ok(json!({"interfaceAttachment": view(nova, port, server)}))
}

pub async fn show(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    let w = sim.world();
    Ok(ok(show_port(&w, &nova, &p.server_id, &p.item)?))
}

struct AttachRequest {
    net_id: Option<String>,
    port_id: Option<String>,
    ip: Option<String>,
    tag: Option<String>,
}

fn parse(nova: &Nova, body: &Value) -> ApiResult<AttachRequest> {
    only_keys("body", body, &["interfaceAttachment"])?;
    let Some(att) = body.get("interfaceAttachment") else {
        return Ok(AttachRequest { net_id: None, port_id: None, ip: None, tag: None });
    };
    let mut allowed = vec!["net_id", "port_id", "fixed_ips"];
    if nova.at_least(49) {
        allowed.push("tag");
    }
    only_keys("interfaceAttachment", att, &allowed)?;
    let uuid_field = |field: &str| -> ApiResult<Option<String>> {
        match opt_str(att, field)? {
            Some(v) if is_uuid(v) => Ok(Some(v.to_string())),
            Some(v) => Err(invalid_input(field, &att[field], format!("'{v}' is not a 'uuid'"))),
            None => Ok(None),
        }
    };
    let (net_id, port_id) = (uuid_field("net_id")?, uuid_field("port_id")?);
    let ip = match att.get("fixed_ips") {
        None => None,
        Some(Value::Array(list)) if list.len() == 1 => match list[0].get("ip_address") {
            Some(Value::String(ip)) if ip.parse::<std::net::IpAddr>().is_ok() => Some(ip.clone()),
            _ => return Err(invalid_input("fixed_ips", &att["fixed_ips"], "'ip_address' must be an IP address")),
        },
        Some(other) => return Err(invalid_input("fixed_ips", other, "must be a list of one fixed IP")),
    };
    let tag = opt_str(att, "tag")?.map(str::to_string);
    if net_id.is_some() && port_id.is_some() {
        return Err(ApiError::bad_request("Must not input both network_id and port_id"));
    }
    if ip.is_some() && net_id.is_none() {
        return Err(ApiError::bad_request("Must input network_id when request IP address"));
    }
    Ok(AttachRequest { net_id, port_id, ip, tag })
}

pub async fn create(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ServerPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let req = parse(&nova, &body)?;
    let mut w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?.clone();
    require_neutron(&w, &nova)?;
    check_unlocked(&server, &nova)?;
    check_state(&server, "attach_interface", &ATTACHABLE, true)?;
    let zone = server.host.as_deref().map(|h| region(&w, &nova).map(|r| r.host_zone(h))).transpose()?;
    let device_owner = format!("compute:{}", zone.unwrap_or_default());
    let (port_id, preserve) = match &req.port_id {
        Some(port_id) => (bind_port(&mut w, &nova, &server, port_id, &device_owner)?, true),
        None => (create_port(&mut w, &nova, &server, &req, &device_owner)?, false),
    };
    let port = w.network.ports.get(&port_id).cloned().ok_or_else(|| port_not_found(&port_id))?;
    let network_name = w.network.networks.get(&port.network_id).map(|n| n.name.clone()).unwrap_or_default();
    let now = w.now;
    let server = visible_server_mut(&mut w, &nova, &p.server_id)?;
    server.nics.push(Nic {
        port_id: Some(port.id.clone()),
        network_id: port.network_id.clone(),
        network_name,
        mac_address: port.mac_address.clone(),
        fixed_ips: port.fixed_ips.iter().map(|f| f.ip_address.clone()).collect(),
        floating_ips: Vec::new(),
        preserve_on_delete: preserve,
        tag: req.tag,
    });
    server.updated = now;
    // Nova's API waits for the attach: the event ends with the request.
    instance_actions::record(&mut w, &nova, &p.server_id, "attach_interface", Some("compute_attach_interface"));
    instance_actions::finish(&mut w, &nova.region, &p.server_id, "compute_attach_interface", None);
    Ok(ok(show_port(&w, &nova, &p.server_id, &port_id)?))
}

/// Binds a port the user made to the server (`PortInUse` if bound elsewhere).
fn bind_port(w: &mut World, nova: &Nova, server: &Server, port_id: &str, owner: &str) -> ApiResult<String> {
    let port = w
        .network
        .ports
        .get(port_id)
        .filter(|p| nova.caller.can_see_project(&p.project_id))
        .ok_or_else(|| port_not_found(port_id))?;
    if !port.device_id.is_empty() {
        return Err(ApiError::conflict(format!("Port {port_id} is still in use.")));
    }
    if port.project_id != server.project_id {
        return Err(ApiError::bad_request(format!("Port {port_id} not usable for instance {}.", server.id)));
    }
    let (now, host) = (w.now, server.host.clone().unwrap_or_default());
    w.network
        .update_port(port_id, |p| {
            p.device_id = server.id.clone();
            p.device_owner = owner.to_string();
            p.binding_host_id = host;
            p.binding_vif_type = "ovs".into();
            p.status = "ACTIVE".into();
            p.updated_at = now;
            p.revision_number += 1;
        })
        .map_err(|e| ApiError::conflict(e.to_string()))?;
    Ok(port_id.to_string())
}

/// The network to use when none was named: the only one the project can
/// reach (its own or shared, not external).
fn only_network(w: &World, project_id: &str) -> ApiResult<String> {
    let nets: Vec<&String> = w
        .network
        .networks
        .values()
        .filter(|n| !n.external && (n.shared || n.project_id == project_id))
        .map(|n| &n.id)
        .collect();
    match nets.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(ApiError::bad_request(format!(
            "No specific network was requested and none are available for project '{project_id}'."
        ))),
        _ => Err(ApiError::bad_request("Multiple possible networks found, use a Network ID to be more specific.")),
    }
}

/// Creates the port Nova makes for a network attach, in the server's project.
fn create_port(w: &mut World, nova: &Nova, server: &Server, req: &AttachRequest, owner: &str) -> ApiResult<String> {
    let network_id = match &req.net_id {
        Some(id) => {
            let net = w.network.networks.get(id).filter(|n| n.shared || nova.caller.can_see_project(&n.project_id));
            net.ok_or_else(|| ApiError::not_found(format!("Network {id} could not be found.")))?.id.clone()
        }
        None => only_network(w, &server.project_id)?,
    };
    let subnets: Vec<(String, bool)> = w
        .network
        .subnets
        .values()
        .filter(|s| s.network_id == network_id && s.ip_version == 4)
        .map(|s| (s.id.clone(), req.ip.as_deref().is_some_and(|ip| s.contains(ip))))
        .collect();
    let exhausted = || ApiError::bad_request(format!("No fixed IP addresses available for network: {network_id}"));
    let fixed = match &req.ip {
        Some(ip) => {
            let subnet = subnets.iter().find(|(_, has)| *has).ok_or_else(exhausted)?;
            if let Some(owner) = w.network.ip_owner.get(&(network_id.clone(), ip.clone())) {
                let holder = w.network.ports.get(owner).map(|p| p.device_id.clone()).unwrap_or_default();
                return Err(ApiError::conflict(format!(
                    "Fixed IP address {ip} is already in use on instance {holder}."
                )));
            }
            FixedIp { subnet_id: subnet.0.clone(), ip_address: ip.clone() }
        }
        None => subnets
            .iter()
            .find_map(|(id, _)| w.network.free_ip(id).map(|ip| FixedIp { subnet_id: id.clone(), ip_address: ip }))
            .ok_or_else(exhausted)?,
    };
    let mac = w.network.new_mac(&network_id, &mut w.rng);
    let groups: Vec<String> =
        w.network.default_security_group(&server.project_id).map(|g| g.id.clone()).into_iter().collect();
    let now = w.now;
    let port = Port {
        id: w.new_uuid(),
        name: String::new(),
        network_id,
        project_id: server.project_id.clone(),
        mac_address: mac,
        fixed_ips: vec![fixed],
        device_id: server.id.clone(),
        device_owner: owner.to_string(),
        binding_host_id: server.host.clone().unwrap_or_default(),
        binding_vif_type: "ovs".into(),
        binding_vnic_type: "normal".into(),
        security_groups: groups,
        admin_state_up: true,
        status: "ACTIVE".into(),
        description: String::new(),
        created_at: now,
        updated_at: now,
        revision_number: 1,
    };
    let id = port.id.clone();
    w.network.insert_port(port).map_err(|e| ApiError::conflict(e.to_string()))?;
    Ok(id)
}

/// `DELETE`: unbinds a port the user gave, deletes one Nova created.
pub async fn delete(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    let mut w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    require_neutron(&w, &nova)?;
    check_unlocked(server, &nova)?;
    check_state(server, "detach_interface", &ATTACHABLE, true)?;
    let nic = server
        .nics
        .iter()
        .find(|n| n.port_id.as_deref() == Some(p.item.as_str()))
        .ok_or_else(|| port_not_found(&p.item))?;
    let preserve = nic.preserve_on_delete;
    let now = w.now;
    if preserve {
        // The user's port outlives the attachment, unbound and reusable.
        w.network.unbind_port(&p.item, now);
    } else {
        w.network.remove_port(&p.item);
    }
    let server = visible_server_mut(&mut w, &nova, &p.server_id)?;
    server.nics.retain(|n| n.port_id.as_deref() != Some(p.item.as_str()));
    server.updated = now;
    instance_actions::record(&mut w, &nova, &p.server_id, "detach_interface", Some("compute_detach_interface"));
    instance_actions::finish(&mut w, &nova.region, &p.server_id, "compute_detach_interface", None);
    Ok(accepted())
}
