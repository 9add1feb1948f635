/*!
`/os-quota-sets` (show, `defaults`, `detail` with usage; admin update and
revert) and `/limits` (the caller's absolute limits and usage). Fields
follow the microversion: 2.36 drops the network quotas, 2.57 the
injected-file ones, 2.39 `maxImageMeta`.
*/

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::{admin, empty, region, region_mut, Id};
use crate::api::nova::Nova;
use crate::api::{ok, JsonBody};
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{Networking, QuotaSet};
use crate::model::ComputeRegion;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/os-quota-sets/{id}", get(show).put(update).delete(revert))
        .route("/os-quota-sets/{id}/defaults", get(defaults))
        .route("/os-quota-sets/{id}/detail", get(detail))
        .route("/limits", get(limits))
}

const NETWORK_QUOTAS: [&str; 4] = ["fixed_ips", "floating_ips", "security_group_rules", "security_groups"];
const FILE_QUOTAS: [&str; 3] = ["injected_files", "injected_file_content_bytes", "injected_file_path_bytes"];

/// The quota names shown and accepted at the request's version.
fn shown(nova: &Nova, key: &str) -> bool {
    !(nova.at_least(36) && NETWORK_QUOTAS.contains(&key) || nova.at_least(57) && FILE_QUOTAS.contains(&key))
}

fn quota_map(q: &QuotaSet) -> Map<String, Value> {
    match serde_json::to_value(q) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn quota_json(nova: &Nova, q: &QuotaSet) -> Map<String, Value> {
    quota_map(q).into_iter().filter(|(k, _)| shown(nova, k)).collect()
}

/// What `project` uses of each quota, as Nova's quota engine counts it.
fn usage(r: &ComputeRegion, project: &str) -> HashMap<&'static str, i64> {
    let (instances, cores, ram) = r.project_usage(project);
    let groups = r.server_groups.values().filter(|g| g.project_id == project).count() as i64;
    let floating = match r.networking {
        Networking::NovaNetwork => {
            r.floating_ips.values().filter(|f| f.project_id.as_deref() == Some(project)).count() as i64
        }
        Networking::Neutron => 0,
    };
    HashMap::from([
        ("instances", instances),
        ("cores", cores),
        ("ram", ram),
        ("server_groups", groups),
        ("floating_ips", floating),
    ])
}

/// Reading a project's quotas: its own members (any role) or an admin.
fn may_read(nova: &Nova, project: &str) -> Result<(), ApiError> {
    if nova.caller.can_see_project(project) {
        Ok(())
    } else {
        Err(ApiError::policy("os_compute_api:os-quota-sets:show"))
    }
}

async fn show(State(sim): State<Sim>, nova: Nova, Id(project): Id) -> ApiResult<Response> {
    may_read(&nova, &project)?;
    let w = sim.world();
    let mut q = quota_json(&nova, &region(&w, &nova)?.effective_quota(&project));
    q.insert("id".into(), json!(project));
    Ok(ok(json!({"quota_set": q})))
}

async fn defaults(State(sim): State<Sim>, nova: Nova, Id(project): Id) -> ApiResult<Response> {
    let w = sim.world();
    let mut q = quota_json(&nova, &region(&w, &nova)?.quota_defaults);
    q.insert("id".into(), json!(project));
    Ok(ok(json!({"quota_set": q})))
}

async fn detail(State(sim): State<Sim>, nova: Nova, Id(project): Id) -> ApiResult<Response> {
    may_read(&nova, &project)?;
    let w = sim.world();
    let r = region(&w, &nova)?;
    let used = usage(r, &project);
    let mut q: Map<String, Value> = quota_json(&nova, &r.effective_quota(&project))
        .into_iter()
        .map(|(k, limit)| {
            let in_use = used.get(k.as_str()).copied().unwrap_or(0);
            (k, json!({"limit": limit, "in_use": in_use, "reserved": 0}))
        })
        .collect();
    q.insert("id".into(), json!(project));
    Ok(ok(json!({"quota_set": q})))
}

