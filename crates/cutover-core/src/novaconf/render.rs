/*!
Which keys change and how. Key names come from Nova's own option
definitions: Icehouse to Kilo keep VNC options in `[DEFAULT]`, Liberty
moves them to `[vnc]`, Queens renames `vncserver_*` to `server_*`; the
database URL is `[database] connection`, with the deprecated spellings
oslo.db still reads.
*/

use super::ini::Document;
use super::secret::mask_url_passwords;
use super::{Change, RenderError, RenderSettings, Rendered, Setting};

/// Keys holding each setting, every spelling a Nova release reads.
const VALUE_KEYS: &[(Setting, &[(&str, &str)])] = &[
    (
        Setting::DatabaseUrl,
        &[
            ("DEFAULT", "sql_connection"),
            ("database", "connection"),
            ("database", "sql_connection"),
            ("sql", "connection"),
        ],
    ),
    (Setting::ApiDatabaseUrl, &[("api_database", "connection")]),
    (Setting::MetadataHost, &[("DEFAULT", "metadata_host")]),
    (
        Setting::VncAddress,
        &[
            ("DEFAULT", "vncserver_proxyclient_address"),
            ("vnc", "vncserver_proxyclient_address"),
            ("vnc", "server_proxyclient_address"),
        ],
    ),
    (Setting::VncListen, &[("DEFAULT", "vncserver_listen"), ("vnc", "vncserver_listen"), ("vnc", "server_listen")]),
    (Setting::NovncproxyBaseUrl, &[("DEFAULT", "novncproxy_base_url"), ("vnc", "novncproxy_base_url")]),
];

/// A message topic: the keys Nova reads it from (the first is added when
/// the old file has none of them), the name the reference guide and the
/// issue give it where that differs (also suffixed, or added when absent),
/// Nova's default, and whether the value is a comma-separated list.
struct Topic {
    keys: &'static [(&'static str, &'static str)],
    unread: &'static [(&'static str, &'static str)],
    default: &'static str,
    list: bool,
}

/// Nova reads `notification_topics` (oslo.messaging; `[oslo_messaging_notifications]
/// topics` from Mitaka) and `[conductor] topic`. The reference guide's
/// `notifications_topic` and `[conductor] conductor_topic` are read by
/// nothing (oslo.config ignores unknown options): writing only those would
/// leave the new Nova on the old topics. Operators following the guide look
/// for its names, so both are written.
const TOPICS: &[Topic] = &[
    Topic { keys: &[("DEFAULT", "cert_topic")], unread: &[], default: "cert", list: false },
    Topic { keys: &[("DEFAULT", "compute_topic")], unread: &[], default: "compute", list: false },
    Topic { keys: &[("DEFAULT", "console_topic")], unread: &[], default: "console", list: false },
    Topic { keys: &[("DEFAULT", "consoleauth_topic")], unread: &[], default: "consoleauth", list: false },
    Topic {
        keys: &[
            ("DEFAULT", "notification_topics"),
            ("oslo_messaging_notifications", "topics"),
            ("rpc_notifier2", "topics"),
        ],
        unread: &[("DEFAULT", "notifications_topic")],
        default: "notifications",
        list: true,
    },
    Topic { keys: &[("DEFAULT", "scheduler_topic")], unread: &[], default: "scheduler", list: false },
    Topic {
        keys: &[("conductor", "topic")],
        unread: &[("conductor", "conductor_topic")],
        default: "conductor",
        list: false,
    },
];

