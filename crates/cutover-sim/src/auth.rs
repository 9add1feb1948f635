/*!
Who is calling: the [`Caller`] extractor validates `X-Auth-Token` against
Keystone's tokens and yields the user, the scope and the role names, as
keystonemiddleware hands them to each service.
*/

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::model::identity::{Scope, Token};
use crate::model::World;
use crate::sim::Sim;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub user_name: String,
    pub user_domain_id: String,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub domain_id: Option<String>,
    /// Role names held on the token's scope, implied roles included.
    pub roles: Vec<String>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }

    /// The project the token is scoped to, or 403 as services answer
    /// domain-scoped or unscoped tokens.
    pub fn project(&self) -> Result<&str, ApiError> {
        self.project_id.as_deref().ok_or_else(|| ApiError::forbidden("A project-scoped token is required."))
    }

    /// Fails with the policy error unless the caller is an admin.
    pub fn require_admin(&self, action: &str) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::policy(action))
        }
    }

    /// Whether the caller may see a resource owned by `project_id`.
    pub fn can_see_project(&self, project_id: &str) -> bool {
        self.is_admin() || self.project_id.as_deref() == Some(project_id)
    }
}

/// Validates a token id, returning the token when it is live. Keystone
/// re-reads a scoped token's roles at validation (`_validate_project_scope`):
/// once the user holds no role on the scope, the token is no longer valid.
pub fn live_token<'w>(world: &'w World, token_id: &str) -> Option<&'w Token> {
    let token = world.identity.tokens.get(token_id)?;
    let user_ok = world.identity.users.get(&token.user_id).is_some_and(|u| u.enabled);
    let scope_ok = token.scope.as_ref().is_none_or(|s| !world.identity.roles_on(&token.user_id, s).is_empty());
    (!token.revoked && token.expires_at > world.now && user_ok && scope_ok).then_some(token)
}

/// The caller a live token stands for.
pub fn caller_of(world: &World, token: &Token) -> Caller {
    let id = &world.identity;
    let user = &id.users[&token.user_id];
    let roles = match &token.scope {
        Some(scope) => id.effective_roles_on(&token.user_id, scope).into_iter().map(|r| r.name.clone()).collect(),
        None => Vec::new(),
    };
    let (project_id, domain_id) = match &token.scope {
        Some(Scope::Project(p)) => (Some(p.clone()), None),
        Some(Scope::Domain(d)) => (None, Some(d.clone())),
        None => (None, None),
    };
    Caller {
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        user_domain_id: user.domain_id.clone(),
        project_name: project_id.as_ref().and_then(|p| id.projects.get(p)).map(|p| p.name.clone()),
        project_id,
        domain_id,
        roles,
    }
}

impl FromRequestParts<Sim> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Caller, ApiError> {
        let token_id = parts
            .headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("The request you have made requires authentication."))?;
        let world = sim.world();
        let token = live_token(&world, token_id)
            .ok_or_else(|| ApiError::unauthorized("The request you have made requires authentication."))?;
        Ok(caller_of(&world, token))
    }
}
