/*!
`/v2.0/security-groups` and `/v2.0/security-group-rules`. Every project
has a `default` group, created on its first request as Neutron does; it
cannot be renamed, nor deleted by members, and groups in use stay.
*/

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::common::{
    bad_request, creation_tags, missing, no_content, one, owns, set, standard_attrs, Attrs, ListQuery,
};
use crate::api::common::{reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::network::{ipv4, parse_cidr, NetworkStore, SecurityGroup, SecurityGroupRule};
use crate::model::World;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/security-groups", get(list).post(create))
        .route("/security-groups/{id}", get(show).put(update).delete(delete))
        .route("/security-group-rules", get(list_rules).post(create_rule))
        .route("/security-group-rules/{id}", get(show_rule).delete(delete_rule))
}

const FILTERS: &[&str] =
    &["id", "name", "description", "project_id", "tenant_id", "stateful", "shared", "revision_number"];

const RULE_FILTERS: &[&str] = &[
    "id",
    "security_group_id",
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "description",
    "project_id",
    "tenant_id",
];

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Security group {id} does not exist")).with_type("SecurityGroupNotFound")
}

fn rule_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Security group rule {id} does not exist")).with_type("SecurityGroupRuleNotFound")
}

pub fn find<'s>(store: &'s NetworkStore, caller: &Caller, id: &str) -> ApiResult<&'s SecurityGroup> {
    store.security_groups.get(id).filter(|g| owns(caller, &g.project_id)).ok_or_else(|| not_found(id))
}

/// Creates the caller's `default` group if it has none yet.
fn ensure_default(world: &mut World, caller: &Caller) {
    if let Some(p) = &caller.project_id {
        world.ensure_default_security_group(p);
    }
}

fn render_rule(g: &SecurityGroup, r: &SecurityGroupRule) -> Value {
    let normalized =
        r.remote_ip_prefix.as_deref().and_then(parse_cidr).map(|(first, _, len)| format!("{}/{len}", ipv4(first)));
    let mut v = json!({
        "id": r.id, "security_group_id": r.security_group_id, "direction": r.direction, "ethertype": r.ethertype,
        "protocol": r.protocol, "port_range_min": r.port_range_min, "port_range_max": r.port_range_max,
        "remote_ip_prefix": r.remote_ip_prefix, "remote_group_id": r.remote_group_id,
        "remote_address_group_id": null, "normalized_cidr": normalized, "description": r.description,
        "belongs_to_default_sg": g.name == "default",
    });
    let obj = v.as_object_mut().expect("object literal");
    standard_attrs(obj, &r.project_id, &g.created_at, &g.created_at, 0, Vec::new());
    obj.remove("tags");
    v
}

fn render(store: &NetworkStore, g: &SecurityGroup) -> Value {
    let rules: Vec<Value> = g.rules.iter().map(|r| render_rule(g, r)).collect();
    let mut v = json!({
        "id": g.id, "name": g.name, "description": g.description, "stateful": g.stateful, "shared": false,
        "security_group_rules": rules,
    });
    let obj = v.as_object_mut().expect("object literal");
    standard_attrs(obj, &g.project_id, &g.created_at, &g.updated_at, g.revision_number, store.tags_of(&g.id));
    v
}

async fn list(State(sim): State<Sim>, caller: Caller, Query(q): Query<Vec<(String, String)>>) -> ApiResult<Response> {
    let mut world = sim.world();
    ensure_default(&mut world, &caller);
    let store = &world.network;
    let items =
        store.security_groups.values().filter(|g| owns(&caller, &g.project_id)).map(|g| render(store, g)).collect();
    ListQuery::new(q).reply(&world.base_url, "security_groups", items, FILTERS, not_found)
}

async fn show(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let world = sim.world();
    let g = find(&world.network, &caller, &id)?;
    Ok(one(StatusCode::OK, "security_group", render(&world.network, g), &ListQuery::new(q)))
}

fn default_exists() -> ApiError {
    ApiError::conflict("Default security group already exists.").with_type("SecurityGroupDefaultAlreadyExists")
}

async fn create(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let allowed = ["name", "description", "stateful", "project_id", "tenant_id", "tags"];
    let attrs = Attrs::from_body(body, "security_group", &allowed)?;
    let project_id = attrs.owner(&caller)?;
    let name = attrs.str("name")?.unwrap_or_default();
    let tags = creation_tags(&attrs)?;
    let mut world = sim.world();
    world.ensure_default_security_group(&project_id);
    if name == "default" {
        return Err(default_exists());
    }
    let description = attrs.description()?.unwrap_or_default();
    let now = world.now;
    let mut group = SecurityGroup::new(now, || world.new_uuid(), &project_id, &name, &description);
    group.stateful = attrs.bool("stateful")?.unwrap_or(true);
    if let Some(t) = tags {
        world.network.tags.insert(group.id.clone(), t);
    }
    let body = render(&world.network, &group);
    world.network.security_groups.insert(group.id.clone(), group);
    Ok(reply(StatusCode::CREATED, json!({ "security_group": body })))
}

