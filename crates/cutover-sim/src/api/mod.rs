/*!
The HTTP surface: one router per service, mounted where the catalog points,
each wrapped in its error renderer and request counter.

Layout: Keystone at `/` (`/v3`), Nova per region at `/compute/{region}`,
Glance at `/image`, Neutron at `/network`, Cinder at `/volume`, and the
simulator's own extension at `/sim`.
*/

pub mod cinder;
pub mod common;
pub mod glance;
pub mod keystone;
pub mod microversion;
pub mod neutron;
pub mod nova;
pub mod simext;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::Response;
use axum::Router;

use crate::error::{render_errors, ApiError};
use crate::service::ServiceKind;
use crate::sim::{apply_faults, count_requests, Sim};

/// The whole simulator as one router.
pub fn router(sim: Sim) -> Router {
    let service = |kind: ServiceKind, routes: Router<Sim>| {
        routes
            .fallback(not_found)
            .route_layer(from_fn_with_state(sim.clone(), count_requests))
            .layer(from_fn(move |req, next| render_errors(kind, req, next)))
            .layer(from_fn(move |req, next| common_headers(kind, req, next)))
    };
    Router::new()
        .nest("/compute/{region}", service(ServiceKind::Compute, nova::routes(sim.clone())))
        .nest("/image", service(ServiceKind::Image, glance::routes()))
        .nest("/network", service(ServiceKind::Network, neutron::routes()))
        .nest("/volume", service(ServiceKind::Volume, cinder::routes()))
        .nest("/sim", service(ServiceKind::Sim, simext::routes()))
        .merge(service(ServiceKind::Identity, keystone::routes()))
        .fallback(|| async {
            crate::error::render_for(
                ServiceKind::Identity,
                ApiError::not_found("The resource could not be found."),
                true,
            )
        })
        .layer(from_fn_with_state(sim.clone(), apply_faults))
        .with_state(sim)
}

/// oslo.middleware's request id on every answer (errors included), which
/// clients log; Nova repeats it as `x-compute-request-id`. Not a record,
/// so not from the seeded id generator. Nova also types its bodiless
/// 202/204 answers as JSON.
async fn common_headers(kind: ServiceKind, mut req: Request, next: Next) -> Response {
    let id = format!("req-{}", uuid::Uuid::new_v4());
    req.extensions_mut().insert(common::RequestId(id.clone()));
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        if kind == ServiceKind::Compute {
            headers.insert("x-compute-request-id", value.clone());
        }
        headers.insert("x-openstack-request-id", value);
    }
    if kind == ServiceKind::Compute && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    resp
}

/// Unknown URLs: 404 in the error format of the service owning the prefix.
async fn not_found() -> ApiError {
    ApiError::not_found("The resource could not be found.")
}
