/*!
`/os-server-groups`: a project's groups (admins list every project's with
`all_projects`), show, create and delete. Members are the servers booted
into the group. 2.13 adds the owner ids; 2.64 replaces the `policies` list
and `metadata` with `policy` and `rules`.
*/

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::common::{empty, project_member, Id};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::ServerGroup;
use crate::model::ComputeRegion;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/os-server-groups", get(list).post(create))
        .route("/os-server-groups/{id}", get(show).delete(delete))
}

fn group_json(nova: &Nova, r: &ComputeRegion, g: &ServerGroup) -> Value {
    let mut v = json!({"id": g.id, "name": g.name, "members": r.group_members(&g.id)});
    if nova.at_least(64) {
        v["policy"] = json!(g.policy);
        v["rules"] = json!(g.rules);
    } else {
        v["policies"] = json!([g.policy]);
        v["metadata"] = json!({});
    }
    if nova.at_least(13) {
        v["project_id"] = json!(g.project_id);
        v["user_id"] = json!(g.user_id);
    }
    v
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Instance group {id} could not be found."))
}

fn usize_param(q: &HashMap<String, String>, key: &str) -> Result<Option<usize>, ApiError> {
    q.get(key)
        .map(|v| {
            v.parse::<usize>().map_err(|_| ApiError::bad_request(format!("Invalid input for query parameters {key}.")))
        })
        .transpose()
}

async fn list(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    // Nova looks only at the key's presence (`all_projects=false` too), and
    // a non-admin asking for it gets its own project's groups, not a 403.
    let all = q.contains_key("all_projects") && nova.caller.is_admin();
    let project = nova.caller.project()?.to_string();
    let (offset, limit) = (usize_param(&q, "offset")?.unwrap_or(0), usize_param(&q, "limit")?);
    let w = sim.world();
    let r = region(&w, &nova)?;
    let groups: Vec<Value> = r
        .server_groups
        .values()
        .filter(|g| all || g.project_id == project)
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|g| group_json(&nova, r, g))
        .collect();
    Ok(ok(json!({"server_groups": groups})))
}

async fn show(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    let w = sim.world();
    let r = region(&w, &nova)?;
    let g = r
        .server_groups
        .get(&id)
        .filter(|g| nova.caller.can_see_project(&g.project_id))
        .ok_or_else(|| not_found(&id))?;
    Ok(ok(json!({"server_group": group_json(&nova, r, g)})))
}

/// The policy and rules of a create body, checked as Nova's schema for
/// the request's version does.
fn policy_of(
    nova: &Nova,
    body: &serde_json::Map<String, Value>,
) -> Result<(String, BTreeMap<String, Value>), ApiError> {
    let mut allowed = vec!["affinity", "anti-affinity"];
    if nova.at_least(15) {
        allowed.extend(["soft-affinity", "soft-anti-affinity"]);
    }
    let bad = |what: &str| ApiError::bad_request(format!("Invalid input for field/attribute {what}."));
    // The schema has no other properties: in particular no `project_id`,
    // as a group always belongs to the token's project and user.
    let known: &[&str] = if nova.at_least(64) { &["name", "policy", "rules"] } else { &["name", "policies"] };
    if let Some(k) = body.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!("Additional properties are not allowed ('{k}' was unexpected)")));
    }
    if nova.at_least(64) {
        let policy = body
            .get("policy")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("'policy' is a required property"))?;
        if !allowed.contains(&policy) {
            return Err(bad("policy"));
        }
        let rules = match body.get("rules") {
            None => BTreeMap::new(),
            Some(Value::Object(m)) => m.clone().into_iter().collect(),
            Some(_) => return Err(bad("rules")),
        };
        for (k, v) in &rules {
            // `positive_integer`: an integer, or a string of digits, of at least 1.
            let digits = v.as_str().filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
            let positive = v.as_i64().or_else(|| digits.and_then(|s| s.parse().ok())).is_some_and(|n| n > 0);
            if k != "max_server_per_host" || !positive {
                return Err(bad("rules"));
            }
            if policy != "anti-affinity" {
                return Err(ApiError::bad_request(
                    "Only anti-affinity policy supports rules. Invalid input for field/attribute rules.",
                ));
            }
        }
        Ok((policy.to_string(), rules))
    } else {
        let policies = body
            .get("policies")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::bad_request("'policies' is a required property"))?;
        match policies.as_slice() {
            [Value::String(p)] if allowed.contains(&p.as_str()) => Ok((p.clone(), BTreeMap::new())),
            _ => Err(bad("policies")),
        }
    }
}

async fn create(State(sim): State<Sim>, nova: Nova, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let project = nova.caller.project()?.to_string();
    let g = body
        .get("server_group")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'server_group' is a required property"))?;
    // Nova's `name` format: 1 to 255 characters, no leading or trailing blank.
    let name = g
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty() && n.chars().count() <= 255 && n.trim() == *n)
        .ok_or_else(|| ApiError::bad_request("Invalid input for field/attribute name."))?
        .to_string();
    let (policy, rules) = policy_of(&nova, g)?;
    let mut w = sim.world();
    project_member(&w, &nova, "os_compute_api:os-server-groups:create")?;
    let id = w.new_uuid();
    let r = region_mut(&mut w, &nova)?;
    let quota = r.effective_quota(&project).server_groups;
    let used = r.server_groups.values().filter(|g| g.project_id == project).count() as i64;
    if quota >= 0 && used >= quota {
        return Err(ApiError::forbidden("Quota exceeded, too many server groups."));
    }
    let group = ServerGroup {
        id: id.clone(),
        name,
        project_id: project,
        user_id: nova.caller.user_id.clone(),
        policy,
        rules,
        members: Vec::new(),
    };
    let body = json!({"server_group": group_json(&nova, r, &group)});
    r.server_groups.insert(id, group);
    Ok(ok(body))
}

async fn delete(State(sim): State<Sim>, nova: Nova, Id(id): Id) -> ApiResult<Response> {
    let mut w = sim.world();
    let r = region_mut(&mut w, &nova)?;
    r.server_groups.get(&id).filter(|g| nova.caller.can_see_project(&g.project_id)).ok_or_else(|| not_found(&id))?;
    r.server_groups.remove(&id);
    Ok(empty(StatusCode::NO_CONTENT))
}