async fn update(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let attrs = Attrs::from_body(body, "security_group", &["name", "description", "stateful"])?;
    let mut world = sim.world();
    let mut g = find(&world.network, &caller, &id)?.clone();
    if let Some(name) = attrs.str("name")? {
        if g.name == "default" && name != "default" {
            return Err(ApiError::conflict("Updating default security group not allowed.")
                .with_type("SecurityGroupCannotUpdateDefault"));
        }
        if name == "default" && g.name != "default" {
            return Err(default_exists());
        }
        g.name = name;
    }
    set(&mut g.description, attrs.description()?);
    set(&mut g.stateful, attrs.bool("stateful")?);
    g.updated_at = world.now;
    g.revision_number += 1;
    let body = render(&world.network, &g);
    world.network.security_groups.insert(id, g);
    Ok(reply(StatusCode::OK, json!({ "security_group": body })))
}

async fn delete(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let mut world = sim.world();
    let g = find(&world.network, &caller, &id)?;
    if g.name == "default" && !caller.is_admin() {
        return Err(ApiError::conflict("Insufficient rights for removing default security group.")
            .with_type("SecurityGroupCannotRemoveDefault"));
    }
    if world.network.ports.values().any(|p| p.security_groups.contains(&id)) {
        return Err(ApiError::conflict(format!("Security Group {id} in use.")).with_type("SecurityGroupInUse"));
    }
    let store = &mut world.network;
    store.security_groups.remove(&id);
    store.tags.remove(&id);
    // Rules of other groups that referenced this one go with it.
    for other in store.security_groups.values_mut() {
        other.rules.retain(|r| r.remote_group_id.as_deref() != Some(id.as_str()));
    }
    Ok(no_content())
}

/// Every rule the caller may see, with its group.
fn visible_rules<'s>(store: &'s NetworkStore, caller: &Caller) -> Vec<(&'s SecurityGroup, &'s SecurityGroupRule)> {
    store
        .security_groups
        .values()
        .filter(|g| owns(caller, &g.project_id))
        .flat_map(|g| g.rules.iter().map(move |r| (g, r)))
        .collect()
}

async fn list_rules(
    State(sim): State<Sim>,
    caller: Caller,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let mut world = sim.world();
    ensure_default(&mut world, &caller);
    let items = visible_rules(&world.network, &caller).into_iter().map(|(g, r)| render_rule(g, r)).collect();
    ListQuery::new(q).reply(&world.base_url, "security_group_rules", items, RULE_FILTERS, rule_not_found)
}

async fn show_rule(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let world = sim.world();
    let (g, r) = visible_rules(&world.network, &caller)
        .into_iter()
        .find(|(_, r)| r.id == id)
        .ok_or_else(|| rule_not_found(&id))?;
    Ok(one(StatusCode::OK, "security_group_rule", render_rule(g, r), &ListQuery::new(q)))
}

const PROTOCOLS: [&str; 16] = [
    "ah",
    "dccp",
    "egp",
    "esp",
    "gre",
    "icmp",
    "icmpv6",
    "igmp",
    "ipv6-icmp",
    "ipip",
    "ospf",
    "pgm",
    "rsvp",
    "sctp",
    "tcp",
    "udp",
];

/// A rule's protocol: a known name or a number 0-255 (`any` means none).
fn parse_protocol(p: Option<String>) -> ApiResult<Option<String>> {
    match p {
        None => Ok(None),
        Some(p) if p.eq_ignore_ascii_case("any") => Ok(None),
        Some(p) if PROTOCOLS.contains(&p.to_ascii_lowercase().as_str()) => Ok(Some(p.to_ascii_lowercase())),
        Some(p) if p.parse::<u8>().is_ok() => Ok(Some(p)),
        Some(p) => Err(bad_request(format!(
            "Security group rule protocol {p} not supported. Only protocol values {PROTOCOLS:?} and integer representations [0 to 255] are supported."
        ))
        .with_type("SecurityGroupRuleInvalidProtocol")),
    }
}

fn one_of(attrs: &Attrs, key: &str, allowed: &[&str], default: Option<&str>) -> ApiResult<String> {
    match attrs.str(key)?.or(default.map(str::to_string)) {
        Some(v) if allowed.contains(&v.as_str()) => Ok(v),
        Some(v) => Err(bad_request(format!("Invalid input for {key}. Reason: '{v}' is not in {allowed:?}."))),
        None => Err(missing(key)),
    }
}

