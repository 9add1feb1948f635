/*!
`/v2.0/subnets`: IPv4 subnets with gateway and allocation pools. Creating,
changing and deleting a subnet is for admins and the network's owner;
members also see the subnets of shared networks.
*/

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::common::{bad_request, creation_tags, denied, invalid_input, no_content, one, owns, set, standard_attrs};
use super::common::{missing, Attrs, ListQuery};
use super::networks;
use crate::api::common::{reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::network::{ipv4, ipv4_num, parse_cidr, AllocationPool, NetworkStore, Subnet};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/subnets", get(list).post(create)).route("/subnets/{id}", get(show).put(update).delete(delete))
}

const FILTERS: &[&str] = &[
    "id",
    "name",
    "network_id",
    "project_id",
    "tenant_id",
    "ip_version",
    "cidr",
    "gateway_ip",
    "enable_dhcp",
    "description",
    "revision_number",
    "subnetpool_id",
    "ipv6_ra_mode",
    "ipv6_address_mode",
];

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Subnet {id} could not be found.")).with_type("SubnetNotFound")
}

/// `get_subnet`: admin, owner, or a subnet of a shared network.
fn visible(store: &NetworkStore, caller: &Caller, s: &Subnet) -> bool {
    owns(caller, &s.project_id) || store.networks.get(&s.network_id).is_some_and(|n| n.shared)
}

pub fn find<'s>(store: &'s NetworkStore, caller: &Caller, id: &str) -> ApiResult<&'s Subnet> {
    store.subnets.get(id).filter(|s| visible(store, caller, s)).ok_or_else(|| not_found(id))
}

/// Admins and the owner of the subnet's network may change it
/// (`rule:admin_or_network_owner`).
fn require_net_owner(store: &NetworkStore, caller: &Caller, network_id: &str, action: &str) -> ApiResult<()> {
    let owner = store.networks.get(network_id).map(|n| n.project_id.as_str()).unwrap_or_default();
    if owns(caller, owner) {
        Ok(())
    } else {
        Err(denied(action, None))
    }
}

fn render(store: &NetworkStore, s: &Subnet) -> Value {
    let mut v = json!({
        "id": s.id, "name": s.name, "network_id": s.network_id, "ip_version": s.ip_version, "cidr": s.cidr,
        "gateway_ip": s.gateway_ip, "allocation_pools": s.allocation_pools, "host_routes": [],
        "dns_nameservers": s.dns_nameservers, "enable_dhcp": s.enable_dhcp, "ipv6_ra_mode": null,
        "ipv6_address_mode": null, "subnetpool_id": null, "service_types": [], "description": s.description,
        // subnet-external-network: the network's router:external, read-only.
        "router:external": store.networks.get(&s.network_id).is_some_and(|n| n.external),
    });
    let obj = v.as_object_mut().expect("object literal");
    standard_attrs(obj, &s.project_id, &s.created_at, &s.updated_at, s.revision_number, store.tags_of(&s.id));
    v
}

async fn list(State(sim): State<Sim>, caller: Caller, Query(q): Query<Vec<(String, String)>>) -> ApiResult<Response> {
    let world = sim.world();
    let store = &world.network;
    let items = store.subnets.values().filter(|s| visible(store, &caller, s)).map(|s| render(store, s)).collect();
    ListQuery::new(q).reply(&world.base_url, "subnets", items, FILTERS, not_found)
}

async fn show(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let world = sim.world();
    let s = find(&world.network, &caller, &id)?;
    Ok(one(StatusCode::OK, "subnet", render(&world.network, s), &ListQuery::new(q)))
}

fn range_text(lo: u32, hi: u32) -> String {
    format!("{}-{}", ipv4(lo), ipv4(hi))
}

