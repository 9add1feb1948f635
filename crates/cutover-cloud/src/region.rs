/*!
A connection to one region: authenticated, its services' versions
discovered, and every call turned into a typed result or a [`CallError`]
that names the region, service and call.
*/

use std::borrow::Cow;
use std::time::Duration;

use backon::Retryable;
use bytes::Bytes;
use http::Response;
use openstack_sdk::api::{self, ApiError, Pageable, Pagination, QueryAsync, RestEndpoint};
use openstack_sdk::types::ServiceType;
use openstack_sdk::{AsyncOpenStack, RestError};
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use cutover_core::microversion::{Microversion, VersionRange};
use cutover_core::Backoff;

use crate::call::Call;
use crate::config::Profile;
use crate::error::{one_line, CallError, Error, Result};
use crate::transport::{RetryPolicy, Transport};

/// How many times a region is connected before a service discovered wrong
/// (its endpoint answers 404) is an error.
const DISCOVERY_ATTEMPTS: u32 = 3;

/// Connecting again after a service was discovered wrong: at once (the
/// discovery went wrong, not the cloud), up to [`DISCOVERY_ATTEMPTS`] in all.
const REDISCOVERY: Backoff = Backoff::new(Duration::ZERO, Duration::ZERO).retries(DISCOVERY_ATTEMPTS - 1);

/// Why one attempt at connecting to a region failed.
enum Connecting {
    /// A discovered service's endpoint answers 404 (the answer): another
    /// discovery may find the right one.
    Misdiscovered(ServiceType, Error),
    /// Anything else, which connecting again would not mend.
    Failed(Error),
}

/// The services cutover uses besides Keystone, discovered at connect time.
const SERVICES: [ServiceType; 4] =
    [ServiceType::Compute, ServiceType::Image, ServiceType::Network, ServiceType::BlockStorage];

/// Who a connection's token speaks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub user_id: String,
    pub user_name: String,
    pub project_id: String,
    pub project_name: String,
    pub roles: Vec<String>,
}

/// One region of the cloud, reached through its own openstack_sdk session.
pub struct RegionClient {
    cloud: String,
    transport: Transport,
    services: Vec<ServiceType>,
    compute_versions: Option<VersionRange>,
    catalog: Vec<CatalogEntry>,
    interface: String,
}

/// One endpoint of the token's catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    pub service_type: String,
    pub region: String,
    pub interface: String,
    pub url: String,
}

fn catalog_of(inner: &AsyncOpenStack) -> Vec<CatalogEntry> {
    let services = inner.get_token_catalog().unwrap_or_default();
    let mut entries = Vec::new();
    for service in services {
        for endpoint in service.endpoints {
            entries.push(CatalogEntry {
                service_type: service.service_type.clone(),
                region: endpoint.region.unwrap_or_default(),
                interface: endpoint.interface,
                url: endpoint.url,
            });
        }
    }
    entries
}

impl RegionClient {
    /// Authenticates in `region` and discovers the versions of its services.
    /// A region missing from the catalog is an error; a missing service is
    /// not (preflight reports it), see [`RegionClient::has_service`].
    ///
    /// openstack_sdk's version discovery walks up the endpoint's URL when a
    /// version document fails to come, and takes the first document it
    /// finds, another service's too (a 500 or 429 met on the way is enough
    /// to end at Keystone's, where services share a host). Each discovered
    /// service is therefore tried with a cheap listing: one that answers 404
    /// was discovered wrong, and the region is connected again, at most
    /// [`DISCOVERY_ATTEMPTS`] times.
    pub async fn connect(profile: &Profile, region: &str, retry: RetryPolicy) -> Result<RegionClient> {
        let once = || async {
            let mut client =
                RegionClient::connect_once(profile, region, retry.clone()).await.map_err(Connecting::Failed)?;
            if let Some((service, error)) = client.misdiscovered().await {
                return Err(Connecting::Misdiscovered(service, error));
            }
            client.compute_versions = client.read_compute_versions().await.map_err(Connecting::Failed)?;
            Ok(client)
        };
        let connected = once
            .retry(REDISCOVERY.delays())
            .when(|e| matches!(e, Connecting::Misdiscovered(..)))
            .notify(|e, _| {
                if let Connecting::Misdiscovered(service, error) = e {
                    warn!(region, %service, "the discovered endpoint answers 404; discovering again: {error}");
                }
            })
            .await;
        connected.map_err(|e| match e {
            Connecting::Failed(e) => e,
            Connecting::Misdiscovered(service, error) => Error::Discovery {
                region: region.to_string(),
                service: service.to_string(),
                attempts: DISCOVERY_ATTEMPTS,
                reason: error.to_string(),
            },
        })
    }