/// A quota value: an integer (or integer string) of at least -1.
fn quota_value(key: &str, v: &Value) -> Result<i64, ApiError> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.filter(|n| *n >= -1).ok_or_else(|| ApiError::bad_request(format!("Invalid input for field/attribute {key}.")))
}

async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Id(project): Id,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-quota-sets:update")?;
    let set = body
        .get("quota_set")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'quota_set' is a required property"))?;
    let force = match set.get("force") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => super::parse_bool("force", s)?,
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute force.")),
    };
    let mut w = sim.world();
    if !w.identity.projects.contains_key(&project) {
        return Err(ApiError::bad_request(format!("Project ID {project} is not a valid project.")));
    }
    let r = region_mut(&mut w, &nova)?;
    let mut current = quota_map(&r.effective_quota(&project));
    let used = usage(r, &project);
    for (key, value) in set.iter().filter(|(k, _)| k.as_str() != "force") {
        if !current.contains_key(key) || !shown(&nova, key) {
            return Err(ApiError::bad_request(format!(
                "Invalid input for field/attribute quota_set. Additional properties are not allowed ('{key}' was unexpected)"
            )));
        }
        let limit = quota_value(key, value)?;
        let in_use = used.get(key.as_str()).copied().unwrap_or(0);
        if !force && limit != -1 && limit < in_use {
            return Err(ApiError::bad_request(format!(
                "Quota limit {limit} for {key} must be greater than or equal to already used and reserved {in_use}."
            )));
        }
        current.insert(key.clone(), json!(limit));
    }
    let quota: QuotaSet = serde_json::from_value(Value::Object(current))
        .map_err(|e| ApiError::bad_request(format!("Invalid quota set: {e}")))?;
    let shown_set = quota_json(&nova, &quota);
    r.quotas.insert(project, quota);
    Ok(ok(json!({"quota_set": shown_set})))
}

async fn revert(State(sim): State<Sim>, nova: Nova, Id(project): Id) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-quota-sets:delete")?;
    let mut w = sim.world();
    region_mut(&mut w, &nova)?.quotas.remove(&project);
    Ok(empty(StatusCode::ACCEPTED))
}

async fn limits(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    let own = nova.caller.project()?.to_string();
    let project = match q.get("tenant_id") {
        Some(t) if *t != own => {
            admin(&nova, "os_compute_api:limits:other_project")?;
            t.clone()
        }
        _ => own,
    };
    let w = sim.world();
    let r = region(&w, &nova)?;
    let quota = r.effective_quota(&project);
    let used = usage(r, &project);
    let mut abs = json!({
        "maxServerMeta": quota.metadata_items,
        "maxTotalKeypairs": quota.key_pairs,
        "maxServerGroups": quota.server_groups,
        "maxServerGroupMembers": quota.server_group_members,
        "maxTotalCores": quota.cores,
        "maxTotalInstances": quota.instances,
        "maxTotalRAMSize": quota.ram,
        "totalCoresUsed": used["cores"],
        "totalInstancesUsed": used["instances"],
        "totalRAMUsed": used["ram"],
        "totalServerGroupsUsed": used["server_groups"],
    });
    if !nova.at_least(36) {
        abs["maxSecurityGroups"] = json!(quota.security_groups);
        abs["maxSecurityGroupRules"] = json!(quota.security_group_rules);
        abs["maxTotalFloatingIps"] = json!(quota.floating_ips);
        abs["totalFloatingIpsUsed"] = json!(used["floating_ips"]);
        abs["totalSecurityGroupsUsed"] = json!(0);
    }
    if !nova.at_least(39) {
        abs["maxImageMeta"] = json!(quota.metadata_items);
    }
    if !nova.at_least(57) {
        abs["maxPersonality"] = json!(quota.injected_files);
        abs["maxPersonalitySize"] = json!(quota.injected_file_content_bytes);
    }
    Ok(ok(json!({"limits": {"rate": [], "absolute": abs}})))
}
