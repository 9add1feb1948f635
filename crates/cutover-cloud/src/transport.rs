/*!
The one place requests leave cutover: openstack_sdk's connection wrapped
with the retry rules. A 429 is retried for every method (the cloud refused
before doing anything) after its `Retry-After`; a 5xx or a lost connection
only for idempotent methods, with exponential backoff. A create is never
retried blindly: its caller looks the resource up instead.
*/

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use openstack_sdk::api::{ApiError, AsyncClient, RestClient};
use openstack_sdk::types::{ApiVersion, BoxedAsyncRead, ServiceType};
use openstack_sdk::{AsyncOpenStack, RestError};
use openstack_sdk_auth_core::types::Project;
use openstack_sdk_core::catalog::ServiceEndpoint;
use tracing::warn;

/// How often and how long to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub retries: u32,
    /// The first backoff; each later one doubles, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 6,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(15),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        self.backoff.saturating_mul(2u32.saturating_pow(attempt)).min(self.max_backoff)
    }

    /// How long to wait before trying again, or `None` to give up now.
    fn wait_before_retry(
        &self,
        method: &Method,
        result: &Result<Response<Bytes>, ApiError<RestError>>,
        attempt: u32,
    ) -> Option<Duration> {
        if attempt >= self.retries {
            return None;
        }
        match result {
            Ok(rsp) if rsp.status() == StatusCode::TOO_MANY_REQUESTS => {
                Some(retry_after(rsp).map_or_else(|| self.backoff(attempt), |d| d.min(self.max_retry_after)))
            }
            Ok(rsp) if rsp.status().is_server_error() && is_idempotent(method) => Some(self.backoff(attempt)),
            Err(ApiError::Client { .. }) if is_idempotent(method) => Some(self.backoff(attempt)),
            _ => None,
        }
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
}

/// `Retry-After` in seconds; an HTTP date falls back to the backoff.
fn retry_after(rsp: &Response<Bytes>) -> Option<Duration> {
    let value = rsp.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// openstack_sdk's connection for one region, retrying as [`RetryPolicy`] says.
pub(crate) struct Transport {
    pub(crate) inner: AsyncOpenStack,
    pub(crate) retry: RetryPolicy,
    pub(crate) region: String,
}

impl RestClient for Transport {
    type Error = RestError;

    fn get_current_project(&self) -> Option<Project> {
        self.inner.get_current_project()
    }

    fn microversion_strategy(&self) -> openstack_sdk::api::MicroVersionStrategy {
        self.inner.microversion_strategy()
    }
}

#[async_trait]
impl AsyncClient for Transport {
    async fn rest_async(
        &self,
        request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<Response<Bytes>, ApiError<Self::Error>> {
        let method = request.method_ref().cloned().unwrap_or(Method::GET);
        let uri = request.uri_ref().cloned().unwrap_or_default();
        let headers = request.headers_ref().cloned().unwrap_or_default();
        let mut request = Some(request);
        let mut attempt = 0;
        loop {
            let builder = request.take().unwrap_or_else(|| {
                let mut builder = http::Request::builder().method(method.clone()).uri(uri.clone());
                for (name, value) in &headers {
                    builder = builder.header(name, value);
                }
                builder
            });
            crate::meter::count(1);
            let result = self.inner.rest_async(builder, body.clone()).await;
            let Some(wait) = self.retry.wait_before_retry(&method, &result, attempt) else { return result };
            let why = match &result {
                Ok(rsp) => rsp.status().to_string(),
                Err(err) => crate::error::one_line(&err.to_string()),
            };
            warn!(region = %self.region, %method, path = uri.path(), attempt = attempt + 1, wait_ms = wait.as_millis() as u64, "retrying after {why}");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn rest_read_body_async(
        &self,
        request: http::request::Builder,
        body: BoxedAsyncRead,
    ) -> Result<Response<Bytes>, ApiError<Self::Error>> {
        // A streamed body cannot be replayed: no retry.
        crate::meter::count(1);
        self.inner.rest_read_body_async(request, body).await
    }

    async fn download_async(
        &self,
        request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<(http::HeaderMap, BoxedAsyncRead), ApiError<Self::Error>> {
        crate::meter::count(1);
        self.inner.download_async(request, body).await
    }

    async fn get_service_endpoint(
        &self,
        service_type: &ServiceType,
        version: Option<&ApiVersion>,
    ) -> Result<ServiceEndpoint, ApiError<Self::Error>> {
        self.inner.get_service_endpoint(service_type, version).await
    }
}
