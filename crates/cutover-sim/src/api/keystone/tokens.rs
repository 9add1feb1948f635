/*!
`/v3/auth/tokens`: password and token authentication with project, domain or
no scope; validation, revocation, and the catalog a scoped token carries.
*/

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::common::{ok, reply, JsonBody};
use crate::auth::{caller_of, live_token, Caller};
use crate::error::{ApiError, ApiResult};
use crate::model::identity::{Scope, Token};
use crate::model::{iso_micros_z, World};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/v3/auth/tokens", get(validate).head(check).post(issue).delete(revoke))
        .route("/v3/auth/catalog", get(catalog))
        .route("/v3/auth/projects", get(my_projects))
        .route("/v3/auth/domains", get(my_domains))
}

/// Token lifetime, as Keystone's default `[token] expiration`.
const TOKEN_LIFETIME_SECS: i64 = 3600;

#[derive(Deserialize)]
struct AuthRequest {
    auth: Auth,
}

#[derive(Deserialize)]
struct Auth {
    identity: IdentityReq,
    #[serde(default)]
    scope: Option<ScopeReq>,
}

#[derive(Deserialize)]
struct IdentityReq {
    methods: Vec<String>,
    #[serde(default)]
    password: Option<PasswordReq>,
    #[serde(default)]
    token: Option<TokenReq>,
}

#[derive(Deserialize)]
struct PasswordReq {
    user: UserRef,
}

#[derive(Deserialize)]
struct UserRef {
    id: Option<String>,
    name: Option<String>,
    domain: Option<NamedRef>,
    password: String,
}

#[derive(Deserialize)]
struct TokenReq {
    id: String,
}

