/*!
Our own typed request for what openstack_sdk's builders do not cover well:
calls it lacks (`os-floating-ips-bulk`, the `/sim/` extension) and writes
whose body we want to state exactly for the microversion we ask. The body
is a serde value built by the caller; the microversion is always explicit,
sent in the header [`microversion`] builds (openstack_sdk's builders take it too).
*/

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use openstack_sdk::api::rest_endpoint_prelude::*;
use openstack_sdk::api::BodyError;
use serde::Serialize;

use crate::error::{Error, Result};

/// One API call: method, service, path relative to the service's endpoint,
/// query, JSON body, microversion, and the key its answer sits under.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    service: ServiceType,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    headers: HeaderMap,
    response_key: Option<Cow<'static, str>>,
}

impl Call {
    pub fn new(method: Method, service: ServiceType, path: impl Into<String>) -> Call {
        Call {
            method,
            service,
            path: path.into(),
            query: Vec::new(),
            body: None,
            headers: HeaderMap::new(),
            response_key: None,
        }
    }

    pub fn get(service: ServiceType, path: impl Into<String>) -> Call {
        Call::new(Method::GET, service, path)
    }

    pub fn delete(service: ServiceType, path: impl Into<String>) -> Call {
        Call::new(Method::DELETE, service, path)
    }

    pub fn post(service: ServiceType, path: impl Into<String>, body: &impl Serialize) -> Result<Call> {
        Call::new(Method::POST, service, path).body(body)
    }

    pub fn put(service: ServiceType, path: impl Into<String>, body: &impl Serialize) -> Result<Call> {
        Call::new(Method::PUT, service, path).body(body)
    }

    pub fn body(mut self, body: &impl Serialize) -> Result<Call> {
        self.body = Some(serde_json::to_vec(body).map_err(|e| Error::Request(e.to_string()))?);
        Ok(self)
    }

    /// Asks for `version` of `service`'s API (`compute`, `volume`, ...).
    pub fn microversion(mut self, service: &str, version: impl std::fmt::Display) -> Call {
        let (name, value) = microversion(service, version);
        self.headers.insert(name, value);
        self
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Call {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    /// The answer's payload sits under `key` (`{"flavor": {...}}`).
    pub fn key(mut self, key: &'static str) -> Call {
        self.response_key = Some(Cow::Borrowed(key));
        self
    }
}

impl RestEndpoint for Call {
    fn method(&self) -> Method {
        self.method.clone()
    }

    fn endpoint(&self) -> Cow<'static, str> {
        Cow::Owned(self.path.clone())
    }

    fn service_type(&self) -> ServiceType {
        self.service.clone()
    }

    fn parameters(&self) -> QueryParams<'_> {
        let mut params = QueryParams::default();
        for (key, value) in &self.query {
            params.push(key.as_str(), value.as_str());
        }
        params
    }

    fn body(&self) -> std::result::Result<Option<(&'static str, Vec<u8>)>, BodyError> {
        Ok(self.body.clone().map(|body| ("application/json", body)))
    }

    fn response_key(&self) -> Option<Cow<'static, str>> {
        self.response_key.clone()
    }

    fn request_headers(&self) -> Option<&HeaderMap> {
        Some(&self.headers)
    }
}

/// A listing through [`crate::RegionClient::list`] follows `next` links and markers.
impl Pageable for Call {}

/// The header that asks a service for a microversion, e.g. `compute 2.61`.
/// Set it wherever the shape of a response matters: openstack_sdk otherwise
/// negotiates the lowest version an endpoint accepts.
pub fn microversion(service: &str, version: impl std::fmt::Display) -> (HeaderName, HeaderValue) {
    let value = HeaderValue::from_str(&format!("{service} {version}")).unwrap_or(HeaderValue::from_static(""));
    (HeaderName::from_static("openstack-api-version"), value)
}