/// Renders the new environment's file from the old one's text.
pub fn render(old: &str, settings: &RenderSettings) -> Result<Rendered, RenderError> {
    validate(settings)?;
    let mut doc = Document::parse(old)?;
    refuse_unsupported(&doc)?;
    check_databases(&doc, settings)?;
    let mut changes = Vec::new();
    let mut unused = Vec::new();
    for &(setting, keys) in VALUE_KEYS {
        let found: Vec<(&str, &str, Vec<usize>)> =
            keys.iter().map(|&(s, k)| (s, k, doc.find(s, k))).filter(|(_, _, at)| !at.is_empty()).collect();
        let value = value_of(settings, setting);
        if found.is_empty() {
            match (setting, value) {
                (Setting::MetadataHost, Some(host)) => {
                    doc.add("DEFAULT", "metadata_host", host);
                    changes.push(change("DEFAULT", "metadata_host", true));
                }
                _ if given_alone(settings, setting) => unused.push(setting),
                _ => {}
            }
            continue;
        }
        let Some(value) = value else {
            let (section, key, _) = &found[0];
            return Err(RenderError::Missing { key: format!("[{section}] {key}"), setting });
        };
        for (section, key, _) in found {
            // Indices shift when continuation lines go: look up again.
            for at in doc.find(section, key).into_iter().rev() {
                doc.set_value(at, value);
                changes.push(change(section, key, false));
            }
        }
    }
    if settings.vnc_address.is_some()
        && doc_lacks(&doc, Setting::VncAddress)
        && (settings.vnc_listen.is_some() || doc_lacks(&doc, Setting::VncListen))
    {
        unused.push(Setting::VncAddress);
    }
    for topic in TOPICS {
        suffix_topic(&mut doc, topic, &settings.topic_suffix, &mut changes);
    }
    Ok(Rendered { text: doc.to_text(), changes, unused })
}

fn change(section: &str, key: &str, added: bool) -> Change {
    Change { section: section.to_string(), key: key.to_string(), added }
}

fn value_of(settings: &RenderSettings, setting: Setting) -> Option<&str> {
    match setting {
        Setting::DatabaseUrl => settings.database_url.as_deref(),
        Setting::ApiDatabaseUrl => settings.api_database_url.as_deref(),
        Setting::MetadataHost => settings.metadata_host.as_deref(),
        Setting::VncAddress => settings.vnc_address.as_deref(),
        Setting::VncListen => settings.vnc_listen.as_deref().or(settings.vnc_address.as_deref()),
        Setting::NovncproxyBaseUrl => settings.novncproxy_base_url.as_deref(),
        Setting::TopicSuffix => Some(&settings.topic_suffix),
    }
}

/// Whether `setting` was given for itself (the VNC address also serves the
/// listen keys, so it is judged after both).
fn given_alone(settings: &RenderSettings, setting: Setting) -> bool {
    match setting {
        Setting::VncAddress => false,
        Setting::VncListen => settings.vnc_listen.is_some(),
        other => value_of(settings, other).is_some(),
    }
}

fn doc_lacks(doc: &Document, setting: Setting) -> bool {
    let keys = VALUE_KEYS.iter().find(|(s, _)| *s == setting).map_or(&[][..], |(_, k)| k);
    keys.iter().all(|&(section, key)| doc.find(section, key).is_empty())
}

fn suffix_topic(doc: &mut Document, topic: &Topic, suffix: &str, changes: &mut Vec<Change>) {
    let mut read = false;
    for &(section, key) in topic.keys.iter().chain(topic.unread) {
        for at in doc.find(section, key).into_iter().rev() {
            read |= topic.keys.contains(&(section, key));
            let old = doc.value(at);
            let names: Vec<&str> = if topic.list { old.split(',').map(str::trim).collect() } else { vec![old.trim()] };
            let new: Vec<String> = names
                .into_iter()
                .map(|name| if name.is_empty() { topic.default } else { name })
                .map(|name| format!("{name}{suffix}"))
                .collect();
            doc.set_value(at, &new.join(","));
            changes.push(change(section, key, false));
        }
    }
    if !read {
        let (section, key) = topic.keys[0];
        doc.add(section, key, &format!("{}{suffix}", topic.default));
        changes.push(change(section, key, true));
    }
    let guide_named = topic.unread.iter().any(|&(section, key)| !doc.find(section, key).is_empty());
    if let (false, Some(&(section, key))) = (guide_named, topic.unread.first()) {
        doc.add(section, key, &format!("{}{suffix}", topic.default));
        changes.push(change(section, key, true));
    }
}

