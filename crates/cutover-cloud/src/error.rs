/*!
What can go wrong talking to a cloud, said so that an operator reading one
line knows which region, service and call failed, and how.
*/

use std::fmt;

use cutover_core::model::UnknownStatus;
use http::StatusCode;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the cloud client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cloud configuration (clouds.yaml, secure.yaml, `OS_*`) is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Keystone refused the credentials (or the request) while authenticating.
    #[error("cannot authenticate to cloud {cloud} in region {region}: {reason}")]
    Auth { cloud: String, region: String, reason: String },
    /// Keystone failed (5xx, 429) or did not answer while authenticating:
    /// not the credentials' fault, so trying again later may work.
    #[error("cannot authenticate to cloud {cloud} in region {region} now (Keystone failed; try again): {reason}")]
    AuthUnavailable { cloud: String, region: String, reason: String },
    /// The region is not in the Keystone catalog.
    #[error("region {region} is not in the catalog of cloud {cloud} (regions there: {available})")]
    UnknownRegion { cloud: String, region: String, available: String },
    /// A service the command needs has no endpoint in the region.
    #[error("region {region} has no {service} endpoint in the catalog")]
    NoEndpoint { region: String, service: String },
    /// Version discovery ended, time after time, at an endpoint that does
    /// not serve the service (it answers 404).
    #[error(
        "region {region}: no working {service} endpoint after {attempts} version discoveries \
         (the catalog's endpoint or its version document is wrong, or the service failed while asked): {reason}"
    )]
    Discovery { region: String, service: String, attempts: u32, reason: String },
    /// A request could not be put together (a bug in cutover, not the cloud).
    #[error("cannot build the request: {0}")]
    Request(String),
    /// Keystone has no role for cutover's own role to imply (see `scoped`).
    #[error("Keystone has neither a member nor a _member_ role for role cutover to imply")]
    NoMemberRole,
    /// An answer carried a status the API references do not list (a newer
    /// release's, or a broken service): cutover cannot tell what it means,
    /// so it stops rather than guess. The whole parse error is kept.
    #[error("region {region}: {resource} {id}: {status}")]
    UnknownStatus { region: String, resource: &'static str, id: String, status: UnknownStatus },
    /// An API call failed; see [`CallError`].
    #[error(transparent)]
    Call(#[from] Box<CallError>),
}

impl Error {
    /// The HTTP status of a failed call, if the cloud answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Call(call) => call.status,
            _ => None,
        }
    }

    /// The cloud answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// The cloud answered 409.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }
}

/// openstack_sdk's request builders each have their own error type: `?`
/// after `.build().built()` turns any of them into an [`Error::Request`].
pub trait Built<T> {
    fn built(self) -> Result<T>;
}

impl<T, E: std::fmt::Display> Built<T> for std::result::Result<T, E> {
    fn built(self) -> Result<T> {
        self.map_err(|e| Error::Request(e.to_string()))
    }
}

/// Why the cloud configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No cloud named and no `OS_AUTH_URL`.
    #[error("no cloud given: name one with --os-cloud or OS_CLOUD, or set OS_AUTH_URL and the other OS_* variables")]
    NoCloud,
    /// The named cloud is in none of the configuration files.
    #[error("cloud {name} is not defined in {searched} (clouds there: {available})")]
    UnknownCloud { name: String, searched: String, available: String },
    /// A configuration file exists but cannot be read or parsed.
    #[error("cannot read the cloud configuration: {reason}")]
    Unreadable { reason: String },
    /// A configuration file does not parse, or not as clouds.yaml: where,
    /// and what is wrong, never the values (see `config_files`).
    #[error("cannot read the cloud configuration {path}: {reason}")]
    BadFile { path: String, reason: String },
    /// The cloud entry lacks something authentication needs.
    #[error("cloud {name}: {what} is not set (clouds.yaml, secure.yaml or OS_* variables)")]
    Missing { name: String, what: &'static str },
}

/// One failed API call: where, what, and the cloud's answer.
#[derive(Debug)]
pub struct CallError {
    pub region: String,
    /// The catalog service type, e.g. `compute`.
    pub service: String,
    /// Method and path relative to the service's endpoint, e.g. `POST flavors`.
    pub call: String,
    /// The HTTP status, or `None` when no answer came (connection, timeout).
    pub status: Option<StatusCode>,
    /// The cloud's error message (or the transport's), on one line.
    pub message: String,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}: ", self.region, self.service, self.call)?;
        match self.status {
            Some(status) => write!(f, "{status}: {}", self.message),
            None => write!(f, "no answer: {}", self.message),
        }
    }
}

impl std::error::Error for CallError {}

/// Error messages are quoted from clouds and libraries that print over
/// several lines; an operator's report wants one.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
