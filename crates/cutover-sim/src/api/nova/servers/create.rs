/*!
`POST /servers`: validates the request as Nova's API does before anything is
built (schema by microversion, flavor, image or volumes, keypair of the
requesting user, networks, security groups, zone, group, quotas), records the
server in BUILD and hands it to [`super::boot`].
*/

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::boot::{self, BootPlan, NewVolume};
use super::networks::{self, NetworksArg};
use super::view::ViewCtx;
use crate::api::common::JsonBody;
use crate::api::nova::instance_actions;
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{BlockDevice, ComputeRegion, Flavor, Networking, Server};
use crate::model::World;
use crate::sim::Sim;

const SERVER_KEYS: [&str; 17] = [
    "name",
    "imageRef",
    "flavorRef",
    "adminPass",
    "metadata",
    "networks",
    "user_data",
    "availability_zone",
    "key_name",
    "security_groups",
    "config_drive",
    "block_device_mapping_v2",
    "min_count",
    "max_count",
    "return_reservation_id",
    "accessIPv4",
    "accessIPv6",
];

fn schema(field: &str, value: &Value, reason: &str) -> ApiError {
    ApiError::bad_request(format!("Invalid input for field/attribute {field}. Value: {value}. {reason}"))
}

/// The keys `server` may hold at this microversion.
fn allowed_key(nova: &Nova, key: &str) -> bool {
    SERVER_KEYS.contains(&key)
        || key == "OS-DCF:diskConfig"
        || (key == "personality" && !nova.at_least(57))
        || (key == "description" && nova.at_least(19))
        || (key == "tags" && nova.at_least(52))
        || (key == "trusted_image_certificates" && nova.at_least(63))
        || ((key == "host" || key == "hypervisor_hostname") && nova.at_least(74))
        || (key == "hostname" && nova.at_least(90))
}

fn string<'v>(o: &'v Map<String, Value>, key: &str) -> ApiResult<Option<&'v str>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(schema(key, v, &format!("{v} is not of type 'string'"))),
    }
}

/// Nova's `parameter_types.boolean`: JSON booleans and their string forms.
fn boolean(key: &str, v: &Value) -> ApiResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "y" | "t" => Ok(true),
            "false" | "0" | "no" | "off" | "n" | "f" | "" => Ok(false),
            _ => Err(schema(key, v, "is not a boolean")),
        },
        _ => Err(schema(key, v, "is not a boolean")),
    }
}

fn is_base64(s: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s.trim()).is_ok()
}

pub async fn create(State(sim): State<Sim>, nova: Nova, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let project = nova.caller.project()?.to_string();
    let mut w = sim.world();
    let (server, plan) = validate(&mut w, &nova, &project, &body)?;
    let id = server.id.clone();
    let groups = server.security_groups.clone();
    let r = region_mut(&mut w, &nova)?;
    if let Some(g) = server.server_group.as_ref().and_then(|g| r.server_groups.get_mut(g)) {
        g.members.push(id.clone());
    }
    r.insert_server(server);
    boot::start(&mut w, &nova.region, plan);
    instance_actions::record(&mut w, &nova, &id, "create", Some(boot::SCHEDULE_EVENT));
    let admin_pass = admin_password(&mut w);
    let r = region(&w, &nova)?;
    let ctx = ViewCtx::new(&w, r, &nova);
    let self_link = ctx.self_link(&id);
    let mut reply = json!({"server": {
        "id": id,
        "links": ctx.links("servers", &id),
        "OS-DCF:diskConfig": "MANUAL",
        "adminPass": admin_pass,
    }});
    if !groups.is_empty() {
        reply["server"]["security_groups"] = json!(groups.iter().map(|g| json!({"name": g})).collect::<Vec<_>>());
    }
    let mut resp = crate::api::common::reply(StatusCode::ACCEPTED, reply);
    if let Ok(v) = header::HeaderValue::from_str(&self_link) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp.into_response())
}

/// A random 12-character password, as Nova's `generate_password`.
fn admin_password(w: &mut World) -> String {
    use rand::Rng as _;
    const SYMBOLS: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    (0..12).map(|_| SYMBOLS[w.rng.random_range(0..SYMBOLS.len())] as char).collect()
}