/// `port_range_min` and `port_range_max`: ports, given only with a
/// protocol, in order for the protocols that have ports.
fn port_range(attrs: &Attrs, protocol: Option<&str>) -> ApiResult<(Option<u16>, Option<u16>)> {
    let (min, max) = (attrs.u32("port_range_min")?, attrs.u32("port_range_max")?);
    let to_port =
        |n: Option<u32>| n.map(|n| u16::try_from(n).map_err(|_| bad_request(format!("Invalid port {n}")))).transpose();
    let (min, max) = (to_port(min)?, to_port(max)?);
    if (min.is_some() || max.is_some()) && protocol.is_none() {
        return Err(bad_request("Must also specify protocol if port range is given.")
            .with_type("SecurityGroupProtocolRequiredWithPorts"));
    }
    if matches!(protocol, Some("tcp" | "udp" | "sctp" | "dccp")) && min.zip(max).is_some_and(|(a, b)| a > b) {
        return Err(bad_request("For TCP/UDP protocols, port_range_min must be <= port_range_max")
            .with_type("SecurityGroupInvalidPortRange"));
    }
    Ok((min, max))
}

/// `remote_ip_prefix` or `remote_group_id`, not both; an IPv4 prefix must
/// be a subnet or an address.
fn remote(attrs: &Attrs, ethertype: &str) -> ApiResult<(Option<String>, Option<String>)> {
    let prefix = attrs.str("remote_ip_prefix")?;
    let remote_group = attrs.str("remote_group_id")?;
    if prefix.is_some() && remote_group.is_some() {
        return Err(bad_request("Only remote_ip_prefix or remote_group_id may be provided.")
            .with_type("SecurityGroupRemoteGroupAndRemoteIpPrefix"));
    }
    if let Some(p) = &prefix {
        if ethertype == "IPv4" && parse_cidr(p).or_else(|| parse_cidr(&format!("{p}/32"))).is_none() {
            return Err(bad_request(format!(
                "Invalid input for remote_ip_prefix. Reason: '{p}' is not a valid IP subnet."
            )));
        }
    }
    Ok((prefix, remote_group))
}

/// Whether two rules of a group are the same rule for Neutron (adding it
/// again is a 409): same direction, ethertype, protocol, ports and remote.
fn same_rule(a: &SecurityGroupRule, b: &SecurityGroupRule) -> bool {
    a.direction == b.direction
        && a.ethertype == b.ethertype
        && a.protocol == b.protocol
        && a.port_range_min == b.port_range_min
        && a.port_range_max == b.port_range_max
        && a.remote_ip_prefix == b.remote_ip_prefix
        && a.remote_group_id == b.remote_group_id
}

async fn create_rule(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    // The creatable attributes: every filter but `id`.
    let attrs = Attrs::from_body(body, "security_group_rule", &RULE_FILTERS[1..])?;
    let project_id = attrs.owner(&caller)?;
    let group_id = attrs.required_str("security_group_id")?;
    let direction = one_of(&attrs, "direction", &["ingress", "egress"], None)?;
    let ethertype = one_of(&attrs, "ethertype", &["IPv4", "IPv6"], Some("IPv4"))?;
    let protocol = parse_protocol(attrs.str("protocol")?)?;
    let (min, max) = port_range(&attrs, protocol.as_deref())?;
    let (prefix, remote_group) = remote(&attrs, &ethertype)?;
    let mut world = sim.world();
    find(&world.network, &caller, &group_id)?;
    if let Some(rg) = &remote_group {
        find(&world.network, &caller, rg)?;
    }
    let rule = SecurityGroupRule {
        id: world.new_uuid(),
        security_group_id: group_id.clone(),
        project_id,
        direction,
        ethertype,
        protocol,
        port_range_min: min,
        port_range_max: max,
        remote_ip_prefix: prefix,
        remote_group_id: remote_group,
        description: attrs.description()?.unwrap_or_default(),
    };
    let now = world.now;
    let group = world.network.security_groups.get_mut(&group_id).ok_or_else(|| not_found(&group_id))?;
    if let Some(existing) = group.rules.iter().find(|r| same_rule(r, &rule)) {
        return Err(ApiError::conflict(format!("Security group rule already exists. Rule id is {}.", existing.id))
            .with_type("SecurityGroupRuleExists"));
    }
    group.rules.push(rule.clone());
    group.updated_at = now;
    group.revision_number += 1;
    let body = render_rule(group, &rule);
    Ok(reply(StatusCode::CREATED, json!({ "security_group_rule": body })))
}

async fn delete_rule(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let mut world = sim.world();
    let group_id = visible_rules(&world.network, &caller)
        .into_iter()
        .find(|(_, r)| r.id == id)
        .map(|(g, _)| g.id.clone())
        .ok_or_else(|| rule_not_found(&id))?;
    if let Some(g) = world.network.security_groups.get_mut(&group_id) {
        g.rules.retain(|r| r.id != id);
        g.revision_number += 1;
    }
    Ok(no_content())
}
