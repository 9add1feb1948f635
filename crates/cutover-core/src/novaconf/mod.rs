/*!
The new environment's `nova.conf`, rendered from the old one (phase
2a): [`render`] changes the database URLs, `metadata_host`, the compute
node's VNC addresses and the message topics, and keeps every other line as
it was; [`unified_diff`] shows the change with secrets hidden.
*/

mod diff;
mod ini;
mod render;
mod secret;
#[cfg(test)]
mod tests;

pub use diff::unified_diff;
pub use render::render;
pub use secret::{mask_line, mask_url_passwords};

/// Topic suffix used when the operator names none: the `_juno` of the
/// reference procedure (`compute_topic=compute_juno`). Any non-empty suffix
/// keeps the two environments apart.
pub const DEFAULT_TOPIC_SUFFIX: &str = "_juno";

/// What the new environment needs that the old file cannot tell.
///
/// Values are required only when the old file has a key they replace; a
/// value given for keys the file does not have is reported in
/// [`Rendered::unused`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderSettings {
    /// The new Nova database (`[database] connection`, `sql_connection`).
    pub database_url: Option<String>,
    /// The new API database (`[api_database] connection`, Liberty and later).
    pub api_database_url: Option<String>,
    /// The new controller's address for `metadata_host`; added to
    /// `[DEFAULT]` when the old file relies on the default.
    pub metadata_host: Option<String>,
    /// The compute node's own address: `vncserver_proxyclient_address`
    /// (`[vnc] server_proxyclient_address`), and the listen address unless
    /// `vnc_listen` is given.
    pub vnc_address: Option<String>,
    /// `vncserver_listen` (`[vnc] server_listen`) when it differs from
    /// `vnc_address` (e.g. `0.0.0.0`).
    pub vnc_listen: Option<String>,
    /// `novncproxy_base_url`, the URL browsers open for this node's consoles.
    pub novncproxy_base_url: Option<String>,
    /// Appended to every message topic.
    pub topic_suffix: String,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings {
            database_url: None,
            api_database_url: None,
            metadata_host: None,
            vnc_address: None,
            vnc_listen: None,
            novncproxy_base_url: None,
            topic_suffix: DEFAULT_TOPIC_SUFFIX.to_string(),
        }
    }
}

/// One of the values of [`RenderSettings`], to name it in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    DatabaseUrl,
    ApiDatabaseUrl,
    MetadataHost,
    VncAddress,
    VncListen,
    NovncproxyBaseUrl,
    TopicSuffix,
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Setting::DatabaseUrl => "new database URL",
            Setting::ApiDatabaseUrl => "new API database URL",
            Setting::MetadataHost => "new metadata host",
            Setting::VncAddress => "compute node VNC address",
            Setting::VncListen => "VNC listen address",
            Setting::NovncproxyBaseUrl => "noVNC proxy base URL",
            Setting::TopicSuffix => "topic suffix",
        })
    }
}

/// The rendered file and what changed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// One per changed or added line, in the order applied.
    pub changes: Vec<Change>,
    /// Values given for keys the old file does not have.
    pub unused: Vec<Setting>,
}

/// A changed key; no value, so it can be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub section: String,
    pub key: String,
    pub added: bool,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.added { "added" } else { "changed" };
        write!(f, "[{}] {} {what}", self.section, self.key)
    }
}

/// Why a file cannot be rendered. Messages are one line and never hold a
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("line {line}: {reason}")]
    Parse { line: usize, reason: String },
    #[error("the old nova.conf sets {key} but no {setting} was given")]
    Missing { key: String, setting: Setting },
    #[error("the {setting} {reason}")]
    Invalid { setting: Setting, reason: String },
    #[error("the {setting} names the same database as the old {key} ({url}); the new Nova needs its own database")]
    SameDatabase { setting: Setting, key: String, url: String },
    #[error("the new database URL and the new API database URL name the same database ({url}); Nova needs two")]
    SameNewDatabases { url: String },
    #[error("the old nova.conf sets {key}: {reason}")]
    Unsupported { key: String, reason: String },
}
