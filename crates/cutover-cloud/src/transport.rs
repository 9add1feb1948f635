/*!
The one place requests leave cutover: openstack_sdk's connection wrapped
with the retry rules. A 429 is retried for every method (the cloud refused
before doing anything) after its `Retry-After`; a 5xx or a lost connection
only for idempotent methods, with exponential backoff. A create is never
retried blindly: its caller looks the resource up instead.
*/

use std::time::Duration;

use async_trait::async_trait;
use backon::Retryable;
use bytes::Bytes;
use cutover_core::Backoff;
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
    /// The waits before the retries, and how many retries follow the
    /// first attempt.
    pub backoff: Backoff,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            backoff: Backoff::new(Duration::from_millis(250), Duration::from_secs(15)).retries(6),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// What an attempt got, whatever it was: the answer or openstack_sdk's
/// failure.
type Outcome = Result<Response<Bytes>, ApiError<RestError>>;

/// An outcome worth another attempt, and the wait the cloud asked for.
struct Again {
    outcome: Outcome,
    /// A 429's `Retry-After` (at most the policy's longest); `None` waits
    /// the backoff's next delay.
    after: Option<Duration>,
}

impl RetryPolicy {
    /// Whether `outcome` of a `method` request may be tried again: a 429
    /// always, a 5xx or no answer when the method is idempotent.
    fn again(&self, method: &Method, outcome: Outcome) -> Result<Outcome, Box<Again>> {
        let after = match &outcome {
            Ok(rsp) if rsp.status() == StatusCode::TOO_MANY_REQUESTS => {
                retry_after(rsp).map(|d| d.min(self.max_retry_after))
            }
            Ok(rsp) if rsp.status().is_server_error() && is_idempotent(method) => None,
            Err(ApiError::Client { .. }) if is_idempotent(method) => None,
            _ => return Ok(outcome),
        };
        Err(Box::new(Again { outcome, after }))
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
        let attempt = || {
            let builder = request.take().unwrap_or_else(|| {
                let mut builder = http::Request::builder().method(method.clone()).uri(uri.clone());
                for (name, value) in &headers {
                    builder = builder.header(name, value);
                }
                builder
            });
            crate::meter::count(1);
            let sent = self.inner.rest_async(builder, body.clone());
            async { self.retry.again(&method, sent.await) }
        };
        let mut retries = 0;
        let retried = attempt
            .retry(self.retry.backoff.delays())
            // A 429's own wait replaces the backoff's, which still counts the retry.
            .adjust(|again, wait| wait.map(|wait| again.after.unwrap_or(wait)))
            .notify(|again, wait| {
                retries += 1;
                let why = match &again.outcome {
                    Ok(rsp) => rsp.status().to_string(),
                    Err(err) => crate::error::one_line(&err.to_string()),
                };
                warn!(region = %self.region, %method, path = uri.path(), attempt = retries, wait_ms = wait.as_millis() as u64, "retrying after {why}");
            })
            .await;
        match retried {
            Ok(outcome) => outcome,
            Err(again) => again.outcome,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> Response<Bytes> {
        let mut rsp = Response::builder().status(status);
        if let Some(value) = retry_after {
            rsp = rsp.header(http::header::RETRY_AFTER, value);
        }
        rsp.body(Bytes::new()).unwrap()
    }

    /// `None`: given back as it is; `Some(after)`: tried again, after the
    /// cloud's wait if it asked for one.
    fn again(method: Method, answer: Response<Bytes>) -> Option<Option<Duration>> {
        RetryPolicy::default().again(&method, Ok(answer)).err().map(|again| again.after)
    }

    #[test]
    fn a_429_is_tried_again_for_any_method_after_its_retry_after_cut_to_the_longest() {
        assert_eq!(again(Method::POST, answer(429, Some("7"))), Some(Some(Duration::from_secs(7))));
        assert_eq!(again(Method::GET, answer(429, Some("3600"))), Some(Some(Duration::from_secs(120))));
        // An HTTP date is not read: the backoff's wait applies.
        assert_eq!(again(Method::GET, answer(429, Some("Wed, 21 Oct 2026 07:28:00 GMT"))), Some(None));
    }

    #[test]
    fn a_5xx_is_tried_again_only_when_the_method_is_idempotent() {
        assert_eq!(again(Method::GET, answer(503, None)), Some(None));
        assert_eq!(again(Method::DELETE, answer(500, None)), Some(None));
        // The create may have been made: its caller looks it up instead.
        assert_eq!(again(Method::POST, answer(503, None)), None);
        assert_eq!(again(Method::GET, answer(404, None)), None);
        assert_eq!(again(Method::GET, answer(200, None)), None);
    }
}
