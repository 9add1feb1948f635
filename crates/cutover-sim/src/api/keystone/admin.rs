/*!
Domains, projects, users, roles, and role assignments (grants).
*/

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::links::{collection_links, self_link};
use crate::api::common::{ok, reply, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::identity::{Assignment, Domain, Project, Role, Scope, User};
use crate::model::World;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/v3/domains", get(list_domains).post(create_domain))
        .route("/v3/domains/{id}", get(show_domain).delete(delete_domain))
        .route("/v3/projects", get(list_projects).post(create_project))
        .route("/v3/projects/{id}", get(show_project).patch(update_project).delete(delete_project))
        .route("/v3/users", get(list_users).post(create_user))
        .route("/v3/users/{id}", get(show_user).patch(update_user).delete(delete_user))
        .route("/v3/users/{id}/projects", get(user_projects))
        .route("/v3/roles", get(list_roles).post(create_role))
        .route("/v3/roles/{id}", get(show_role).delete(delete_role))
        .route("/v3/role_assignments", get(list_assignments))
        .route("/v3/{target}/{target_id}/users/{user_id}/roles", get(list_grants))
        .route(
            "/v3/{target}/{target_id}/users/{user_id}/roles/{role_id}",
            put(grant).head(check_grant).get(check_grant).delete(revoke_grant),
        )
}

pub fn domain_json(base: &str, d: &Domain) -> Value {
    json!({"id": d.id, "name": d.name, "description": d.description, "enabled": d.enabled, "tags": [],
           "options": {}, "links": self_link(base, "domains", &d.id)})
}

pub fn project_json(base: &str, p: &Project) -> Value {
    json!({"id": p.id, "name": p.name, "domain_id": p.domain_id, "description": p.description,
           "enabled": p.enabled, "parent_id": p.domain_id, "is_domain": false, "tags": [], "options": {},
           "links": self_link(base, "projects", &p.id)})
}

fn user_json(base: &str, u: &User) -> Value {
    let mut v = json!({"id": u.id, "name": u.name, "domain_id": u.domain_id, "enabled": u.enabled,
           "password_expires_at": null, "options": {}, "links": self_link(base, "users", &u.id)});
    if let Some(e) = &u.email {
        v["email"] = json!(e);
    }
    if let Some(p) = &u.default_project_id {
        v["default_project_id"] = json!(p);
    }
    v
}

fn role_json(base: &str, r: &Role) -> Value {
    // `keystone-manage bootstrap` creates these three as immutable roles.
    let options =
        if ["admin", "member", "reader"].contains(&r.name.as_str()) { json!({"immutable": true}) } else { json!({}) };
    json!({"id": r.id, "name": r.name, "domain_id": null, "description": null, "options": options,
           "links": self_link(base, "roles", &r.id)})
}

fn not_found(kind: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("Could not find {kind}: {id}."))
}

fn duplicate(kind: &str, name: &str) -> ApiError {
    ApiError::conflict(format!(
        "Conflict occurred attempting to store {kind} - Duplicate entry found with name {name}."
    ))
}

/// Keystone lets users read their own user and projects; the rest is admin.
fn admin_or(caller: &Caller, allowed: bool, action: &str) -> ApiResult<()> {
    if allowed {
        Ok(())
    } else {
        caller.require_admin(action)
    }
}

type Filters = Query<HashMap<String, String>>;

fn name_filter(q: &HashMap<String, String>, name: &str) -> bool {
    q.get("name").is_none_or(|n| n == name)
}

fn domain_filter(q: &HashMap<String, String>, domain_id: &str) -> bool {
    q.get("domain_id").is_none_or(|d| d == domain_id)
}

async fn list_domains(State(sim): State<Sim>, c: Caller, Query(q): Filters) -> ApiResult {
    c.require_admin("identity:list_domains")?;
    let w = sim.world();
    let items: Vec<Value> =
        w.identity.domains.values().filter(|d| name_filter(&q, &d.name)).map(|d| domain_json(&w.base_url, d)).collect();
    Ok(ok(json!({"domains": items, "links": collection_links(&w.base_url, "domains")})))
}