/// Everything `POST /servers` checks before the server exists.
fn validate(w: &mut World, nova: &Nova, project: &str, body: &Value) -> ApiResult<(Server, BootPlan)> {
    let o = body.get("server").and_then(Value::as_object).ok_or_else(|| {
        ApiError::bad_request("Invalid input for field/attribute server. 'server' is a required property")
    })?;
    if let Some(k) = o.keys().find(|k| !allowed_key(nova, k)) {
        return Err(ApiError::bad_request(format!(
            "Invalid input for field/attribute server. Additional properties are not allowed ('{k}' was unexpected)"
        )));
    }
    let name = string(o, "name")?.ok_or_else(|| ApiError::bad_request("'name' is a required property"))?;
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(schema("name", &json!(name), "is not a valid name"));
    }
    let r = region(w, nova)?;
    let flavor = flavor(r, nova, o)?.clone();
    let root = root_disk(w, nova, project, o, &flavor)?;
    let r = region(w, nova)?;
    let key = key_pair(r, nova, o)?;
    let user_data = user_data(o)?;
    let quota = r.effective_quota(project);
    let metadata = string_map(o.get("metadata"))?;
    if quota.metadata_items >= 0 && metadata.len() as i64 > quota.metadata_items {
        return Err(ApiError::forbidden(format!("Maximum number of metadata items exceeds {}", quota.metadata_items)));
    }
    let personality = personality(o, quota.injected_files)?;
    let tags = tags(o)?;
    let description = description(o)?;
    let config_drive = o.get("config_drive").map(|v| boolean("config_drive", v)).transpose()?.unwrap_or(false);
    let (requested_az, forced_host, requested_host) = zone(r, nova, o)?;
    let group = server_group(r, nova, project, body)?;
    check_quota(r, project, &flavor)?;
    let networks_arg = NetworksArg::parse(nova, o.get("networks"))?;
    let sg_names = security_group_names(o)?;
    let networking = r.networking;
    let id = w.new_uuid();
    let resolved = networks::resolve(w, nova, project, networking, networks_arg)?;
    let sg_ids = match networking {
        Networking::Neutron => networks::security_group_ids(w, project, &sg_names)?,
        Networking::NovaNetwork => Vec::new(),
    };
    let now = w.now;
    let mut server =
        Server::new(id.clone(), name.to_string(), project.into(), nova.caller.user_id.clone(), flavor.id.clone(), now);
    (server.key_name, server.key_data) = key.unzip();
    server.user_data = user_data;
    server.metadata = metadata;
    server.tags = tags;
    server.description = description;
    server.requested_az = requested_az;
    server.security_groups = sg_names;
    server.server_group = group;
    server.config_drive = config_drive;
    server.personality = personality;
    server.access_ipv4 = string(o, "accessIPv4")?.unwrap_or_default().to_string();
    server.access_ipv6 = string(o, "accessIPv6")?.unwrap_or_default().to_string();
    server.image_id = root.image_id.clone();
    server.block_devices = reserve_volumes(w, &id, &root.existing, now)?;
    let plan = BootPlan {
        server_id: id,
        generation: server.generation,
        nics: resolved,
        security_group_ids: sg_ids,
        new_volumes: root.new_volumes,
        forced_host,
        requested_host,
        volume_backed: root.image_id.is_none(),
    };
    Ok((server, plan))
}

/// The request's key pair among the caller's own, as Nova looks it up (by
/// the request's user, not the project's): its name and public key.
fn key_pair(r: &ComputeRegion, nova: &Nova, o: &Map<String, Value>) -> ApiResult<Option<(String, String)>> {
    match string(o, "key_name")? {
        Some(k) => match r.keypairs.get(&(nova.caller.user_id.clone(), k.to_string())) {
            Some(pair) => Ok(Some((k.to_string(), pair.public_key.clone()))),
            None => Err(ApiError::bad_request("Invalid key_name provided.")),
        },
        None => Ok(None),
    }
}

/// `user_data`: base64 of at most 64 KiB.
fn user_data(o: &Map<String, Value>) -> ApiResult<Option<String>> {
    match string(o, "user_data")? {
        Some(u) if u.len() > 65535 || !is_base64(u) => {
            Err(schema("user_data", &json!(u), &format!("'{u}' is not a 'base64'")))
        }
        u => Ok(u.map(str::to_string)),
    }
}

/// `description`: null or at most 255 characters.
fn description(o: &Map<String, Value>) -> ApiResult<Option<String>> {
    match o.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(d)) if d.chars().count() <= 255 => Ok(Some(d.clone())),
        Some(v) => Err(schema("description", v, "is not a valid description")),
    }
}

