/*!
What a Neutron region's Nova answers on the nova-network APIs below 2.36:
it proxies them to Neutron with the caller's token (nova/network/neutron.py).
Pools are the external networks, a project's floating IPs are its Neutron
floating IPs in nova-network's shape, `os-networks` the visible networks.
*/

use serde_json::{json, Value};

use crate::api::neutron::networks::visible as network_visible;
use crate::api::nova::Nova;
use crate::error::ApiError;
use crate::model::network::{FloatingIp, Network};
use crate::model::World;

/// Nova's `[neutron] default_floating_pool`.
const DEFAULT_POOL: &str = "public";

/// Nova's 404 (no free address) and 403 (over quota) messages, which name
/// the pool only when the request did.
pub fn allocation_errors(requested: Option<&str>) -> (ApiError, ApiError) {
    match requested {
        Some(p) => (
            ApiError::not_found(format!("No more floating IPs in pool {p}.")),
            ApiError::forbidden(format!("IP allocation over quota in pool {p}.")),
        ),
        None => {
            (ApiError::not_found("No more floating IPs available."), ApiError::forbidden("IP allocation over quota."))
        }
    }
}

/// A pool's name: the network's name, or its id when it has none.
fn pool_name(n: &Network) -> &str {
    if n.name.is_empty() {
        &n.id
    } else {
        &n.name
    }
}

/// `list_networks(router:external=True)`: external networks are visible to
/// every project.
pub fn pools(w: &World) -> Value {
    let rows: Vec<Value> =
        w.network.networks.values().filter(|n| n.external).map(|n| json!({"name": pool_name(n)})).collect();
    json!({"floating_ip_pools": rows})
}

/// A Neutron floating IP as Nova's `_translate_floating_ip_view` shows it:
/// the instance is the device of the associated port.
fn floating_json(w: &World, f: &FloatingIp) -> Value {
    let instance = f.port_id.as_ref().and_then(|p| w.network.ports.get(p)).map(|p| p.device_id.clone());
    let pool = w.network.networks.get(&f.floating_network_id).map_or(f.floating_network_id.as_str(), pool_name);
    json!({"id": f.id, "ip": f.floating_ip_address, "pool": pool, "fixed_ip": f.fixed_ip_address,
           "instance_id": instance})
}

/// `get_floating_ips_by_project`: the token's project's only, even for an admin.
pub fn list(w: &World, project: &str) -> Value {
    let rows: Vec<Value> =
        w.network.floating_ips.values().filter(|f| f.project_id == project).map(|f| floating_json(w, f)).collect();
    json!({"floating_ips": rows})
}

/// `show_floatingip` with the caller's token: its project's, or any for an admin.
fn visible<'w>(w: &'w World, nova: &Nova, id: &str) -> Result<&'w FloatingIp, ApiError> {
    w.network
        .floating_ips
        .get(id)
        .filter(|f| nova.caller.can_see_project(&f.project_id))
        .ok_or_else(|| ApiError::not_found(format!("Floating IP not found for ID {id}")))
}

pub fn show(w: &World, nova: &Nova, id: &str) -> Result<Value, ApiError> {
    Ok(json!({"floating_ip": floating_json(w, visible(w, nova, id)?)}))
}

/// `allocate_floating_ip`: the pool is an external network found by name
/// (or id), and the address Neutron's next free one on it.
pub fn allocate(w: &mut World, project: &str, requested: Option<&str>) -> Result<Value, ApiError> {
    let pool = requested.unwrap_or(DEFAULT_POOL);
    let by_id = uuid::Uuid::parse_str(pool).is_ok();
    let matches: Vec<&Network> = w
        .network
        .networks
        .values()
        .filter(|n| n.external && if by_id { n.id == pool } else { n.name == pool })
        .collect();
    let network_id = match matches.as_slice() {
        [n] => n.id.clone(),
        [] => return Err(ApiError::not_found("Floating IP pool not found.")),
        _ => {
            return Err(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("Multiple floating IP pools matches found for name '{pool}'"),
            ))
        }
    };
    if w.network.subnets_of(&network_id).is_empty() {
        return Err(ApiError::bad_request(format!(
            "Bad floatingip request: Network {network_id} does not contain any IPv4 subnet."
        )));
    }
    let (exhausted, _) = allocation_errors(requested);
    let address = w.network.free_ip_on_network(&network_id).ok_or(exhausted)?.ip_address;
    let now = w.now;
    let fip = FloatingIp::unassociated(w.new_uuid(), address, network_id, project.to_string(), now);
    let body = json!({"floating_ip": floating_json(w, &fip)});
    w.network.insert_floating_ip(fip);
    Ok(body)
}

/// `disassociate_and_release_floating_ip`: deletes the Neutron floating IP.
pub fn release(w: &mut World, nova: &Nova, id: &str) -> Result<(), ApiError> {
    let id = visible(w, nova, id)?.id.clone();
    w.network.remove_floating_ip(&id);
    w.network.tags.remove(&id);
    Ok(())
}

/// Nova's `network_dict` over a Neutron network: only the id and label are
/// known; every other field (more of them for an admin) is null.
fn network_json(nova: &Nova, n: &Network) -> Value {
    const FIELDS: [&str; 9] =
        ["cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6", "netmask_v6"];
    const ADMIN_FIELDS: [&str; 21] = [
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted",
        "injected",
        "bridge",
        "vlan",
        "vpn_public_address",
        "vpn_public_port",
        "vpn_private_address",
        "dhcp_start",
        "project_id",
        "host",
        "bridge_interface",
        "multi_host",
        "priority",
        "rxtx_base",
        "mtu",
        "dhcp_server",
        "enable_dhcp",
        "share_address",
    ];
    let mut v = json!({"id": n.id, "label": n.name});
    let admin = if nova.caller.is_admin() { &ADMIN_FIELDS[..] } else { &[] };
    for f in FIELDS.iter().chain(admin) {
        v[*f] = Value::Null;
    }
    v
}

pub fn networks(w: &World, nova: &Nova) -> Value {
    let rows: Vec<Value> = w
        .network
        .networks
        .values()
        .filter(|n| network_visible(&nova.caller, n))
        .map(|n| network_json(nova, n))
        .collect();
    json!({"networks": rows})
}

pub fn network(w: &World, nova: &Nova, id: &str) -> Result<Value, ApiError> {
    let n = w
        .network
        .networks
        .get(id)
        .filter(|n| network_visible(&nova.caller, n))
        .ok_or_else(|| ApiError::not_found("Network not found"))?;
    Ok(json!({"network": network_json(nova, n)}))
}
