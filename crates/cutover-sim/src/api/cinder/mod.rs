/*!
Cinder v3 at `/volume`: version discovery, the `volume 3.x` microversion
negotiation, and the v3 API under `/volume/v3/{project_id}` (and, as Cinder
allows from 3.67, under `/volume/v3` without the project id).
*/

mod actions;
mod types;
mod volumes;

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, OriginalUri, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::microversion::{choose, requested};
use crate::api::{ok, reply};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::model::compute::Microversion;
use crate::model::volume::VolumeError;
use crate::sim::Sim;

pub const MIN_VERSION: Microversion = Microversion::new(3, 0);
pub const MAX_VERSION: Microversion = Microversion::new(3, 70);

/// Resource names that can follow `/v3/` directly, telling a project-less
/// URL from one carrying the project id.
const RESOURCES: [&str; 6] = ["volumes", "types", "limits", "os-availability-zone", "os-quota-sets", "attachments"];

pub fn routes() -> Router<Sim> {
    let api = || {
        Router::new().merge(volumes::routes()).merge(actions::routes()).merge(types::routes()).layer(from_fn(negotiate))
    };
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(v3_versions))
        .nest("/v3/{project_id}", api())
        .nest("/v3", api())
}

impl From<VolumeError> for ApiError {
    fn from(e: VolumeError) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, e.to_string())
    }
}

fn version_doc(base: &str) -> Value {
    json!({"id": "v3.0", "status": "CURRENT", "version": MAX_VERSION.to_string(), "min_version": MIN_VERSION.to_string(),
        "updated": "2023-08-31T00:00:00Z",
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": format!("{base}/volume/v3/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]})
}

/// The unversioned root lists every version with 300.
async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::MULTIPLE_CHOICES, json!({"versions": [version_doc(&base)]}))
}

/// `/v3/` answers 200 with the same list, as Cinder's versions controller.
async fn v3_versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    ok(json!({"versions": [version_doc(&base)]}))
}

#[derive(Debug, Clone, Copy)]
struct Negotiated(Microversion);

/// Middleware: `OpenStack-API-Version: volume 3.x` (none = 3.0, `latest` =
/// 3.70); 400 when malformed, 406 outside the range; echoed on the response.
async fn negotiate(mut req: Request, next: Next) -> Response {
    let asked = requested(req.headers(), "volume", None);
    let version = match choose(asked.as_deref(), MIN_VERSION, MAX_VERSION) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    req.extensions_mut().insert(Negotiated(version));
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("openstack-api-version", HeaderValue::from_str(&format!("volume {version}")).expect("ascii"));
    h.insert("vary", HeaderValue::from_static("OpenStack-API-Version"));
    resp
}

/// What every Cinder v3 handler needs: the caller, the negotiated version
/// and the project the URL names (the token's when the URL has none).
#[derive(Debug, Clone)]
pub struct Cinder {
    pub caller: Caller,
    pub version: Microversion,
    pub url_project: String,
}

impl Cinder {
    pub fn at_least(&self, minor: u32) -> bool {
        self.version.at_least(minor)
    }

    /// The project of the caller's token.
    pub fn project(&self) -> Result<&str, ApiError> {
        self.caller.project()
    }

    /// `{base}/volume/v3/{project}/{rest}`, for `links`.
    pub fn href(&self, base: &str, rest: &str) -> String {
        format!("{base}/volume/v3/{}/{rest}", self.url_project)
    }
}

/// The `{id}` of a route, whether or not the URL also carries the project
/// id (a plain `Path<String>` would fail on the two-parameter form).
pub struct Id(pub String);

impl FromRequestParts<Sim> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Id, ApiError> {
        let Path(params) = Path::<BTreeMap<String, String>>::from_request_parts(parts, sim)
            .await
            .map_err(|_| ApiError::not_found("The resource could not be found."))?;
        params.get("id").cloned().map(Id).ok_or_else(|| ApiError::not_found("The resource could not be found."))
    }
}

impl FromRequestParts<Sim> for Cinder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Cinder, ApiError> {
        let uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |u| &u.0);
        let in_url = uri.path().split('/').nth(3).filter(|s| !RESOURCES.contains(s)).map(String::from);
        let version = parts.extensions.get::<Negotiated>().map_or(MIN_VERSION, |n| n.0);
        let caller = Caller::from_request_parts(parts, sim).await?;
        let own = caller.project()?.to_string();
        // Cinder refuses a URL naming another project unless the caller is an admin.
        if in_url.as_deref().is_some_and(|p| p != own) && !caller.is_admin() {
            return Err(ApiError::bad_request("Malformed request url"));
        }
        Ok(Cinder { url_project: in_url.unwrap_or(own), caller, version })
    }
}