/// Volumes the user passed are reserved for the server at once, as Nova's
/// API creates their Cinder attachments before scheduling.
fn reserve_volumes(
    w: &mut World,
    server_id: &str,
    existing: &[(String, Option<i32>, bool)],
    now: DateTime<Utc>,
) -> ApiResult<Vec<BlockDevice>> {
    let mut devices = Vec::new();
    for (i, (volume_id, boot_index, delete)) in existing.iter().enumerate() {
        let device = format!("/dev/vd{}", (b'a' + i as u8) as char);
        let att = w
            .volume
            .attach(volume_id, server_id, None, &device, now)
            .map_err(|e| ApiError::bad_request(format!("Invalid volume: {e}")))?;
        devices.push(BlockDevice {
            volume_id: volume_id.clone(),
            boot_index: *boot_index,
            device_name: device,
            delete_on_termination: *delete,
            tag: None,
            attachment_id: att.id,
        });
    }
    Ok(devices)
}

fn flavor<'r>(r: &'r ComputeRegion, nova: &Nova, o: &Map<String, Value>) -> ApiResult<&'r Flavor> {
    let flavor_ref = match o.get("flavorRef") {
        Some(Value::String(s)) if !s.is_empty() => s.rsplit('/').next().unwrap_or(s),
        Some(Value::Number(n)) => return flavor_by_id(r, nova, &n.to_string()),
        Some(v) => return Err(schema("flavorRef", v, "is not a valid flavorRef")),
        None => return Err(ApiError::bad_request("'flavorRef' is a required property")),
    };
    flavor_by_id(r, nova, flavor_ref)
}

fn flavor_by_id<'r>(r: &'r ComputeRegion, nova: &Nova, id: &str) -> ApiResult<&'r Flavor> {
    let project = nova.caller.project_id.as_deref().unwrap_or_default();
    let f = r
        .flavors
        .get(id)
        .filter(|f| f.is_public || nova.caller.is_admin() || f.access.contains(project))
        .ok_or_else(|| ApiError::bad_request("Invalid flavorRef provided."))?;
    if f.disabled {
        return Err(ApiError::bad_request(format!("Flavor {id} could not be found.")));
    }
    Ok(f)
}

/// What the server boots from.
struct RootDisk {
    image_id: Option<String>,
    /// Existing volumes: (id, boot index, delete on termination).
    existing: Vec<(String, Option<i32>, bool)>,
    new_volumes: Vec<NewVolume>,
}

fn bdm_invalid(reason: &str) -> ApiError {
    ApiError::bad_request(format!("Block Device Mapping is Invalid: {reason}"))
}

fn root_disk(w: &World, nova: &Nova, project: &str, o: &Map<String, Value>, flavor: &Flavor) -> ApiResult<RootDisk> {
    let mut root = RootDisk { image_id: None, existing: Vec::new(), new_volumes: Vec::new() };
    let image_ref = string(o, "imageRef")?.filter(|s| !s.is_empty()).map(|s| s.rsplit('/').next().unwrap_or(s));
    let bdms = match o.get("block_device_mapping_v2") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(v) => return Err(schema("block_device_mapping_v2", v, "is not of type 'array'")),
    };
    let mut has_boot = false;
    for bdm in &bdms {
        let get = |k: &str| bdm.get(k).and_then(Value::as_str);
        let boot_index = bdm.get("boot_index").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        let boot_index = boot_index.filter(|b| *b >= 0).map(|b| b as i32);
        let delete = bdm.get("delete_on_termination").map(|v| boolean("delete_on_termination", v)).transpose()?;
        let size = bdm.get("volume_size").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let uuid = get("uuid");
        match (get("source_type").unwrap_or("volume"), get("destination_type").unwrap_or("volume")) {
            ("image", "local") if boot_index == Some(0) => {
                has_boot = true;
                root.image_id = Some(uuid.or(image_ref).ok_or_else(|| bdm_invalid("no image given"))?.to_string());
            }
            ("blank", "local") => {}
            ("volume", "volume") => {
                let id = uuid.ok_or_else(|| bdm_invalid("volume uuid missing"))?;
                let v = w
                    .volume
                    .volumes
                    .get(id)
                    .filter(|v| nova.caller.can_see_project(&v.project_id))
                    .ok_or_else(|| bdm_invalid(&format!("failed to get volume {id}.")))?;
                if v.status != "available" && !v.multiattach {
                    return Err(ApiError::bad_request(format!(
                        "Invalid volume: volume '{id}' status must be 'available'. Currently in '{}'",
                        v.status
                    )));
                }
                has_boot |= boot_index == Some(0);
                root.existing.push((id.to_string(), boot_index, delete.unwrap_or(false)));
            }
            ("image", "volume") => {
                let id = uuid.ok_or_else(|| bdm_invalid("image uuid missing"))?;
                usable_image(w, nova, project, id, flavor, true)?;
                let size = size.ok_or_else(|| bdm_invalid("volume_size is required"))?;
                has_boot |= boot_index == Some(0);
                let delete = delete.unwrap_or(false);
                root.new_volumes.push(NewVolume { image_id: Some(id.into()), size_gb: size, boot_index, delete });
            }
            ("blank", "volume") => {
                let size = size.ok_or_else(|| bdm_invalid("volume_size is required"))?;
                let delete = delete.unwrap_or(false);
                root.new_volumes.push(NewVolume { image_id: None, size_gb: size, boot_index, delete });
            }
            ("snapshot", _) => return Err(bdm_invalid(&format!("failed to get snapshot {}.", uuid.unwrap_or("")))),
            (s, d) => return Err(bdm_invalid(&format!("source_type {s} with destination_type {d} is not supported."))),
        }
    }
    if !has_boot {
        let id = image_ref.ok_or_else(|| ApiError::bad_request("Invalid imageRef provided."))?;
        root.image_id = Some(id.to_string());
    }
    if let Some(id) = root.image_id.clone() {
        usable_image(w, nova, project, &id, flavor, false)?;
    }
    Ok(root)
}