    /// The first discovered service whose endpoint answers a listing with
    /// 404, and that answer. Other failures are the service's, not the
    /// discovery's (the transport has retried them), and are left to the
    /// calls that need the service.
    async fn misdiscovered(&self) -> Option<(ServiceType, Error)> {
        for service in SERVICES {
            if !self.has_service(&service) {
                continue;
            }
            match self.probe(service.clone()).await {
                Err(e) if e.is_not_found() => return Some((service, e)),
                _ => {}
            }
        }
        None
    }

    /// A cheap read (one item of a listing) that shows `service` answers
    /// through this region's endpoint.
    pub async fn probe(&self, service: ServiceType) -> Result<()> {
        let listing = match service {
            ServiceType::Compute => "flavors",
            ServiceType::Image => "images",
            ServiceType::Network => "networks",
            ServiceType::BlockStorage => "volumes",
            other => return Err(Error::Request(format!("no listing to probe {other} with"))),
        };
        self.send(Call::get(service, listing).query("limit", 1)).await
    }

    async fn connect_once(profile: &Profile, region: &str, retry: RetryPolicy) -> Result<RegionClient> {
        let cloud = profile.name().to_string();
        // openstack_sdk's own requests bypass our transport: Keystone's
        // version document and the token here, a version document per
        // service discovered below.
        crate::meter::count(2);
        let config = profile.for_region(region);
        // openstack_sdk's own default when clouds.yaml names none.
        let interface = config.interface.clone().unwrap_or_else(|| "public".to_string());
        let inner = AsyncOpenStack::builder(&config)
            .disable_auth_cache(true)
            .connect()
            .await
            .map_err(|e| auth_error(&cloud, region, &e))?;
        // The token's catalog, not the SDK's region list: that one also
        // names the region we asked for once Keystone's endpoint is discovered.
        let catalog = catalog_of(&inner);
        let mut available: Vec<String> = catalog.iter().map(|e| e.region.clone()).collect();
        available.sort();
        available.dedup();
        if !available.iter().any(|r| r == region) {
            return Err(Error::UnknownRegion { cloud, region: region.to_string(), available: available.join(", ") });
        }
        let mut services = Vec::new();
        for service in SERVICES {
            match inner.discover_service_endpoint(&service).await {
                Ok(()) => {
                    crate::meter::count(1);
                    services.push(service)
                }
                Err(e) => debug!(region, %service, "no usable endpoint: {}", chain(&e)),
            }
        }
        let transport = Transport { inner, retry, region: region.to_string() };
        Ok(RegionClient { cloud, transport, services, compute_versions: None, catalog, interface })
    }

    /// The region's name.
    pub fn region(&self) -> &str {
        &self.transport.region
    }

    /// The cloud's name (from clouds.yaml, or `envvars`).
    pub fn cloud(&self) -> &str {
        &self.cloud
    }

    /// The catalog interface (`public`, `internal`, `admin`) the client
    /// reaches every service through.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The whole catalog of the token (every region), as Keystone sent it.
    pub fn catalog(&self) -> &[CatalogEntry] {
        &self.catalog
    }

    /// Whether the region's catalog has a network (Neutron) endpoint.
    pub fn has_network(&self) -> bool {
        self.has_service(&ServiceType::Network)
    }

    /// Whether the region's catalog has a reachable endpoint for `service`.
    pub fn has_service(&self, service: &ServiceType) -> bool {
        self.services.contains(service)
    }

