/*!
API errors, written once and rendered in each service's own error format.

Handlers return [`ApiError`] without knowing which service they belong to
in wire terms; the per-service layer ([`render_errors`]) turns it into
Keystone's `{"error": ...}`, Nova's and Cinder's `{"itemNotFound": ...}`,
Neutron's `{"NeutronError": ...}` or Glance's webob body.
*/

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::service::ServiceKind;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Neutron's error `type` (e.g. `PortNotFound`); ignored by others.
    pub neutron_type: Option<&'static str>,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), neutron_type: None, retry_after: None }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }
    /// Nova's and Neutron's answer to an action its policy forbids.
    pub fn policy(action: &str) -> ApiError {
        ApiError::forbidden(format!("Policy doesn't allow {action} to be performed."))
    }
    pub fn with_type(mut self, neutron_type: &'static str) -> ApiError {
        self.neutron_type = Some(neutron_type);
        self
    }
}

impl IntoResponse for ApiError {
    /// An unrendered error: the service layer fills in the body.
    fn into_response(self) -> Response {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = self.status;
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Middleware: renders [`ApiError`]s (and axum's own bare 404/405/4xx
/// rejections) in the service's error format.
pub async fn render_errors(service: ServiceKind, req: Request, next: Next) -> Response {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|a| a.contains("json") || a.contains("*/*"));
    let resp = next.run(req).await;
    let status = resp.status();
    let error = match resp.extensions().get::<ApiError>() {
        Some(e) => e.clone(),
        None if status.is_client_error() && is_bare(&resp) => ApiError::new(status, default_message(status)),
        None => return resp,
    };
    render(service, &error, wants_json, resp)
}

fn is_bare(resp: &Response) -> bool {
    // axum's rejections are plain text; ours are rendered JSON already.
    resp.headers().get(header::CONTENT_TYPE).is_none_or(|ct| !ct.as_bytes().starts_with(b"application/json"))
}

fn default_message(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "The resource could not be found.".into(),
        StatusCode::METHOD_NOT_ALLOWED => "The method is not allowed for the requested URL.".into(),
        _ => status.canonical_reason().unwrap_or("Error").to_string(),
    }
}

/// Nova's and Cinder's name for an error code (`Fault._error_code_to_str`).
fn nova_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

fn neutron_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "NotAuthenticated",
        403 => "PolicyNotAuthorized",
        404 => "NotFound",
        409 => "Conflict",
        429 => "OverQuota",
        503 => "ServiceUnavailable",
        _ => "NeutronException",
    }
}

fn render(service: ServiceKind, e: &ApiError, wants_json: bool, old: Response) -> Response {
    let code = e.status.as_u16();
    let title = e.status.canonical_reason().unwrap_or("Error");
    let body = match service {
        ServiceKind::Identity | ServiceKind::Sim => {
            json!({"error": {"code": code, "message": e.message, "title": title}})
        }
        ServiceKind::Compute | ServiceKind::Volume => {
            json!({ nova_key(e.status): {"code": code, "message": e.message} })
        }
        ServiceKind::Network => json!({"NeutronError": {
            "type": e.neutron_type.unwrap_or_else(|| neutron_type(e.status)),
            "message": e.message,
            "detail": ""
        }}),
        ServiceKind::Image if wants_json => {
            json!({"message": e.message, "code": format!("{code} {title}"), "title": title})
        }
        ServiceKind::Image => {
            let text = format!("{code} {title}\n\n{}\n\n   ", e.message);
            return finish(old, e, Body::from(text), "text/plain; charset=UTF-8");
        }
    };
    // Nova's faults are webob responses, which add the charset.
    let content_type =
        if service == ServiceKind::Compute { "application/json; charset=UTF-8" } else { "application/json" };
    finish(old, e, Body::from(body.to_string()), content_type)
}

/// Renders an error that never reached a handler (an injected fault).
pub fn render_for(service: ServiceKind, error: ApiError, wants_json: bool) -> Response {
    let old = Response::new(Body::empty());
    let mut resp = render(service, &error, wants_json, old);
    *resp.status_mut() = error.status;
    resp
}

fn finish(old: Response, e: &ApiError, body: Body, content_type: &'static str) -> Response {
    let (mut parts, _) = old.into_parts();
    parts.extensions.remove::<ApiError>();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(secs) = e.retry_after {
        parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Response::from_parts(parts, body)
}