#[derive(Deserialize)]
struct NamedRef {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeReq {
    Project {
        project: ProjectRef,
    },
    Domain {
        domain: NamedRef,
    },
    /// System scope and anything else Keystone may add.
    Other(#[allow(dead_code)] Value),
}

#[derive(Deserialize)]
struct ProjectRef {
    id: Option<String>,
    name: Option<String>,
    domain: Option<NamedRef>,
}

#[derive(Deserialize, Default)]
struct CatalogQuery {
    nocatalog: Option<String>,
}

fn unauthorized() -> ApiError {
    ApiError::unauthorized("The request you have made requires authentication.")
}

fn resolve_domain(world: &World, r: &NamedRef) -> ApiResult<String> {
    let found = match (&r.id, &r.name) {
        (Some(id), _) => world.identity.domains.get(id),
        (None, Some(name)) => world.identity.domain_by_name(name),
        _ => None,
    };
    found.filter(|d| d.enabled).map(|d| d.id.clone()).ok_or_else(unauthorized)
}

/// Checks the credentials and returns the authenticated user's id, and the
/// methods used.
fn authenticate(world: &World, identity: &IdentityReq) -> ApiResult<(String, Vec<String>)> {
    if identity.methods.iter().any(|m| m == "password") {
        let user_ref = &identity.password.as_ref().ok_or_else(|| ApiError::bad_request("password is required"))?.user;
        let user = match (&user_ref.id, &user_ref.name, &user_ref.domain) {
            (Some(id), _, _) => world.identity.users.get(id),
            (None, Some(name), Some(domain)) => {
                let domain_id = resolve_domain(world, domain)?;
                world.identity.user_by_name(name, &domain_id)
            }
            _ => return Err(ApiError::bad_request("Expecting to find domain in user.")),
        };
        let user = user.filter(|u| u.enabled && u.password == user_ref.password).ok_or_else(unauthorized)?;
        return Ok((user.id.clone(), vec!["password".into()]));
    }
    if identity.methods.iter().any(|m| m == "token") {
        let token_id = &identity.token.as_ref().ok_or_else(|| ApiError::bad_request("token is required"))?.id;
        let token = live_token(world, token_id).ok_or_else(unauthorized)?;
        let mut methods = token.methods.clone();
        if !methods.iter().any(|m| m == "token") {
            methods.push("token".into());
        }
        return Ok((token.user_id.clone(), methods));
    }
    Err(ApiError::unauthorized("Attempted to authenticate with an unsupported method."))
}

fn resolve_scope(world: &World, user_id: &str, scope: Option<&ScopeReq>) -> ApiResult<Option<Scope>> {
    let scope = match scope {
        None => return Ok(None),
        Some(ScopeReq::Project { project }) => {
            let found = match (&project.id, &project.name, &project.domain) {
                (Some(id), _, _) => world.identity.projects.get(id),
                (None, Some(name), Some(domain)) => {
                    let domain_id = resolve_domain(world, domain)?;
                    world.identity.project_by_name(name, &domain_id)
                }
                _ => return Err(ApiError::bad_request("Expecting to find domain in project.")),
            };
            let project = found.filter(|p| p.enabled).ok_or_else(unauthorized)?;
            Scope::Project(project.id.clone())
        }
        Some(ScopeReq::Domain { domain }) => Scope::Domain(resolve_domain(world, domain)?),
        Some(ScopeReq::Other(_)) => return Err(ApiError::unauthorized("System scope is not supported by this cloud.")),
    };
    if world.identity.roles_on(user_id, &scope).is_empty() {
        let what = match &scope {
            Scope::Project(p) => format!("project {p}"),
            Scope::Domain(d) => format!("domain {d}"),
        };
        return Err(ApiError::unauthorized(format!("User {user_id} has no access to {what}.")));
    }
    Ok(Some(scope))
}

async fn issue(
    State(sim): State<Sim>,
    Query(q): Query<CatalogQuery>,
    JsonBody(req): JsonBody<AuthRequest>,
) -> ApiResult {
    let mut world = sim.world();
    let (user_id, methods) = authenticate(&world, &req.auth.identity)?;
    let scope = resolve_scope(&world, &user_id, req.auth.scope.as_ref())?;
    let token = Token {
        id: format!("gAAAAA{}{}", world.new_hex_id(), world.new_hex_id()),
        user_id,
        scope,
        methods,
        issued_at: world.now,
        expires_at: world.now + Duration::seconds(TOKEN_LIFETIME_SECS),
        audit_id: world.new_hex_id()[..22].to_string(),
        revoked: false,
    };
    world.identity.tokens.insert(token.id.clone(), token.clone());
    let body = token_body(&world, &token, q.nocatalog.is_none());
    let mut resp = reply(StatusCode::CREATED, body);
    resp.headers_mut().insert("x-subject-token", HeaderValue::from_str(&token.id).expect("token ids are ASCII"));
    Ok(resp)
}

fn subject(world: &World, headers: &HeaderMap) -> ApiResult<Token> {
    let id = headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("X-Subject-Token is required"))?;
    live_token(world, id).cloned().ok_or_else(|| ApiError::not_found(format!("Could not find token: {id}.")))
}

async fn validate(
    State(sim): State<Sim>,
    _caller: Caller,
    Query(q): Query<CatalogQuery>,
    headers: HeaderMap,
) -> ApiResult {
    let world = sim.world();
    let token = subject(&world, &headers)?;
    let mut resp = ok(token_body(&world, &token, q.nocatalog.is_none()));
    resp.headers_mut().insert("x-subject-token", HeaderValue::from_str(&token.id).expect("token ids are ASCII"));
    Ok(resp)
}

async fn check(State(sim): State<Sim>, _caller: Caller, headers: HeaderMap) -> ApiResult {
    subject(&sim.world(), &headers)?;
    Ok(StatusCode::OK.into_response())
}

async fn revoke(State(sim): State<Sim>, _caller: Caller, headers: HeaderMap) -> ApiResult {
    let mut world = sim.world();
    let token = subject(&world, &headers)?;
    if let Some(t) = world.identity.tokens.get_mut(&token.id) {
        t.revoked = true;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn catalog(State(sim): State<Sim>, headers: HeaderMap) -> ApiResult {
    let world = sim.world();
    let token_id = headers.get("x-auth-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let token = live_token(&world, token_id).ok_or_else(unauthorized)?;
    let project = match &token.scope {
        Some(Scope::Project(p)) => Some(p.as_str()),
        _ => None,
    };
    let base = &world.base_url;
    // The catalog is not a paged collection: its links carry `self` only.
    Ok(ok(json!({"catalog": catalog_json(&world, project), "links": {"self": format!("{base}/v3/auth/catalog")}})))
}

async fn my_projects(State(sim): State<Sim>, caller: Caller) -> Response {
    let world = sim.world();
    let id = &world.identity;
    let projects: Vec<Value> = id
        .projects
        .values()
        .filter(|p| !id.roles_on(&caller.user_id, &Scope::Project(p.id.clone())).is_empty())
        .map(|p| super::admin::project_json(&world.base_url, p))
        .collect();
    ok(json!({"projects": projects, "links": super::links::collection_links(&world.base_url, "auth/projects")}))
}

async fn my_domains(State(sim): State<Sim>, caller: Caller) -> Response {
    let world = sim.world();
    let id = &world.identity;
    let domains: Vec<Value> = id
        .domains
        .values()
        .filter(|d| !id.roles_on(&caller.user_id, &Scope::Domain(d.id.clone())).is_empty())
        .map(|d| super::admin::domain_json(&world.base_url, d))
        .collect();
    ok(json!({"domains": domains, "links": super::links::collection_links(&world.base_url, "auth/domains")}))
}

fn named(world: &World, domain_id: &str) -> Value {
    let name = world.identity.domains.get(domain_id).map(|d| d.name.as_str()).unwrap_or("");
    json!({"id": domain_id, "name": name})
}

fn token_body(world: &World, token: &Token, with_catalog: bool) -> Value {
    let id = &world.identity;
    let user = &id.users[&token.user_id];
    let caller = caller_of(world, token);
    let mut body = json!({
        "methods": token.methods,
        "user": {"id": user.id, "name": user.name, "domain": named(world, &user.domain_id), "password_expires_at": null},
        "audit_ids": [token.audit_id],
        "issued_at": iso_micros_z(&token.issued_at),
        "expires_at": iso_micros_z(&token.expires_at),
    });
    let scoped_project = match &token.scope {
        Some(Scope::Project(p)) => {
            let project = &id.projects[p];
            body["project"] =
                json!({"id": project.id, "name": project.name, "domain": named(world, &project.domain_id)});
            body["is_domain"] = json!(false);
            Some(p.as_str())
        }
        Some(Scope::Domain(d)) => {
            body["domain"] = named(world, d);
            None
        }
        None => None,
    };
    if token.scope.is_some() {
        let roles: Vec<Value> = caller
            .roles
            .iter()
            .filter_map(|n| id.role_by_name(n))
            .map(|r| json!({"id": r.id, "name": r.name}))
            .collect();
        body["roles"] = json!(roles);
        if with_catalog {
            body["catalog"] = json!(catalog_json(world, scoped_project));
        }
    }
    json!({ "token": body })
}

/// The service catalog, with `$(project_id)s` templates filled in. Endpoints
/// that need a project are left out of tokens without one, as Keystone does.
pub fn catalog_json(world: &World, project_id: Option<&str>) -> Vec<Value> {
    let id = &world.identity;
    id.services
        .values()
        .filter(|s| s.enabled)
        .map(|s| {
            let endpoints: Vec<Value> = id
                .endpoints
                .values()
                .filter(|e| e.service_id == s.id && e.enabled)
                .filter_map(|e| {
                    let url = fill_template(&e.url, project_id)?;
                    Some(json!({
                        "id": e.id, "interface": e.interface, "region_id": e.region_id,
                        "region": e.region_id, "url": url
                    }))
                })
                .collect();
            json!({"id": s.id, "type": s.kind, "name": s.name, "endpoints": endpoints})
        })
        .collect()
}

fn fill_template(url: &str, project_id: Option<&str>) -> Option<String> {
    let templated = url.contains("$(project_id)s") || url.contains("%(project_id)s") || url.contains("%(tenant_id)s");
    match (templated, project_id) {
        (false, _) => Some(url.to_string()),
        (true, Some(p)) => {
            Some(url.replace("$(project_id)s", p).replace("%(project_id)s", p).replace("%(tenant_id)s", p))
        }
        (true, None) => None,
    }
}