#[derive(Deserialize)]
struct DomainBody {
    domain: DomainFields,
}

#[derive(Deserialize)]
struct DomainFields {
    name: String,
    description: Option<String>,
    enabled: Option<bool>,
}

async fn create_domain(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<DomainBody>) -> ApiResult {
    c.require_admin("identity:create_domain")?;
    let mut w = sim.world();
    if w.identity.domain_by_name(&b.domain.name).is_some() {
        return Err(duplicate("domain", &b.domain.name));
    }
    let d = Domain {
        id: w.new_hex_id(),
        name: b.domain.name,
        description: b.domain.description.unwrap_or_default(),
        enabled: b.domain.enabled.unwrap_or(true),
    };
    let body = json!({"domain": domain_json(&w.base_url, &d)});
    w.identity.domains.insert(d.id.clone(), d);
    Ok(reply(StatusCode::CREATED, body))
}

async fn show_domain(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    admin_or(&c, c.domain_id.as_deref() == Some(&id), "identity:get_domain")?;
    let w = sim.world();
    let d = w.identity.domains.get(&id).ok_or_else(|| not_found("domain", &id))?;
    Ok(ok(json!({"domain": domain_json(&w.base_url, d)})))
}

async fn delete_domain(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:delete_domain")?;
    let mut w = sim.world();
    let d = w.identity.domains.get(&id).ok_or_else(|| not_found("domain", &id))?;
    if d.enabled {
        return Err(ApiError::forbidden("Cannot delete a domain that is enabled, please disable it first."));
    }
    w.identity.domains.remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_projects(State(sim): State<Sim>, c: Caller, Query(q): Filters) -> ApiResult {
    c.require_admin("identity:list_projects")?;
    let w = sim.world();
    let items: Vec<Value> = w
        .identity
        .projects
        .values()
        .filter(|p| name_filter(&q, &p.name) && domain_filter(&q, &p.domain_id))
        .map(|p| project_json(&w.base_url, p))
        .collect();
    Ok(ok(json!({"projects": items, "links": collection_links(&w.base_url, "projects")})))
}

#[derive(Deserialize)]
struct ProjectBody {
    project: ProjectFields,
}

#[derive(Deserialize)]
struct ProjectFields {
    name: Option<String>,
    domain_id: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

async fn create_project(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<ProjectBody>) -> ApiResult {
    c.require_admin("identity:create_project")?;
    let mut w = sim.world();
    let f = b.project;
    let name = f.name.ok_or_else(|| ApiError::bad_request("'name' is a required property"))?;
    let domain_id = f.domain_id.or(c.domain_id.clone()).unwrap_or_else(|| c.user_domain_id.clone());
    if !w.identity.domains.contains_key(&domain_id) {
        return Err(ApiError::bad_request(format!("Could not find domain: {domain_id}.")));
    }
    if w.identity.project_by_name(&name, &domain_id).is_some() {
        return Err(duplicate("project", &name));
    }
    let p = Project {
        id: w.new_hex_id(),
        name,
        domain_id,
        description: f.description.unwrap_or_default(),
        enabled: f.enabled.unwrap_or(true),
    };
    let body = json!({"project": project_json(&w.base_url, &p)});
    w.identity.projects.insert(p.id.clone(), p);
    Ok(reply(StatusCode::CREATED, body))
}

async fn show_project(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    admin_or(&c, c.project_id.as_deref() == Some(&id), "identity:get_project")?;
    let w = sim.world();
    let p = w.identity.projects.get(&id).ok_or_else(|| not_found("project", &id))?;
    Ok(ok(json!({"project": project_json(&w.base_url, p)})))
}

async fn update_project(
    State(sim): State<Sim>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ProjectBody>,
) -> ApiResult {
    c.require_admin("identity:update_project")?;
    let mut w = sim.world();
    let base = w.base_url.clone();
    let p = w.identity.projects.get_mut(&id).ok_or_else(|| not_found("project", &id))?;
    if let Some(v) = b.project.name {
        p.name = v;
    }
    if let Some(v) = b.project.description {
        p.description = v;
    }
    if let Some(v) = b.project.enabled {
        p.enabled = v;
    }
    Ok(ok(json!({"project": project_json(&base, p)})))
}

async fn delete_project(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:delete_project")?;
    let mut w = sim.world();
    w.identity.projects.remove(&id).ok_or_else(|| not_found("project", &id))?;
    w.identity.assignments.retain(|a| a.scope != Scope::Project(id.clone()));
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_users(State(sim): State<Sim>, c: Caller, Query(q): Filters) -> ApiResult {
    c.require_admin("identity:list_users")?;
    let w = sim.world();
    let items: Vec<Value> = w
        .identity
        .users
        .values()
        .filter(|u| name_filter(&q, &u.name) && domain_filter(&q, &u.domain_id))
        .map(|u| user_json(&w.base_url, u))
        .collect();
    Ok(ok(json!({"users": items, "links": collection_links(&w.base_url, "users")})))
}

#[derive(Deserialize)]
struct UserBody {
    user: UserFields,
}

#[derive(Deserialize)]
struct UserFields {
    name: Option<String>,
    domain_id: Option<String>,
    password: Option<String>,
    enabled: Option<bool>,
    email: Option<String>,
    default_project_id: Option<String>,
}

async fn create_user(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<UserBody>) -> ApiResult {
    c.require_admin("identity:create_user")?;
    let mut w = sim.world();
    let f = b.user;
    let name = f.name.ok_or_else(|| ApiError::bad_request("'name' is a required property"))?;
    let domain_id = f.domain_id.unwrap_or_else(|| c.user_domain_id.clone());
    if w.identity.user_by_name(&name, &domain_id).is_some() {
        return Err(duplicate("user", &name));
    }
    let u = User {
        id: w.new_hex_id(),
        name,
        domain_id,
        password: f.password.unwrap_or_default(),
        enabled: f.enabled.unwrap_or(true),
        email: f.email,
        default_project_id: f.default_project_id,
    };
    let body = json!({"user": user_json(&w.base_url, &u)});
    w.identity.users.insert(u.id.clone(), u);
    Ok(reply(StatusCode::CREATED, body))
}

async fn show_user(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    admin_or(&c, c.user_id == id, "identity:get_user")?;
    let w = sim.world();
    let u = w.identity.users.get(&id).ok_or_else(|| not_found("user", &id))?;
    Ok(ok(json!({"user": user_json(&w.base_url, u)})))
}

async fn update_user(
    State(sim): State<Sim>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<UserBody>,
) -> ApiResult {
    c.require_admin("identity:update_user")?;
    let mut w = sim.world();
    let base = w.base_url.clone();
    let u = w.identity.users.get_mut(&id).ok_or_else(|| not_found("user", &id))?;
    let f = b.user;
    if let Some(v) = f.name {
        u.name = v;
    }
    if let Some(v) = f.password {
        u.password = v;
    }
    if let Some(v) = f.enabled {
        u.enabled = v;
    }
    if let Some(v) = f.email {
        u.email = Some(v);
    }
    if let Some(v) = f.default_project_id {
        u.default_project_id = Some(v);
    }
    Ok(ok(json!({"user": user_json(&base, u)})))
}

async fn delete_user(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:delete_user")?;
    let mut w = sim.world();
    w.identity.users.remove(&id).ok_or_else(|| not_found("user", &id))?;
    w.identity.assignments.retain(|a| a.user_id != id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn user_projects(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    admin_or(&c, c.user_id == id, "identity:list_user_projects")?;
    let w = sim.world();
    let items: Vec<Value> = w
        .identity
        .projects
        .values()
        .filter(|p| !w.identity.roles_on(&id, &Scope::Project(p.id.clone())).is_empty())
        .map(|p| project_json(&w.base_url, p))
        .collect();
    Ok(ok(json!({"projects": items, "links": collection_links(&w.base_url, "projects")})))
}

async fn list_roles(State(sim): State<Sim>, _c: Caller, Query(q): Filters) -> Response {
    let w = sim.world();
    let items: Vec<Value> =
        w.identity.roles.values().filter(|r| name_filter(&q, &r.name)).map(|r| role_json(&w.base_url, r)).collect();
    ok(json!({"roles": items, "links": collection_links(&w.base_url, "roles")}))
}

#[derive(Deserialize)]
struct RoleBody {
    role: RoleFields,
}

#[derive(Deserialize)]
struct RoleFields {
    name: String,
}

async fn create_role(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<RoleBody>) -> ApiResult {
    c.require_admin("identity:create_role")?;
    let mut w = sim.world();
    if w.identity.role_by_name(&b.role.name).is_some() {
        return Err(duplicate("role", &b.role.name));
    }
    let r = Role { id: w.new_hex_id(), name: b.role.name };
    let body = json!({"role": role_json(&w.base_url, &r)});
    w.identity.roles.insert(r.id.clone(), r);
    Ok(reply(StatusCode::CREATED, body))
}

async fn show_role(State(sim): State<Sim>, _c: Caller, Path(id): Path<String>) -> ApiResult {
    let w = sim.world();
    let r = w.identity.roles.get(&id).ok_or_else(|| not_found("role", &id))?;
    Ok(ok(json!({"role": role_json(&w.base_url, r)})))
}

async fn delete_role(State(sim): State<Sim>, c: Caller, Path(id): Path<String>) -> ApiResult {
    c.require_admin("identity:delete_role")?;
    let mut w = sim.world();
    w.identity.roles.remove(&id).ok_or_else(|| not_found("role", &id))?;
    w.identity.assignments.retain(|a| a.role_id != id);
    w.identity.inferences.retain(|(prior, implied)| prior != &id && implied != &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_assignments(State(sim): State<Sim>, c: Caller, Query(q): Filters) -> ApiResult {
    let own = q.get("user.id") == Some(&c.user_id);
    admin_or(&c, own, "identity:list_role_assignments")?;
    let w = sim.world();
    let names = q.contains_key("include_names");
    // `effective` adds the roles each assignment implies, each linked to the
    // role it was inferred from; filters apply to the expanded list.
    let rows: Vec<(&Assignment, &str, Option<&str>)> = if q.contains_key("effective") {
        w.identity.assignments.iter().flat_map(|a| implied_rows(&w, a)).collect()
    } else {
        w.identity.assignments.iter().map(|a| (a, a.role_id.as_str(), None)).collect()
    };
    let items: Vec<Value> = rows
        .into_iter()
        .filter(|(a, _, _)| q.get("user.id").is_none_or(|u| &a.user_id == u))
        .filter(|(_, role, _)| q.get("role.id").is_none_or(|r| role == r))
        .filter(|(a, _, _)| q.get("scope.project.id").is_none_or(|p| a.scope == Scope::Project(p.clone())))
        .filter(|(a, _, _)| q.get("scope.domain.id").is_none_or(|d| a.scope == Scope::Domain(d.clone())))
        .map(|(a, role, prior)| {
            let mut v = assignment_json(&w, a.user_id.as_str(), role, &a.scope, names);
            if let Some(prior) = prior {
                v["links"]["prior_role"] = json!(format!("{}/v3/roles/{prior}", w.base_url));
            }
            v
        })
        .collect();
    Ok(ok(json!({"role_assignments": items, "links": collection_links(&w.base_url, "role_assignments")})))
}

/// An assignment and the roles it implies, transitively: `(assignment,
/// role, the role it was inferred from)`.
fn implied_rows<'w>(w: &'w World, a: &'w Assignment) -> Vec<(&'w Assignment, &'w str, Option<&'w str>)> {
    let mut rows: Vec<(&Assignment, &str, Option<&str>)> = vec![(a, a.role_id.as_str(), None)];
    let mut next = 0;
    while next < rows.len() {
        let prior = rows[next].1;
        for (p, implied) in &w.identity.inferences {
            if p == prior && !rows.iter().any(|r| r.1 == implied) {
                rows.push((a, implied.as_str(), Some(p.as_str())));
            }
        }
        next += 1;
    }
    rows
}

fn assignment_json(w: &World, user_id: &str, role_id: &str, scope: &Scope, names: bool) -> Value {
    let mut user = json!({"id": user_id});
    let mut role = json!({"id": role_id});
    let mut scope_json = match scope {
        Scope::Project(p) => json!({"project": {"id": p}}),
        Scope::Domain(d) => json!({"domain": {"id": d}}),
    };
    if names {
        if let Some(u) = w.identity.users.get(user_id) {
            user["name"] = json!(u.name);
            user["domain"] = domain_ref(w, &u.domain_id);
        }
        if let Some(r) = w.identity.roles.get(role_id) {
            role["name"] = json!(r.name);
        }
        if let Scope::Project(p) = scope {
            if let Some(p) = w.identity.projects.get(p) {
                scope_json["project"]["name"] = json!(p.name);
                scope_json["project"]["domain"] = domain_ref(w, &p.domain_id);
            }
        }
        if let Scope::Domain(d) = scope {
            scope_json["domain"] = domain_ref(w, d);
        }
    }
    json!({"user": user, "role": role, "scope": scope_json, "links": {"assignment": ""}})
}

fn domain_ref(w: &World, id: &str) -> Value {
    let name = w.identity.domains.get(id).map(|d| d.name.as_str()).unwrap_or("");
    json!({"id": id, "name": name})
}

#[derive(Deserialize)]
struct GrantPath {
    target: String,
    target_id: String,
    user_id: String,
    role_id: Option<String>,
}

/// Resolves `/projects/{id}` or `/domains/{id}` into a scope that exists,
/// and checks that the user and role exist.
fn grant_scope(w: &World, p: &GrantPath) -> ApiResult<Scope> {
    let scope = match p.target.as_str() {
        "projects" if w.identity.projects.contains_key(&p.target_id) => Scope::Project(p.target_id.clone()),
        "domains" if w.identity.domains.contains_key(&p.target_id) => Scope::Domain(p.target_id.clone()),
        "projects" => return Err(not_found("project", &p.target_id)),
        "domains" => return Err(not_found("domain", &p.target_id)),
        other => return Err(ApiError::not_found(format!("The resource could not be found: {other}"))),
    };
    if !w.identity.users.contains_key(&p.user_id) {
        return Err(not_found("user", &p.user_id));
    }
    if let Some(r) = &p.role_id {
        if !w.identity.roles.contains_key(r) {
            return Err(not_found("role", r));
        }
    }
    Ok(scope)
}

async fn list_grants(State(sim): State<Sim>, c: Caller, Path(p): Path<GrantPath>) -> ApiResult {
    c.require_admin("identity:list_grants")?;
    let w = sim.world();
    let scope = grant_scope(&w, &p)?;
    let roles: Vec<Value> =
        w.identity.roles_on(&p.user_id, &scope).into_iter().map(|r| role_json(&w.base_url, r)).collect();
    Ok(ok(json!({"roles": roles, "links": collection_links(&w.base_url, "roles")})))
}

async fn grant(State(sim): State<Sim>, c: Caller, Path(p): Path<GrantPath>) -> ApiResult {
    c.require_admin("identity:create_grant")?;
    let mut w = sim.world();
    let scope = grant_scope(&w, &p)?;
    let role_id = p.role_id.clone().unwrap_or_default();
    w.identity.assign(&p.user_id, &role_id, scope);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn check_grant(State(sim): State<Sim>, c: Caller, Path(p): Path<GrantPath>) -> ApiResult {
    c.require_admin("identity:check_grant")?;
    let w = sim.world();
    let scope = grant_scope(&w, &p)?;
    let role_id = p.role_id.clone().unwrap_or_default();
    if w.identity.roles_on(&p.user_id, &scope).iter().any(|r| r.id == role_id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(format!("Could not find role assignment with role: {role_id}.")))
    }
}

async fn revoke_grant(State(sim): State<Sim>, c: Caller, Path(p): Path<GrantPath>) -> ApiResult {
    c.require_admin("identity:revoke_grant")?;
    let mut w = sim.world();
    let scope = grant_scope(&w, &p)?;
    let role_id = p.role_id.clone().unwrap_or_default();
    let before = w.identity.assignments.len();
    w.identity.assignments.retain(|a| !(a.user_id == p.user_id && a.role_id == role_id && a.scope == scope));
    if w.identity.assignments.len() == before {
        return Err(ApiError::not_found(format!("Could not find role assignment with role: {role_id}.")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
