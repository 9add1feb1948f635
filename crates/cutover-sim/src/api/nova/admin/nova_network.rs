/*!
The nova-network APIs, only below microversion 2.36 (404 from there, as
Nova removed them): floating IP pools, a project's floating IPs, the admin
`os-floating-ips-bulk` and the fixed networks (`os-networks`). In a Neutron
region Nova proxies the first three to Neutron ([`super::neutron_proxy`])
and answers the bulk API 410, as it was removed with nova-network.
*/

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Value};

use super::common::{admin, empty, requires, Id};
use super::neutron_proxy;
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{floating_range, FixedNetwork, Networking, NovaFloatingIp};
use crate::model::network::{ipv4, parse_cidr};
use crate::model::ComputeRegion;
use crate::model::World;
use crate::sim::Sim;

/// Nova's `default_floating_pool` and `public_interface` options.
const DEFAULT_POOL: &str = "nova";
const DEFAULT_INTERFACE: &str = "eth0";

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/os-floating-ip-pools", get(pools))
        .route("/os-floating-ips", get(list).post(allocate))
        .route("/os-floating-ips/{id}", get(show).delete(deallocate))
        .route("/os-floating-ips-bulk", get(bulk_list).post(bulk_create))
        .route("/os-floating-ips-bulk/delete", put(bulk_delete))
        .route("/os-floating-ips-bulk/{id}", get(bulk_list_host))
        .route("/os-networks", get(networks))
        .route("/os-networks/{id}", get(network))
}

/// Whether the region answers these APIs from nova-network's own tables
/// (`true`) or by proxying to Neutron; 404 from 2.36 either way.
fn own_tables(w: &World, nova: &Nova) -> Result<bool, ApiError> {
    requires(!nova.at_least(36))?;
    Ok(region(w, nova)?.networking == Networking::NovaNetwork)
}

/// The nova-network region of an `os-floating-ips-bulk` request. A Neutron
/// Nova answers 410 at any version (the API was removed in Rocky); an old
/// nova-network Nova 404 from 2.36.
fn bulk_region<'w>(w: &'w World, nova: &Nova) -> Result<&'w ComputeRegion, ApiError> {
    let r = region(w, nova)?;
    if r.networking == Networking::Neutron {
        return Err(ApiError::new(
            StatusCode::GONE,
            "This resource is no longer available.  No forwarding address is given.",
        ));
    }
    requires(!nova.at_least(36))?;
    admin(nova, "os_compute_api:os-floating-ips-bulk")?;
    Ok(r)
}

fn floating_json(f: &NovaFloatingIp) -> Value {
    json!({"id": f.id, "ip": f.address, "pool": f.pool, "fixed_ip": f.fixed_ip, "instance_id": f.instance_id})
}

async fn pools(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    let w = sim.world();
    if !own_tables(&w, &nova)? {
        return Ok(ok(neutron_proxy::pools(&w)));
    }
    let r = region(&w, &nova)?;
    let mut names: Vec<&str> = r.floating_ips.values().map(|f| f.pool.as_str()).collect();
    names.sort();
    names.dedup();
    let rows: Vec<Value> = names.into_iter().map(|n| json!({"name": n})).collect();
    Ok(ok(json!({"floating_ip_pools": rows})))
}

async fn list(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    let project = nova.caller.project()?.to_string();
    let w = sim.world();
    if !own_tables(&w, &nova)? {
        return Ok(ok(neutron_proxy::list(&w, &project)));
    }
    let rows: Vec<Value> = region(&w, &nova)?
        .floating_ips
        .values()
        .filter(|f| f.project_id.as_deref() == Some(project.as_str()))
        .map(floating_json)
        .collect();
    Ok(ok(json!({"floating_ips": rows})))
}

/// A floating IP the caller may see by id: nova-network's `floating_ip_get`
/// is `project_only`, so a member sees its project's (allocated) addresses
/// and an admin any. A non-integer id is 400 (`InvalidID`).
fn visible_key(r: &ComputeRegion, nova: &Nova, id: &str) -> Result<u64, ApiError> {
    let n = id.parse::<u64>().map_err(|_| ApiError::bad_request(format!("Invalid ID received {id}.")))?;
    r.floating_ips
        .get(&n)
        .filter(|f| nova.caller.is_admin() || (f.project_id.is_some() && f.project_id == nova.caller.project_id))
        .map(|f| f.id)
        .ok_or_else(|| ApiError::not_found(format!("Floating IP not found for ID {id}")))
}