/// Parses and checks `allocation_pools` against the CIDR and each other.
fn parse_pools(attrs: &Attrs, cidr: &str) -> ApiResult<Option<Vec<(u32, u32)>>> {
    let Some(raw) = attrs.value("allocation_pools") else { return Ok(None) };
    let (first, last, _) = parse_cidr(cidr).ok_or_else(|| bad_request("Invalid CIDR"))?;
    let items = raw.as_array().ok_or_else(|| bad_request("Invalid input for allocation_pools. Reason: not a list."))?;
    let mut pools = Vec::new();
    for p in items {
        let bound = |k: &str| p[k].as_str().and_then(ipv4_num);
        let (Some(lo), Some(hi)) = (bound("start"), bound("end")) else {
            return Err(bad_request(format!("Invalid input for allocation_pools. Reason: '{p}' is not a valid pool.")));
        };
        if lo > hi {
            return Err(bad_request(format!("The allocation pool {} is not valid.", range_text(lo, hi)))
                .with_type("InvalidAllocationPool"));
        }
        if lo <= first || hi >= last {
            return Err(bad_request(format!(
                "The allocation pool {} spans beyond the subnet cidr {cidr}.",
                range_text(lo, hi)
            ))
            .with_type("OutOfBoundsAllocationPool"));
        }
        if let Some((a, b)) = pools.iter().find(|(a, b)| lo <= *b && *a <= hi) {
            return Err(bad_request(format!(
                "Found overlapping allocation pools: {} {} for subnet {cidr}.",
                range_text(*a, *b),
                range_text(lo, hi)
            ))
            .with_type("OverlappingAllocationPools"));
        }
        pools.push((lo, hi));
    }
    Ok(Some(pools))
}

/// The pools to store: the requested ones (the gateway must stay out of
/// them), else the CIDR around the gateway.
fn pools_for(requested: Option<Vec<(u32, u32)>>, cidr: &str, gateway: Option<&str>) -> ApiResult<Vec<AllocationPool>> {
    let Some(pools) = requested else { return Ok(Subnet::default_pool(cidr, gateway)) };
    if let Some(gw) = gateway.and_then(ipv4_num) {
        if let Some((lo, hi)) = pools.iter().find(|(lo, hi)| gw >= *lo && gw <= *hi) {
            return Err(ApiError::conflict(format!(
                "Gateway ip {} conflicts with allocation pool {}",
                ipv4(gw),
                range_text(*lo, *hi)
            ))
            .with_type("GatewayConflictWithAllocationPools"));
        }
    }
    Ok(pools.into_iter().map(|(lo, hi)| AllocationPool { start: ipv4(lo), end: ipv4(hi) }).collect())
}

fn parse_gateway(attrs: &Attrs) -> ApiResult<Option<Option<String>>> {
    let gw = attrs.nullable_str("gateway_ip")?;
    if let Some(Some(g)) = &gw {
        if ipv4_num(g).is_none() {
            return Err(bad_request(format!("Invalid input for gateway_ip. Reason: '{g}' is not a valid IP address.")));
        }
    }
    Ok(gw)
}

const CREATE_ATTRS: &[&str] = &[
    "name",
    "network_id",
    "ip_version",
    "cidr",
    "gateway_ip",
    "allocation_pools",
    "enable_dhcp",
    "dns_nameservers",
    "description",
    "project_id",
    "tenant_id",
    "tags",
];

