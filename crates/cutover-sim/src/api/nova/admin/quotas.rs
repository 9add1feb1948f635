/*!
`/os-quota-sets` (show, `defaults`, `detail` with usage; admin update and
revert), each for a project or with `?user_id=` for one user in it, and
`/limits` (the caller's absolute limits and usage). Fields follow the
microversion: 2.36 drops the network quotas, 2.57 the injected-file ones,
2.39 `maxImageMeta`.
*/

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::common::{admin, empty, Id};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
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

/// Nova's quotas kept per project even when set with a `user_id`
/// (`quota_get_per_project_resources`).
const PER_PROJECT: [&str; 2] = ["fixed_ips", "floating_ips"];

/// What `project` (or one user in it) uses of each quota, as Nova's quota
/// engine counts it; key pairs and group members always count 0 here.
fn usage(r: &ComputeRegion, project: &str, user: Option<&str>) -> HashMap<&'static str, i64> {
    let (instances, cores, ram) = r.usage_by(project, user);
    let groups =
        r.server_groups.values().filter(|g| g.project_id == project && user.is_none_or(|u| g.user_id == u)).count()
            as i64;
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

/// The `?user_id=` of a request.
fn user_of(q: &HashMap<String, String>) -> Option<&str> {
    q.get("user_id").map(String::as_str).filter(|u| !u.is_empty())
}

/// The limits a request is about: the project's, or a user's in it.
fn limits_of(r: &ComputeRegion, project: &str, user: Option<&str>) -> QuotaSet {
    match user {
        Some(u) => r.user_quota(project, u),
        None => r.effective_quota(project),
    }
}

/// Nova's `identity.verify_project_id`: a project Keystone does not know is 400.
fn verify_project(w: &crate::model::World, project: &str) -> Result<(), ApiError> {
    if w.identity.projects.contains_key(project) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("Project ID {project} is not a valid project.")))
    }
}

/// Reading a project's quotas: its own members (any role) or an admin.
fn may_read(nova: &Nova, project: &str) -> Result<(), ApiError> {
    if nova.caller.can_see_project(project) {
        Ok(())
    } else {
        Err(ApiError::policy("os_compute_api:os-quota-sets:show"))
    }
}

async fn show(
    State(sim): State<Sim>,
    nova: Nova,
    Id(project): Id,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    may_read(&nova, &project)?;
    let w = sim.world();
    verify_project(&w, &project)?;
    let mut q = quota_json(&nova, &limits_of(region(&w, &nova)?, &project, user_of(&params)));
    q.insert("id".into(), json!(project));
    Ok(ok(json!({"quota_set": q})))
}

async fn defaults(State(sim): State<Sim>, nova: Nova, Id(project): Id) -> ApiResult<Response> {
    let w = sim.world();
    verify_project(&w, &project)?;
    let mut q = quota_json(&nova, &region(&w, &nova)?.quota_defaults);
    q.insert("id".into(), json!(project));
    Ok(ok(json!({"quota_set": q})))
}

async fn detail(
    State(sim): State<Sim>,
    nova: Nova,
    Id(project): Id,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    may_read(&nova, &project)?;
    let w = sim.world();
    verify_project(&w, &project)?;
    let r = region(&w, &nova)?;
    let user = user_of(&params);
    let used = usage(r, &project, user);
    let mut q: Map<String, Value> = quota_json(&nova, &limits_of(r, &project, user))
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

/// The settable range of one limit (`get_settable_quotas`), Nova's
/// arithmetic included: a user's maximum is what the project has not given
/// to its users plus the user's own setting; a project's minimum is what its
/// users were given (or its use, if more).
fn settable(r: &ComputeRegion, project: &str, user: Option<&str>, key: &str) -> (i64, i64) {
    let limit = quota_map(&r.effective_quota(project)).get(key).and_then(Value::as_i64).unwrap_or(-1);
    let given = |u: Option<&str>| -> i64 {
        r.user_quotas
            .iter()
            .filter(|((p, owner), _)| p == project && u.is_none_or(|u| u == owner))
            .filter_map(|(_, set)| set.get(key))
            .sum()
    };
    let remains = limit - given(None);
    match user {
        Some(u) => {
            let own = given(Some(u));
            let maximum = if remains == -1 || own == -1 { -1 } else { remains + own };
            (usage(r, project, Some(u)).get(key).copied().unwrap_or(0), maximum)
        }
        None => {
            let handed_out = if limit == -1 || remains == -1 { -1 } else { limit - remains };
            (handed_out.max(usage(r, project, None).get(key).copied().unwrap_or(0)), -1)
        }
    }
}

/// Nova's `_validate_quota_limit`, -1 being infinity.
fn check_range(key: &str, limit: i64, (minimum, maximum): (i64, i64)) -> Result<(), ApiError> {
    let inf = |v: i64| if v == -1 { i64::MAX } else { v };
    if inf(limit) < inf(minimum) {
        return Err(ApiError::bad_request(format!(
            "Quota limit {limit} for {key} must be greater than or equal to already used and reserved {minimum}."
        )));
    }
    if inf(limit) > inf(maximum) {
        return Err(ApiError::bad_request(format!(
            "Quota limit {limit} for {key} must be less than or equal to {maximum}."
        )));
    }
    Ok(())
}

async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Id(project): Id,
    Query(params): Query<HashMap<String, String>>,
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
        Some(Value::String(s)) => super::common::parse_bool("force", s)?,
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute force.")),
    };
    let user = user_of(&params);
    let mut w = sim.world();
    verify_project(&w, &project)?;
    let r = region_mut(&mut w, &nova)?;
    let known = quota_map(&r.quota_defaults);
    // Validate everything first, then apply, as Nova's two passes do.
    let mut limits = Vec::new();
    for (key, value) in set.iter().filter(|(k, _)| k.as_str() != "force") {
        if !known.contains_key(key) || !shown(&nova, key) {
            return Err(ApiError::bad_request(format!(
                "Invalid input for field/attribute quota_set. Additional properties are not allowed ('{key}' was unexpected)"
            )));
        }
        let limit = quota_value(key, value)?;
        if !force {
            check_range(key, limit, settable(r, &project, user, key))?;
        }
        limits.push((key.clone(), limit));
    }
    let mut project_quota = r.effective_quota(&project);
    for (key, limit) in limits {
        match user {
            Some(u) if !PER_PROJECT.contains(&key.as_str()) => {
                r.user_quotas.entry((project.clone(), u.to_string())).or_default().insert(key, limit);
            }
            _ => project_quota.apply(&std::collections::BTreeMap::from([(key, limit)])),
        }
    }
    r.quotas.insert(project.clone(), project_quota);
    let shown_set = quota_json(&nova, &limits_of(r, &project, user));
    Ok(ok(json!({"quota_set": shown_set})))
}

async fn revert(
    State(sim): State<Sim>,
    nova: Nova,
    Id(project): Id,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-quota-sets:delete")?;
    let mut w = sim.world();
    let r = region_mut(&mut w, &nova)?;
    match user_of(&params) {
        Some(u) => {
            r.user_quotas.remove(&(project, u.to_string()));
        }
        None => {
            r.quotas.remove(&project);
            r.user_quotas.retain(|(p, _), _| *p != project);
        }
    }
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
    let used = usage(r, &project, None);
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
