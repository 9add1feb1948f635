/*!
What the admin handlers share: Nova's policy checks and their 403s, the
`{id}` of a route, the one action of an action body, and query booleans.
*/

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::nova::lookup::region;
use crate::api::nova::Nova;
use crate::error::ApiError;
use crate::model::compute::Microversion;
use crate::model::World;

/// Nova's policy check: `rule` is the policy name in the 403 message.
pub(super) fn admin(nova: &Nova, rule: &str) -> Result<(), ApiError> {
    nova.caller.require_admin(rule)
}

/// Nova's `project_member_or_admin` rule for writes to a project's own
/// resources. Nova enforces its new defaults from 2023.1 (2.95): the token
/// needs the `member` role (an implied one counts) or `admin`. An older
/// Nova's `admin_or_owner` takes any role on the token's project.
pub(super) fn project_member(w: &World, nova: &Nova, rule: &str) -> Result<(), ApiError> {
    let new_defaults = region(w, nova)?.max_version.is_some_and(|v| v >= Microversion::new(2, 95));
    let roles = &nova.caller.roles;
    if !new_defaults || roles.iter().any(|r| r == "member" || r == "admin") {
        Ok(())
    } else {
        Err(ApiError::policy(rule))
    }
}

/// An API a microversion removed (or not yet added) answers 404 as Nova's
/// router does for versions outside a method's range.
pub(super) fn requires(ok: bool) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::not_found("The resource could not be found."))
    }
}

/// Parses a boolean query value the way oslo's `bool_from_string` does
/// (strict): 400 for anything else.
pub(super) fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Ok(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Ok(false),
        _ => Err(ApiError::bad_request(format!("Invalid value '{value}' for {name}."))),
    }
}

/// A response with no body (Nova's 202s and 204s).
pub(super) fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// The one action of a `POST .../action` body: its name and argument.
pub(super) fn action(body: &serde_json::Value) -> Result<(&str, &serde_json::Value), ApiError> {
    match body.as_object() {
        Some(o) if o.len() == 1 => Ok(o.iter().next().map(|(k, v)| (k.as_str(), v)).expect("one entry")),
        _ => Err(ApiError::bad_request("There is no such action.")),
    }
}

/// The `{id}` of a route (nested under `/compute/{region}`, whose
/// parameter a plain `Path<String>` would trip over).
pub(super) struct Id(pub(super) String);

#[derive(Deserialize)]
struct IdParams {
    id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Id, ApiError> {
        let Path(p) = Path::<IdParams>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(Id(p.id))
    }
}

/// The `{id}` and `{key}` of an extra spec's route.
#[derive(Deserialize)]
pub(super) struct IdKey {
    pub(super) id: String,
    pub(super) key: String,
}