async fn create(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "subnet", CREATE_ATTRS)?;
    let project_id = attrs.owner(&caller)?;
    let network_id = attrs.required_str("network_id")?;
    match attrs.u32("ip_version")? {
        Some(4) => {}
        Some(6) => {
            return Err(bad_request("Invalid input for ip_version. Reason: the simulator serves IPv4 subnets only."))
        }
        Some(v) => return Err(bad_request(format!("Invalid input for ip_version. Reason: {v} is not in [4, 6]."))),
        None => return Err(missing("ip_version")),
    }
    let cidr =
        attrs.str("cidr")?.ok_or_else(|| bad_request("a cidr must be specified in the absence of a subnet pool"))?;
    let (first, _, len) = parse_cidr(&cidr)
        .ok_or_else(|| bad_request(format!("Invalid input for cidr. Reason: '{cidr}' is not a valid IP subnet.")))?;
    let canonical = format!("{}/{len}", ipv4(first));
    if canonical != cidr {
        return Err(bad_request(format!(
            "Invalid input for cidr. Reason: '{cidr}' isn't a recognized IP subnet cidr, '{canonical}' is recommended."
        )));
    }
    let gateway = parse_gateway(&attrs)?.unwrap_or_else(|| Some(ipv4(first + 1)));
    let pools = pools_for(parse_pools(&attrs, &cidr)?, &cidr, gateway.as_deref())?;
    let tags = creation_tags(&attrs)?;
    let mut world = sim.world();
    let net = networks::find(&world.network, &caller, &network_id)?;
    if !caller.is_admin() && !net.shared && net.project_id != project_id {
        return Err(ApiError::forbidden(format!("Tenant {project_id} not allowed to create subnet on this network"))
            .with_type("HTTPForbidden"));
    }
    require_net_owner(&world.network, &caller, &network_id, "create_subnet")?;
    let (lo, hi, _) = parse_cidr(&cidr).unwrap_or_default();
    let overlapping = world
        .network
        .subnets_of(&network_id)
        .into_iter()
        .any(|s| parse_cidr(&s.cidr).is_some_and(|(a, b, _)| a <= hi && lo <= b));
    if overlapping {
        return Err(invalid_input(format!(
            "Requested subnet with cidr: {cidr} for network: {network_id} overlaps with another subnet"
        )));
    }
    let now = world.now;
    let subnet = Subnet {
        id: world.new_uuid(),
        name: attrs.str("name")?.unwrap_or_default(),
        network_id,
        project_id,
        cidr,
        ip_version: 4,
        gateway_ip: gateway,
        allocation_pools: pools,
        enable_dhcp: attrs.bool("enable_dhcp")?.unwrap_or(true),
        dns_nameservers: attrs.str_list("dns_nameservers")?.unwrap_or_default(),
        description: attrs.description()?.unwrap_or_default(),
        created_at: now,
        updated_at: now,
        revision_number: 0,
    };
    if let Some(t) = tags {
        world.network.tags.insert(subnet.id.clone(), t);
    }
    let body = render(&world.network, &subnet);
    world.network.subnets.insert(subnet.id.clone(), subnet);
    Ok(reply(StatusCode::CREATED, json!({ "subnet": body })))
}

const UPDATE_ATTRS: &[&str] =
    &["name", "gateway_ip", "allocation_pools", "enable_dhcp", "dns_nameservers", "description"];

async fn update(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "subnet", UPDATE_ATTRS)?;
    let mut world = sim.world();
    let mut s = find(&world.network, &caller, &id)?.clone();
    require_net_owner(&world.network, &caller, &s.network_id, "update_subnet")?;
    if let Some(gw) = parse_gateway(&attrs)? {
        s.gateway_ip = gw;
    }
    let requested = parse_pools(&attrs, &s.cidr)?;
    if requested.is_some() || attrs.has("gateway_ip") {
        let current =
            s.allocation_pools.iter().filter_map(|p| Some((ipv4_num(&p.start)?, ipv4_num(&p.end)?))).collect();
        s.allocation_pools = pools_for(Some(requested.unwrap_or(current)), &s.cidr, s.gateway_ip.as_deref())?;
    }
    set(&mut s.name, attrs.str("name")?);
    set(&mut s.description, attrs.description()?);
    set(&mut s.enable_dhcp, attrs.bool("enable_dhcp")?);
    set(&mut s.dns_nameservers, attrs.str_list("dns_nameservers")?);
    s.updated_at = world.now;
    s.revision_number += 1;
    let body = render(&world.network, &s);
    world.network.subnets.insert(id, s);
    Ok(reply(StatusCode::OK, json!({ "subnet": body })))
}

async fn delete(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let mut world = sim.world();
    let s = find(&world.network, &caller, &id)?;
    require_net_owner(&world.network, &caller, &s.network_id.clone(), "delete_subnet")?;
    if world.network.subnet_in_use(&id) {
        return Err(ApiError::conflict(format!(
            "Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet."
        ))
        .with_type("SubnetInUse"));
    }
    world.network.subnets.remove(&id);
    world.network.alloc_cursor.remove(&id);
    world.network.tags.remove(&id);
    Ok(no_content())
}
