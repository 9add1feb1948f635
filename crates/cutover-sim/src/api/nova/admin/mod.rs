/*!
Nova's APIs besides servers: flavors, keypairs, quotas and limits, server
groups, aggregates and zones, services, hypervisors and the nova-network
proxies. One module per resource; this one merges their routers and holds
the small helpers they share.
*/

mod aggregates;
mod flavor_access;
mod flavors;
mod hypervisors;
mod keypairs;
mod neutron_proxy;
mod nova_network;
mod quotas;
mod server_groups;
mod services;
mod zones;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;

use serde::Deserialize;

use super::Nova;
use crate::error::ApiError;
use crate::model::compute::Microversion;
use crate::model::{ComputeRegion, World};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .merge(flavors::routes())
        .merge(flavor_access::routes())
        .merge(keypairs::routes())
        .merge(quotas::routes())
        .merge(server_groups::routes())
        .merge(aggregates::routes())
        .merge(services::routes())
        .merge(zones::routes())
        .merge(hypervisors::routes())
        .merge(nova_network::routes())
}

/// The caller's region (the microversion layer already checked it exists).
fn region<'w>(w: &'w World, nova: &Nova) -> Result<&'w ComputeRegion, ApiError> {
    w.compute_region(&nova.region)
        .ok_or_else(|| ApiError::not_found(format!("No compute service in region {}.", nova.region)))
}

fn region_mut<'w>(w: &'w mut World, nova: &Nova) -> Result<&'w mut ComputeRegion, ApiError> {
    w.compute_region_mut(&nova.region)
        .ok_or_else(|| ApiError::not_found(format!("No compute service in region {}.", nova.region)))
}

/// Nova's policy check: `rule` is the policy name in the 403 message.
fn admin(nova: &Nova, rule: &str) -> Result<(), ApiError> {
    nova.caller.require_admin(rule)
}

/// Nova's `project_member_or_admin` rule for writes to a project's own
/// resources. Nova enforces its new defaults from 2023.1 (2.95): the token
/// needs the `member` role (an implied one counts) or `admin`. An older
/// Nova's `admin_or_owner` takes any role on the token's project.
fn project_member(w: &World, nova: &Nova, rule: &str) -> Result<(), ApiError> {
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
fn requires(ok: bool) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::not_found("The resource could not be found."))
    }
}

/// Parses a boolean query value the way oslo's `bool_from_string` does
/// (strict): 400 for anything else.
fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Ok(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Ok(false),
        _ => Err(ApiError::bad_request(format!("Invalid value '{value}' for {name}."))),
    }
}

/// A response with no body (Nova's 202s and 204s).
fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// The one action of a `POST .../action` body: its name and argument.
fn action(body: &serde_json::Value) -> Result<(&str, &serde_json::Value), ApiError> {
    match body.as_object() {
        Some(o) if o.len() == 1 => Ok(o.iter().next().map(|(k, v)| (k.as_str(), v)).expect("one entry")),
        _ => Err(ApiError::bad_request("There is no such action.")),
    }
}

/// The `{id}` of a route (nested under `/compute/{region}`, whose
/// parameter a plain `Path<String>` would trip over).
struct Id(String);

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
struct IdKey {
    id: String,
    key: String,
}