/// The image must be visible and active, and the flavor big enough for it
/// (its disk only when the image is the local root disk).
fn usable_image(w: &World, nova: &Nova, project: &str, id: &str, f: &Flavor, to_volume: bool) -> ApiResult<()> {
    let image = w
        .image
        .images
        .get(id)
        .filter(|i| i.visible_to(Some(project), nova.caller.is_admin()))
        .ok_or_else(|| ApiError::bad_request(format!("Image {id} could not be found.")))?;
    if image.status != crate::model::image::ImageStatus::Active {
        return Err(ApiError::bad_request(format!("Image {id} is not active.")));
    }
    if image.min_ram > f.ram_mb {
        return Err(ApiError::bad_request("Flavor's memory is too small for requested image."));
    }
    const GIB: u64 = 1 << 30;
    if !to_volume && f.disk_gb > 0 && image.min_disk > f.disk_gb {
        return Err(ApiError::bad_request(format!(
            "Flavor's disk is too small for requested image. Flavor disk is {} bytes, image is {} bytes.",
            f.disk_gb * GIB,
            image.min_disk * GIB
        )));
    }
    Ok(())
}

fn string_map(v: Option<&Value>) -> ApiResult<std::collections::BTreeMap<String, String>> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Default::default()) };
    let o = v.as_object().ok_or_else(|| schema("metadata", v, "is not of type 'object'"))?;
    o.iter()
        .map(|(k, val)| match val {
            Value::String(s) if !k.is_empty() && k.len() <= 255 && s.len() <= 255 => Ok((k.clone(), s.clone())),
            _ => Err(schema("metadata", v, "is not a valid metadata item")),
        })
        .collect()
}

fn personality(o: &Map<String, Value>, limit: i64) -> ApiResult<Vec<String>> {
    let Some(v) = o.get("personality").filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let items = v.as_array().ok_or_else(|| schema("personality", v, "is not of type 'array'"))?;
    if limit >= 0 && items.len() as i64 > limit {
        return Err(ApiError::forbidden("Personality file limit exceeded"));
    }
    items
        .iter()
        .map(|i| match (i.get("path").and_then(Value::as_str), i.get("contents").and_then(Value::as_str)) {
            (Some(p), Some(c)) if is_base64(c) => Ok(p.to_string()),
            _ => Err(schema("personality", i, "is not a valid personality file")),
        })
        .collect()
}

fn tags(o: &Map<String, Value>) -> ApiResult<std::collections::BTreeSet<String>> {
    let Some(v) = o.get("tags").filter(|v| !v.is_null()) else { return Ok(Default::default()) };
    let items = v.as_array().filter(|a| a.len() <= 50).ok_or_else(|| schema("tags", v, "is not a valid tag list"))?;
    items
        .iter()
        .map(|t| match t.as_str() {
            Some(s) if !s.is_empty() && s.chars().count() <= 60 && !s.contains(['/', ',']) => Ok(s.to_string()),
            _ => Err(schema("tags", t, "is not a valid tag")),
        })
        .collect()
}

fn security_group_names(o: &Map<String, Value>) -> ApiResult<Vec<String>> {
    let Some(v) = o.get("security_groups").filter(|v| !v.is_null()) else { return Ok(vec!["default".into()]) };
    let items = v.as_array().ok_or_else(|| schema("security_groups", v, "is not of type 'array'"))?;
    let mut names: Vec<String> = Vec::new();
    for i in items {
        let n = i.get("name").and_then(Value::as_str).ok_or_else(|| schema("security_groups", i, "has no name"))?;
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    }
    Ok(names)
}