async fn show(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    nova.caller.project()?;
    let w = sim.world();
    if !own_tables(&w, &nova)? {
        return neutron_proxy::show(&w, &nova, &id).map(ok);
    }
    let r = region(&w, &nova)?;
    let key = visible_key(r, &nova, &id)?;
    Ok(ok(json!({"floating_ip": floating_json(&r.floating_ips[&key])})))
}

/// The optional `{"pool": name}` of an allocation; `None` for no body.
fn requested_pool(raw: &[u8]) -> Result<Option<String>, ApiError> {
    let body: Value = if raw.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(raw).map_err(|e| ApiError::bad_request(format!("Malformed request body: {e}")))?
    };
    match body.get("pool") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(p)) => Ok(Some(p.clone())),
        Some(_) => Err(ApiError::bad_request("Invalid input for field/attribute pool.")),
    }
}

/// Allocates a free address of the pool to the token's project: the
/// unallocated row that `floating_ip_allocate_address`'s unordered
/// `first()` returns, which on MySQL's (pool, deleted, fixed_ip_id,
/// project_id) index is the lowest id, i.e. the earliest created.
async fn allocate(State(sim): State<Sim>, nova: Nova, raw: axum::body::Bytes) -> ApiResult<Response> {
    let project = nova.caller.project()?.to_string();
    let requested = requested_pool(&raw)?;
    let mut w = sim.world();
    if !own_tables(&w, &nova)? {
        return neutron_proxy::allocate(&mut w, &project, requested.as_deref()).map(ok);
    }
    let (exhausted, over_quota) = neutron_proxy::allocation_errors(requested.as_deref());
    let pool = requested.unwrap_or_else(|| DEFAULT_POOL.to_string());
    let r = region_mut(&mut w, &nova)?;
    if !r.floating_ips.values().any(|f| f.pool == pool) {
        return Err(ApiError::not_found("Floating IP pool not found."));
    }
    let quota = r.effective_quota(&project).floating_ips;
    let used = r.floating_ips.values().filter(|f| f.project_id.as_deref() == Some(project.as_str())).count() as i64;
    if quota >= 0 && used >= quota {
        return Err(over_quota);
    }
    let f = r
        .floating_ips
        .values_mut()
        .find(|f| f.pool == pool && f.project_id.is_none() && f.fixed_ip.is_none())
        .ok_or(exhausted)?;
    f.project_id = Some(project);
    Ok(ok(json!({"floating_ip": floating_json(f)})))
}

async fn deallocate(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    nova.caller.project()?;
    let mut w = sim.world();
    if !own_tables(&w, &nova)? {
        return neutron_proxy::release(&mut w, &nova, &id).map(|()| empty(StatusCode::ACCEPTED));
    }
    let r = region_mut(&mut w, &nova)?;
    let key = visible_key(r, &nova, &id)?;
    r.disassociate_floating_ip(key);
    if let Some(f) = r.floating_ips.get_mut(&key) {
        f.project_id = None;
    }
    Ok(empty(StatusCode::ACCEPTED))
}

fn bulk_json(r: &ComputeRegion, host: Option<&str>) -> Value {
    let rows: Vec<Value> = r
        .floating_ips
        .values()
        .filter(|f| {
            host.is_none_or(|h| {
                f.instance_id.as_ref().and_then(|i| r.servers.get(i)).and_then(|s| s.host.as_deref()) == Some(h)
            })
        })
        .map(|f| {
            json!({"address": f.address, "fixed_ip": f.fixed_ip, "instance_uuid": f.instance_id,
                   "interface": f.interface, "pool": f.pool, "project_id": f.project_id})
        })
        .collect();
    json!({"floating_ip_info": rows})
}

async fn bulk_list(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    let w = sim.world();
    Ok(ok(bulk_json(bulk_region(&w, &nova)?, None)))
}

/// A host's floating IPs (here: those of the servers on it); Nova's
/// `FloatingIpNotFoundForHost` 404 when there are none.
async fn bulk_list_host(State(sim): State<Sim>, nova: Nova, Id(host): Id) -> ApiResult<Response> {
    let w = sim.world();
    let info = bulk_json(bulk_region(&w, &nova)?, Some(&host));
    if info["floating_ip_info"].as_array().is_none_or(|a| a.is_empty()) {
        return Err(ApiError::not_found(format!("Floating IP not found for host {host}.")));
    }
    Ok(ok(info))
}