    /// Nova's version document names its range as `min_version`..`version`;
    /// openstack_sdk reads only `max_version`, which Nova does not send.
    async fn read_compute_versions(&self) -> Result<Option<VersionRange>> {
        if !self.has_service(&ServiceType::Compute) {
            return Ok(None);
        }
        #[derive(serde::Deserialize)]
        struct Doc {
            min_version: String,
            version: String,
        }
        let doc: Doc = self.query(Call::get(ServiceType::Compute, "").key("version")).await?;
        // An empty range is a Nova without microversions.
        Ok(doc.min_version.parse().ok().zip(doc.version.parse().ok()).map(|(min, max)| VersionRange { min, max }))
    }

    /// The compute microversions the region offers. A Nova without
    /// microversions (Icehouse, Juno) offers 2.1 alone.
    pub fn compute_versions(&self) -> VersionRange {
        let base = Microversion::new(2, 1);
        self.compute_versions.unwrap_or(VersionRange { min: base, max: base })
    }

    /// The highest of `wanted` that Nova offers here, or its lowest (2.1).
    pub fn compute_version(&self, wanted: &[Microversion]) -> Microversion {
        let range = self.compute_versions();
        range.best_of(wanted).unwrap_or(range.min)
    }

    /// Fails with [`Error::NoEndpoint`] unless the region has `service`.
    pub fn require_service(&self, service: &ServiceType) -> Result<()> {
        if self.has_service(service) {
            Ok(())
        } else {
            Err(Error::NoEndpoint { region: self.region().to_string(), service: service.to_string() })
        }
    }

    /// Who the token speaks for: user, project and roles.
    pub fn scope(&self) -> Scope {
        let Some(info) = self.transport.inner.get_auth_info() else { return Scope::default() };
        let token = info.token;
        let project = token.project.unwrap_or_default();
        Scope {
            user_id: token.user.id,
            user_name: token.user.name,
            project_id: project.id.unwrap_or_default(),
            project_name: project.name.unwrap_or_default(),
            roles: token.roles.unwrap_or_default().into_iter().map(|r| r.name).collect(),
        }
    }

    /// Sends `endpoint` and decodes its response (under its response key).
    pub async fn query<T, E>(&self, endpoint: E) -> Result<T>
    where
        T: DeserializeOwned + Send + 'static,
        E: RestEndpoint + Sync,
    {
        let (service, call) = describe(&endpoint);
        endpoint.query_async(&self.transport).await.map_err(|e| self.call_error(&service, call, e))
    }

    /// Sends `endpoint` and every following page; returns all items.
    pub async fn list<T, E>(&self, endpoint: E) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
        E: RestEndpoint + Pageable + Sync + Send,
    {
        let (service, call) = describe(&endpoint);
        api::paged(endpoint, Pagination::All)
            .query_async(&self.transport)
            .await
            .map_err(|e| self.call_error(&service, call, e))
    }

    /// A Nova listing page by page: `call` again with `marker` set to what
    /// `each` returns for a page, until it returns `None`. Each answer is
    /// parsed straight into `P`: openstack_sdk's own paging holds every
    /// page as a JSON value first, several times the records' memory on a
    /// cloud of 100,000 servers.
    pub(crate) async fn nova_pages<P: DeserializeOwned>(
        &self,
        call: Call,
        mut each: impl FnMut(P) -> Result<Option<String>>,
    ) -> Result<()> {
        let mut marker: Option<String> = None;
        loop {
            let page_call = match &marker {
                Some(m) => call.clone().query("marker", m),
                None => call.clone(),
            };
            let (service, what) = describe(&page_call);
            let answer = self.raw(page_call).await?;
            let page: P = serde_json::from_slice(answer.body()).map_err(|source| {
                self.call_error(&service, what, ApiError::DataType { source, typename: std::any::type_name::<P>() })
            })?;
            match each(page)? {
                // A page that names the marker it was asked after would
                // never end: taken as the last.
                Some(next) if marker.as_ref() != Some(&next) => marker = Some(next),
                _ => return Ok(()),
            }
        }
    }

    /// Sends `endpoint` and ignores the body (deletes, actions).
    pub async fn send<E>(&self, endpoint: E) -> Result<()>
    where
        E: RestEndpoint + Sync,
    {
        self.raw(endpoint).await.map(drop)
    }

