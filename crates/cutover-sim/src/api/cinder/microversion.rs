/*!
What a Cinder v3 handler learns from its request: the `volume 3.x`
microversion negotiated by [`negotiate`], the caller and project
([`Cinder`]), and the record id in the path ([`Id`]).
*/

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, OriginalUri, Path, Request};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::microversion::{choose, requested};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::model::compute::Microversion;
use crate::sim::Sim;

pub const MIN_VERSION: Microversion = Microversion::new(3, 0);
pub const MAX_VERSION: Microversion = Microversion::new(3, 70);

/// Resource names that can follow `/v3/` directly, telling a project-less
/// URL from one carrying the project id.
const RESOURCES: [&str; 6] = ["volumes", "types", "limits", "os-availability-zone", "os-quota-sets", "attachments"];

#[derive(Debug, Clone, Copy)]
struct Negotiated(Microversion);

/// Middleware: `OpenStack-API-Version: volume 3.x` (none = 3.0, `latest` =
/// 3.70); 400 when malformed, 406 outside the range; echoed on the response.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
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