fn text(v: Option<&Value>, key: &str, default: &str) -> Result<String, ApiError> {
    match v {
        None => Ok(default.to_string()),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 255 => Ok(s.clone()),
        Some(_) => Err(ApiError::bad_request(format!("Invalid input for field/attribute {key}."))),
    }
}

async fn bulk_create(State(sim): State<Sim>, nova: Nova, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let mut w = sim.world();
    bulk_region(&w, &nova)?;
    let spec = body
        .get("floating_ips_bulk_create")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'floating_ips_bulk_create' is a required property"))?;
    let ip_range = spec
        .get("ip_range")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("'ip_range' is a required property"))?
        .to_string();
    let pool = text(spec.get("pool"), "pool", DEFAULT_POOL)?;
    let interface = text(spec.get("interface"), "interface", DEFAULT_INTERFACE)?;
    let addresses =
        floating_range(&ip_range).map_err(|e| ApiError::bad_request(format!("Invalid input received: {e}")))?;
    let r = region_mut(&mut w, &nova)?;
    r.add_floating_ips(&addresses, &pool, &interface)
        .map_err(|a| ApiError::conflict(format!("Floating IP {a} already exists.")))?;
    Ok(ok(json!({"floating_ips_bulk_create": {"ip_range": ip_range, "pool": pool, "interface": interface}})))
}

async fn bulk_delete(State(sim): State<Sim>, nova: Nova, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let mut w = sim.world();
    bulk_region(&w, &nova)?;
    let ip_range = body
        .get("ip_range")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("'ip_range' is a required property"))?
        .to_string();
    let addresses =
        floating_range(&ip_range).map_err(|e| ApiError::bad_request(format!("Invalid input received: {e}")))?;
    let r = region_mut(&mut w, &nova)?;
    let keys: Vec<u64> = r.floating_ips.values().filter(|f| addresses.contains(&f.address)).map(|f| f.id).collect();
    for key in keys {
        r.disassociate_floating_ip(key);
        r.floating_ips.remove(&key);
    }
    Ok(ok(json!({"floating_ips_bulk_delete": ip_range})))
}

/// A fixed network; admins also see the fields Nova keeps for them.
fn network_json(nova: &Nova, n: &FixedNetwork) -> Value {
    let (first, last, len) = parse_cidr(&n.cidr).unwrap_or((0, 0, 0));
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let mut v = json!({
        "id": n.id, "label": n.label, "cidr": n.cidr, "netmask": ipv4(mask), "gateway": n.gateway,
        "broadcast": ipv4(last), "dns1": null, "dns2": null, "cidr_v6": null, "gateway_v6": null, "netmask_v6": null,
    });
    if nova.caller.is_admin() {
        let extra = json!({
            "project_id": n.project_id, "bridge": "br100", "bridge_interface": "eth0", "vlan": null,
            "dhcp_start": ipv4(first + 2), "dhcp_server": n.gateway, "enable_dhcp": true, "multi_host": false,
            "injected": false, "host": null, "mtu": null, "priority": null, "rxtx_base": null,
            "share_address": false, "vpn_public_address": null, "vpn_public_port": null,
            "vpn_private_address": null, "created_at": null, "updated_at": null, "deleted_at": null, "deleted": false,
        });
        if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
            o.extend(e);
        }
    }
    v
}

/// Networks a caller sees: all for admins, else shared ones and the project's.
fn visible(nova: &Nova, n: &FixedNetwork) -> bool {
    nova.caller.is_admin() || n.project_id.is_none() || n.project_id == nova.caller.project_id
}

async fn networks(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    let w = sim.world();
    if !own_tables(&w, &nova)? {
        return Ok(ok(neutron_proxy::networks(&w, &nova)));
    }
    let rows: Vec<Value> = region(&w, &nova)?
        .fixed_networks
        .values()
        .filter(|n| visible(&nova, n))
        .map(|n| network_json(&nova, n))
        .collect();
    Ok(ok(json!({"networks": rows})))
}

async fn network(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    let w = sim.world();
    if !own_tables(&w, &nova)? {
        return neutron_proxy::network(&w, &nova, &id).map(ok);
    }
    let n = region(&w, &nova)?
        .fixed_networks
        .get(&id)
        .filter(|n| visible(&nova, n))
        .ok_or_else(|| ApiError::not_found("Network could not be found."))?;
    Ok(ok(json!({"network": network_json(&nova, n)})))
}