    /// Sends `endpoint` and returns the whole response (for headers); an
    /// error status is still an error.
    pub async fn raw<E>(&self, endpoint: E) -> Result<Response<Bytes>>
    where
        E: RestEndpoint + Sync,
    {
        let (service, call) = describe(&endpoint);
        api::raw(endpoint).query_async(&self.transport).await.map_err(|e| self.call_error(&service, call, e))
    }

    fn call_error(&self, service: &ServiceType, call: String, err: ApiError<RestError>) -> Error {
        let (status, message) = match err {
            ApiError::OpenStack { status, msg, .. } => (Some(status), msg),
            ApiError::OpenStackService { status, data, .. } => (Some(status), data),
            ApiError::OpenStackUnrecognized { status, obj, .. } => (Some(status), obj.to_string()),
            other => (None, chain(&other)),
        };
        let message = if message.trim().is_empty() { "(no message)".to_string() } else { one_line(&message) };
        Error::Call(Box::new(CallError {
            region: self.region().to_string(),
            service: service.to_string(),
            call,
            status,
            message,
        }))
    }
}

/// The service and `POST flavors`: what an operator needs to recognise the call.
fn describe<E: RestEndpoint>(endpoint: &E) -> (ServiceType, String) {
    (endpoint.service_type(), format!("{} {}", endpoint.method(), endpoint.endpoint()))
}

/// The error and its causes on one line.
/// A failed authentication: the credentials refused, or Keystone failing
/// (5xx, 429) or not answering, which is no fault of the input.
fn auth_error(cloud: &str, region: &str, err: &(dyn std::error::Error + 'static)) -> Error {
    let reason = keystone_silent(err).unwrap_or_else(|| chain(err));
    let (cloud, region) = (cloud.to_string(), region.to_string());
    if keystone_unavailable(err) {
        Error::AuthUnavailable { cloud, region, reason }
    } else {
        Error::Auth { cloud, region, reason }
    }
}

fn keystone_unavailable(err: &(dyn std::error::Error + 'static)) -> bool {
    use openstack_sdk::auth::AuthError;
    use openstack_sdk::OpenStackError;
    let failing = |code: u16| code >= 500 || code == 429;
    let mut cause = Some(err);
    while let Some(e) = cause {
        match (e.downcast_ref::<AuthError>(), e.downcast_ref::<OpenStackError>()) {
            (Some(AuthError::Identity(identity)), _) => return u16::try_from(identity.code).is_ok_and(failing),
            (Some(AuthError::UnknownAuth { code, .. }), _) => return failing(*code),
            // The token request itself timed out or found no one to send
            // to: Keystone did not answer, which is worth trying again.
            (Some(AuthError::Reqwest { source }), _) => {
                return source.is_timeout() || source.is_connect() || source.is_request()
            }
            (_, Some(OpenStackError::Communication { .. } | OpenStackError::NoResponse {})) => return true,
            // Keystone's version document was not found at the auth URL or
            // any level above it: openstack_sdk says so without the cause,
            // and most often nothing answered there (a closed port, a host
            // down), a failure to try again rather than bad input.
            (_, Some(OpenStackError::Discovery { service, .. })) if service == "identity" => return true,
            (_, Some(OpenStackError::Http { status })) => return failing(status.as_u16()),
            _ => cause = e.source(),
        }
    }
    false
}

/// openstack_sdk's words for a Keystone that gave no version document
/// (``` `identity` endpoint version discovery error: ... Service is not
/// working.```), said as what the operator can check.
fn keystone_silent(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    use openstack_sdk::OpenStackError;
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(OpenStackError::Discovery { service, url, .. }) = e.downcast_ref::<OpenStackError>() {
            if service == "identity" {
                // A password in the URL's user part stays out of the line.
                let url = cutover_core::novaconf::mask_url_passwords(url);
                return Some(format!(
                    "no answer from Keystone at {url} (nothing listening there, or no identity version document)"
                ));
            }
        }
        cause = e.source();
    }
    None
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    one_line(&text)
}

/// A path segment from a cloud-given name, percent-encoded.
pub fn segment(value: &str) -> Cow<'_, str> {
    let plain = value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if plain {
        return Cow::Borrowed(value);
    }
    Cow::Owned(
        value
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect(),
    )
}
