/*!
Compute microversion negotiation, as Nova's API does it: the requested
version comes from `OpenStack-API-Version: compute X.Y` or the legacy
`X-OpenStack-Nova-API-Version: X.Y`; none means the minimum, `latest` the
maximum; a malformed one is 400 and one outside the region's range 406.
Every response says which version served it.
*/

use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::common::RequestId;
use crate::api::microversion::{choose, requested};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::model::compute::{Microversion, Requested};
use crate::sim::Sim;

/// The `{region}` path parameter of every Nova route.
#[derive(Debug, Deserialize)]
pub struct RegionPath {
    pub region: String,
}

/// The negotiated version of this request, stored by [`negotiate`].
#[derive(Debug, Clone, Copy)]
struct Negotiated(Microversion);

/// The region of a `/compute/{region}/...` URI (nested routers see only
/// the rest of the path, so this reads the original URI).
fn region_of(uri: &axum::http::Uri) -> String {
    uri.path().split('/').nth(2).unwrap_or("").to_string()
}

/// Middleware on `/compute/{region}/v2.1`.
pub async fn negotiate(State(sim): State<Sim>, mut req: Request, next: Next) -> Response {
    let region = region_of(req.extensions().get::<OriginalUri>().map_or(req.uri(), |u| &u.0));
    let range = {
        let w = sim.world();
        w.compute_region(&region).map(|r| {
            let min = r.min_version.unwrap_or(Microversion::new(2, 1));
            (min, r.max_version.unwrap_or(min))
        })
    };
    let Some((min, max)) = range else {
        return ApiError::not_found(format!("No compute service in region {region}.")).into_response();
    };
    let asked = requested(req.headers(), "compute", Some("x-openstack-nova-api-version"));
    let version = match choose(asked.as_deref(), min, max) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    req.extensions_mut().insert(Negotiated(version));
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("openstack-api-version", HeaderValue::from_str(&format!("compute {version}")).expect("ascii"));
    h.insert("x-openstack-nova-api-version", HeaderValue::from_str(&version.to_string()).expect("ascii"));
    h.insert("vary", HeaderValue::from_static("OpenStack-API-Version, X-OpenStack-Nova-API-Version"));
    resp
}

/// What every Nova handler needs: the region, the negotiated microversion,
/// the authenticated caller and the request's id.
#[derive(Debug, Clone)]
pub struct Nova {
    pub region: String,
    pub version: Microversion,
    pub caller: Caller,
    pub request_id: String,
}

impl Nova {
    /// Whether the request's microversion is at least 2.`minor`.
    pub fn at_least(&self, minor: u32) -> bool {
        self.version.at_least(minor)
    }

    /// Who asked, as an instance action records it.
    pub fn requested(&self) -> Requested {
        Requested {
            request_id: self.request_id.clone(),
            user_id: self.caller.user_id.clone(),
            project_id: self.caller.project_id.clone(),
        }
    }
}

impl FromRequestParts<Sim> for Nova {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Nova, ApiError> {
        let region = region_of(parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |u| &u.0));
        let version = parts.extensions.get::<Negotiated>().map(|n| n.0).unwrap_or(Microversion::new(2, 1));
        let caller = Caller::from_request_parts(parts, sim).await?;
        let request_id = parts.extensions.get::<RequestId>().map_or_else(String::new, |r| r.0.clone());
        Ok(Nova { region, version, caller, request_id })
    }
}
