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

use super::inventory::{Index, ObservedServer};
use super::{ServerRecord, VolumeRecord};
use crate::machine::Strategy;
use crate::microversion::Microversion;

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
    /// For `wait-then-STRATEGY`: how a server still there at the run's
    /// `--deadline` moves.
    pub then: Option<Strategy>,
}

/// A rule that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad strategy rule {text:?}: {reason} (expected KIND=VALUE:STRATEGY, KIND one of project, host, metadata, server, boot; STRATEGY one of redeploy, snapshot, volume, wait, wait-then-redeploy|snapshot|volume)")]
pub struct BadRule {
    pub text: String,
    pub reason: String,
}

impl FromStr for Rule {
    type Err = BadRule;

    fn from_str(text: &str) -> Result<Rule, BadRule> {
        let bad = |reason: &str| BadRule { text: text.to_string(), reason: reason.to_string() };
        let (selector, strategy) = text.trim().rsplit_once(':').ok_or_else(|| bad("no `:STRATEGY`"))?;
        let unknown = || bad(&format!("unknown strategy {strategy:?}"));
        let (strategy, then) = match strategy.trim().strip_prefix("wait-then-") {
            Some(then) => match parse_strategy(then) {
                Some(Strategy::Wait) | None => return Err(unknown()),
                then => (Strategy::Wait, then),
            },
            None => (parse_strategy(strategy).ok_or_else(unknown)?, None),
        };
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
        Ok(Rule { matcher, strategy, then })
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
        write!(f, ":{}", strategy_name(self.strategy))?;
        match self.then {
            Some(then) => write!(f, "-then-{}", strategy_name(then)),
            None => Ok(()),
        }
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

/// Whether `strategy` can move `server`, read from the inventory; the
/// reason when it cannot.
pub fn feasible(strategy: Strategy, server: &ServerRecord, index: &Index<'_>) -> Result<(), String> {
    let root = server.root_volume();
    match strategy {
        Strategy::Wait => Ok(()),
        Strategy::Volume => match root {
            None => Err("volume needs a boot-from-volume server (it has no root volume)".into()),
            Some(root) => keeps_root_volume(root, index.inv.old_version),
        },
        Strategy::Snapshot if root.is_some() => {
            Err("snapshot is not for a boot-from-volume server (its image would hold no disk); use volume".into())
        }
        Strategy::Snapshot => Ok(()),
        Strategy::Redeploy => match server.image_id.as_deref() {
            None => Err("redeploy needs the original image; the server boots from a volume".into()),
            Some(image) if !index.image_active(image) => {
                Err(format!("redeploy needs the original image {image}, which is not an active image in Glance"))
            }
            Some(_) => Ok(()),
        },
    }
}

/// Whether the old Nova, at microversion `old`, lets the root volume
/// survive the source's delete: it must show `delete_on_termination`
/// (2.3+), and where that is on, be able to turn it off (2.85+). Older
/// Novas (every nova-network one) can keep only a root volume booted with
/// it off.
fn keeps_root_volume(root: &VolumeRecord, old: Microversion) -> Result<(), String> {
    if old < Microversion::new(2, 3) {
        return Err(format!(
            "the old Nova (microversion {old}) does not show whether root volume {} is deleted with the server \
             (2.3+), so volume cannot make sure it survives",
            root.id
        ));
    }
    if root.delete_on_termination && old < Microversion::new(2, 85) {
        return Err(format!(
            "root volume {} is deleted with the server (delete_on_termination) and the old Nova \
             (microversion {old}) cannot turn that off (2.85+)",
            root.id
        ));
    }
    Ok(())
}

/// The strategy chosen for one server, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub strategy: Strategy,
    pub why: String,
    /// Matching rules that were skipped because their strategy cannot move the server.
    pub skipped: Vec<String>,
    /// How a `wait` server still there at the deadline moves, if it does.
    pub after_deadline: Option<Strategy>,
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

    /// The first matching, possible rule; else the default by boot source:
    /// `snapshot` for an image-backed server, `volume` for a boot-from-volume
    /// one, or `wait` where its root volume cannot be kept.
    pub fn choose(&self, server: &ObservedServer, index: &Index<'_>) -> Choice {
        let record = &server.record;
        let project_name = index.project_name(&record.project_id);
        let mut skipped = Vec::new();
        for rule in self.rules.iter().filter(|r| r.matches(record, project_name)) {
            let then_feasible = rule.then.map_or(Ok(()), |then| feasible(then, record, index));
            match feasible(rule.strategy, record, index).and(then_feasible) {
                Ok(()) => {
                    let why = format!("rule {rule}");
                    return Choice { strategy: rule.strategy, why, skipped, after_deadline: rule.then };
                }
                Err(why) => skipped.push(format!("rule {rule} skipped: {why}")),
            }
        }
        let (strategy, why) = match record.root_volume() {
            None => (Strategy::Snapshot, "default for an image-backed server".to_string()),
            Some(_) => match feasible(Strategy::Volume, record, index) {
                Ok(()) => (Strategy::Volume, "default for a boot-from-volume server".to_string()),
                Err(why) => (
                    Strategy::Wait,
                    format!("default for a boot-from-volume server whose root volume cannot be kept: {why}"),
                ),
            },
        };
        Choice { strategy, why, skipped, after_deadline: None }
    }
}
