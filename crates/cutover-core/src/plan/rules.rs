/*!
Which strategy each server gets. Rules are `KIND=VALUE:STRATEGY`, tried in
order; the first that matches the server and whose strategy is possible
for it wins, and its text becomes the plan's `why`. Without a match, the
default by boot source: an image-backed server is snapshotted, a
volume-backed one keeps its root volume.

Kinds: `project=NAME|ID`, `host=HOST`, `metadata=KEY` (the key is set) or
`metadata=KEY=VALUE`, `server=ID`, `boot=image|volume` (changes a default).
*/

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::inventory::ObservedServer;
use super::ServerRecord;
use crate::machine::Strategy;

/// What a rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Matcher {
    /// A project by name or id.
    Project(String),
    Host(String),
    /// A metadata key, and its value when given.
    Metadata {
        key: String,
        value: Option<String>,
    },
    Server(String),
    /// `true`: volume-backed servers; `false`: image-backed ones.
    VolumeBacked(bool),
}

/// One rule: a matcher and the strategy it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub matcher: Matcher,
    pub strategy: Strategy,
}

/// A rule that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad strategy rule {text:?}: {reason} (expected KIND=VALUE:STRATEGY, KIND one of project, host, metadata, server, boot; STRATEGY one of redeploy, snapshot, volume, wait)")]
pub struct BadRule {
    pub text: String,
    pub reason: String,
}

impl FromStr for Rule {
    type Err = BadRule;

    fn from_str(text: &str) -> Result<Rule, BadRule> {
        let bad = |reason: &str| BadRule { text: text.to_string(), reason: reason.to_string() };
        let (selector, strategy) = text.trim().rsplit_once(':').ok_or_else(|| bad("no `:STRATEGY`"))?;
        let strategy = parse_strategy(strategy).ok_or_else(|| bad(&format!("unknown strategy {strategy:?}")))?;
        let (kind, value) = selector.split_once('=').ok_or_else(|| bad("no `KIND=`"))?;
        if value.is_empty() {
            return Err(bad("empty value"));
        }
        let matcher = match kind {
            "project" => Matcher::Project(value.into()),
            "host" => Matcher::Host(value.into()),
            "server" => Matcher::Server(value.into()),
            "metadata" => match value.split_once('=') {
                Some((key, v)) => Matcher::Metadata { key: key.into(), value: Some(v.into()) },
                None => Matcher::Metadata { key: value.into(), value: None },
            },
            "boot" => match value {
                "image" => Matcher::VolumeBacked(false),
                "volume" => Matcher::VolumeBacked(true),
                _ => return Err(bad("boot is `image` or `volume`")),
            },
            other => return Err(bad(&format!("unknown kind {other:?}"))),
        };
        Ok(Rule { matcher, strategy })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.matcher {
            Matcher::Project(p) => write!(f, "project={p}")?,
            Matcher::Host(h) => write!(f, "host={h}")?,
            Matcher::Metadata { key, value: None } => write!(f, "metadata={key}")?,
            Matcher::Metadata { key, value: Some(v) } => write!(f, "metadata={key}={v}")?,
            Matcher::Server(s) => write!(f, "server={s}")?,
            Matcher::VolumeBacked(v) => write!(f, "boot={}", if *v { "volume" } else { "image" })?,
        }
        write!(f, ":{}", strategy_name(self.strategy))
    }
}

/// `redeploy`, `snapshot`, `volume` or `wait`.
pub fn parse_strategy(text: &str) -> Option<Strategy> {
    match text.trim() {
        "redeploy" => Some(Strategy::Redeploy),
        "snapshot" => Some(Strategy::Snapshot),
        "volume" => Some(Strategy::Volume),
        "wait" => Some(Strategy::Wait),
        _ => None,
    }
}

pub fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Redeploy => "redeploy",
        Strategy::Snapshot => "snapshot",
        Strategy::Volume => "volume",
        Strategy::Wait => "wait",
    }
}

impl Rule {
    /// Whether the rule is about this server (`project_name` is its
    /// project's name, where known).
    pub fn matches(&self, server: &ServerRecord, project_name: &str) -> bool {
        match &self.matcher {
            Matcher::Project(p) => *p == server.project_id || p == project_name,
            Matcher::Host(h) => *h == server.host,
            Matcher::Metadata { key, value } => {
                server.metadata.get(key).is_some_and(|v| value.as_ref().is_none_or(|want| want == v))
            }
            Matcher::Server(id) => *id == server.id,
            Matcher::VolumeBacked(v) => server.root_volume().is_some() == *v,
        }
    }
}

/// Whether `strategy` can move `server`; the reason when it cannot.
/// `image_active` says whether Glance has an image, active.
pub fn feasible(strategy: Strategy, server: &ServerRecord, image_active: impl Fn(&str) -> bool) -> Result<(), String> {
    let volume_backed = server.root_volume().is_some();
    match strategy {
        Strategy::Wait => Ok(()),
        Strategy::Volume if !volume_backed => {
            Err("volume needs a boot-from-volume server (it has no root volume)".into())
        }
        Strategy::Volume => Ok(()),
        Strategy::Snapshot if volume_backed => {
            Err("snapshot is not for a boot-from-volume server (its image would hold no disk); use volume".into())
        }
        Strategy::Snapshot => Ok(()),
        Strategy::Redeploy => match server.image_id.as_deref() {
            None => Err("redeploy needs the original image; the server boots from a volume".into()),
            Some(image) if !image_active(image) => {
                Err(format!("redeploy needs the original image {image}, which is not an active image in Glance"))
            }
            Some(_) => Ok(()),
        },
    }
}

/// The strategy chosen for one server, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub strategy: Strategy,
    pub why: String,
    /// Matching rules that were skipped because their strategy cannot move the server.
    pub skipped: Vec<String>,
}

/// The operator's rules in order (flags before the settings file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

impl Rules {
    pub fn new(rules: Vec<Rule>) -> Rules {
        Rules { rules }
    }

    /// The first matching, possible rule; else the default by boot source.
    pub fn choose(&self, server: &ObservedServer, project_name: &str, image_active: impl Fn(&str) -> bool) -> Choice {
        let record = &server.record;
        let mut skipped = Vec::new();
        for rule in self.rules.iter().filter(|r| r.matches(record, project_name)) {
            match feasible(rule.strategy, record, &image_active) {
                Ok(()) => return Choice { strategy: rule.strategy, why: format!("rule {rule}"), skipped },
                Err(why) => skipped.push(format!("rule {rule} skipped: {why}")),
            }
        }
        let (strategy, why) = if record.root_volume().is_some() {
            (Strategy::Volume, "default for a boot-from-volume server")
        } else {
            (Strategy::Snapshot, "default for an image-backed server")
        };
        Choice { strategy, why: why.into(), skipped }
    }
}
