/*!
What every service's handlers share: JSON replies, JSON request bodies
whose errors are 400s in the service's format, and marker/limit paging.
*/

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON response with the given status.
pub fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    let bytes = serde_json::to_vec(&body).expect("JSON values serialize");
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

pub fn ok(body: serde_json::Value) -> Response {
    reply(StatusCode::OK, body)
}

/// A JSON request body; malformed input is a 400 in the service's format.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| ApiError::bad_request(e.body_text()))?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("Malformed request body: {e}")))
    }
}

/// `limit` and `marker` from a list query: the page after `marker` (which
/// must exist, else 400 as Nova and Glance answer), at most `limit` long.
pub fn page<'a, T>(
    items: &'a [T],
    id_of: impl Fn(&T) -> &str,
    marker: Option<&str>,
    limit: Option<usize>,
) -> Result<&'a [T], ApiError> {
    let start = match marker {
        None => 0,
        Some(m) => {
            items
                .iter()
                .position(|i| id_of(i) == m)
                .ok_or_else(|| ApiError::bad_request(format!("marker [{m}] not found")))?
                + 1
        }
    };
    let end = limit.map_or(items.len(), |l| (start + l).min(items.len()));
    Ok(&items[start..end])
}

/// The request's id, as oslo.middleware gives it (`api::common_headers`):
/// handlers stamp it on the instance actions they record.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);