/// Values end up verbatim in an INI line: a line break would add lines,
/// surrounding spaces would be trimmed by oslo.config.
fn validate(settings: &RenderSettings) -> Result<(), RenderError> {
    let given = [
        Setting::DatabaseUrl,
        Setting::ApiDatabaseUrl,
        Setting::MetadataHost,
        Setting::VncAddress,
        Setting::NovncproxyBaseUrl,
        Setting::TopicSuffix,
    ]
    .into_iter()
    .chain(settings.vnc_listen.is_some().then_some(Setting::VncListen));
    for setting in given {
        let Some(value) = value_of(settings, setting) else { continue };
        let reason = if value.is_empty() {
            Some("is empty")
        } else if value.chars().any(char::is_control) {
            Some("contains a line break or control character")
        } else if value.trim() != value {
            Some("starts or ends with a space")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(RenderError::Invalid { setting, reason: reason.to_string() });
        }
    }
    let suffix = &settings.topic_suffix;
    if !suffix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(RenderError::Invalid {
            setting: Setting::TopicSuffix,
            reason: format!("{suffix:?} may hold only letters, digits, '_', '-' and '.'"),
        });
    }
    Ok(())
}

/// A read replica of the old database would let the new Nova read the old
/// environment's rows; cutover does not guess the new replica.
fn refuse_unsupported(doc: &Document) -> Result<(), RenderError> {
    for section in ["database", "api_database"] {
        if !doc.find(section, "slave_connection").is_empty() {
            return Err(RenderError::Unsupported {
                key: format!("[{section}] slave_connection"),
                reason: "a replica of the old database; remove it and add the new database's replica by hand"
                    .to_string(),
            });
        }
    }
    Ok(())
}

/// The new Nova must not share a database with the old one, nor its main
/// database with its API database.
fn check_databases(doc: &Document, settings: &RenderSettings) -> Result<(), RenderError> {
    let old: Vec<(String, String)> = VALUE_KEYS
        .iter()
        .filter(|(s, _)| matches!(s, Setting::DatabaseUrl | Setting::ApiDatabaseUrl))
        .flat_map(|(_, keys)| keys.iter())
        .flat_map(|&(section, key)| {
            doc.find(section, key).into_iter().map(move |at| (format!("[{section}] {key}"), at))
        })
        .map(|(name, at)| (name, doc.value(at)))
        .collect();
    for setting in [Setting::DatabaseUrl, Setting::ApiDatabaseUrl] {
        let Some(new) = value_of(settings, setting) else { continue };
        if let Some((key, url)) = old.iter().find(|(_, url)| same_database(url, new)) {
            return Err(RenderError::SameDatabase { setting, key: key.clone(), url: mask_url_passwords(url) });
        }
    }
    if let (Some(main), Some(api)) = (&settings.database_url, &settings.api_database_url) {
        if same_database(main, api) {
            return Err(RenderError::SameNewDatabases { url: mask_url_passwords(main) });
        }
    }
    Ok(())
}

/// Two SQLAlchemy URLs name the same database when dialect, host, port and
/// database agree; driver, credentials and query options do not matter.
pub(super) fn same_database(a: &str, b: &str) -> bool {
    database_identity(a) == database_identity(b)
}

fn database_identity(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let dialect = scheme.split('+').next().unwrap_or(scheme).to_ascii_lowercase();
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
    let default_port = match dialect.as_str() {
        "mysql" => ":3306",
        "postgresql" | "postgres" => ":5432",
        _ => "",
    };
    let host = match host.strip_suffix(default_port) {
        Some(bare) if !default_port.is_empty() => bare.to_string(),
        _ => host,
    };
    format!("{dialect}://{host}/{}", path.trim_end_matches('/'))
}