/// The requested zone, a host forced with `zone:host` (admin only, policy
/// `os_compute_api:servers:create:forced_host`: the filters are skipped),
/// and a host requested with 2.74's `host` (admin only, policy
/// `compute:servers:create:requested_destination`: the filters run).
fn zone(
    r: &ComputeRegion,
    nova: &Nova,
    o: &Map<String, Value>,
) -> ApiResult<(Option<String>, Option<String>, Option<String>)> {
    let mut forced = None;
    let az = match string(o, "availability_zone")? {
        None => None,
        Some(spec) => {
            let mut parts = spec.splitn(3, ':');
            let az = parts.next().unwrap_or_default();
            if let Some(host) = parts.next().filter(|h| !h.is_empty()) {
                if !nova.caller.is_admin() {
                    return Err(ApiError::policy("os_compute_api:servers:create:forced_host"));
                }
                if !r.hosts.contains_key(host) {
                    return Err(ApiError::bad_request(format!("No valid host was found. Host {host} not found.")));
                }
                forced = Some(host.to_string());
            }
            (!az.is_empty()).then(|| az.to_string())
        }
    };
    if let Some(az) = &az {
        if !r.zones().contains(az) {
            return Err(ApiError::bad_request("The requested availability zone is not available"));
        }
    }
    let mut requested = None;
    if let Some(host) = string(o, "host")?.or(string(o, "hypervisor_hostname")?) {
        if !nova.caller.is_admin() {
            return Err(ApiError::policy("compute:servers:create:requested_destination"));
        }
        if forced.is_some() {
            return Err(ApiError::bad_request(
                "One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node \
                 are mutually exclusive.",
            ));
        }
        if !r.hosts.contains_key(host) {
            return Err(ApiError::bad_request(format!("Compute host {host} could not be found.")));
        }
        requested = Some(host.to_string());
    }
    Ok((az, forced, requested))
}

fn server_group(r: &ComputeRegion, nova: &Nova, project: &str, body: &Value) -> ApiResult<Option<String>> {
    let hints = body.get("os:scheduler_hints").or_else(|| body.get("OS-SCH-HNT:scheduler_hints"));
    let Some(group) = hints.and_then(|h| h.get("group")) else { return Ok(None) };
    let id = group.as_str().ok_or_else(|| schema("group", group, "is not of type 'string'"))?;
    // `InstanceGroup.get_by_uuid` is project-filtered unless the context is
    // admin: an admin may boot into any project's group.
    let g = r
        .server_groups
        .get(id)
        .filter(|g| g.project_id == project || nova.caller.is_admin())
        .ok_or_else(|| ApiError::bad_request(format!("Instance group {id} could not be found.")))?;
    // The member quota counts the group's members owned by the requesting
    // user (`_server_group_count_members_by_user`) against the limit of the
    // token's project.
    let limit = r.effective_quota(project).server_group_members;
    let mine = r
        .group_members(&g.id)
        .iter()
        .filter(|m| r.servers.get(*m).is_some_and(|s| s.user_id == nova.caller.user_id))
        .count() as i64;
    if limit >= 0 && mine >= limit {
        return Err(ApiError::forbidden("Quota exceeded, too many servers in group"));
    }
    Ok(Some(g.id.clone()))
}

struct QuotaCheck {
    resource: &'static str,
    requested: i64,
    used: i64,
    limit: i64,
}

/// Nova's `TooManyInstances`: instances, cores and RAM over the project's
/// limits in this region.
fn check_quota(r: &ComputeRegion, project: &str, flavor: &Flavor) -> ApiResult<()> {
    let q = r.effective_quota(project);
    let (instances, cores, ram) = r.project_usage(project);
    let check = |resource, requested, used, limit| QuotaCheck { resource, requested, used, limit };
    let checks = [
        check("cores", flavor.vcpus as i64, cores, q.cores),
        check("instances", 1, instances, q.instances),
        check("ram", flavor.ram_mb as i64, ram, q.ram),
    ];
    let overs: Vec<&QuotaCheck> = checks.iter().filter(|c| c.limit >= 0 && c.used + c.requested > c.limit).collect();
    if overs.is_empty() {
        return Ok(());
    }
    let join = |f: fn(&QuotaCheck) -> String| overs.iter().map(|c| f(c)).collect::<Vec<_>>().join(", ");
    Err(ApiError::forbidden(format!(
        "Quota exceeded for {}: Requested {}, but already used {} of {} {}",
        join(|c| c.resource.to_string()),
        join(|c| c.requested.to_string()),
        join(|c| c.used.to_string()),
        join(|c| c.limit.to_string()),
        join(|c| c.resource.to_string()),
    )))
}
