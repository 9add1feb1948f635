/*!
Sync (phase 3 of the procedure): what to copy of each Nova-owned resource from the old
region into the new one, decided from both regions' values without I/O, and
the report of what happened.

The shape every kind follows:
- a pure `diff(old, new, ...) -> Vec<Decision<C, U>>` in the kind's module
  (`flavors`, `quotas`, `aggregates`, ...): per resource, create it, update
  some of its fields, leave it (equal), or report it as different with the
  reason cutover cannot fix it;
- the CLI carries out each decision (or, in a dry run, does not) and turns
  it into one [`Entry`] with [`Decision::entry`];
- the entries of every kind make the [`Report`], whose [`Report::verdict`]
  picks the exit status.

Sync never deletes in the new region: what the old region lacks is reported
as [`Outcome::Different`] ("only in new region").
*/

pub mod aggregates;
pub mod flavors;
pub mod floating_ips;
pub mod keypairs;
pub mod quotas;
pub mod server_groups;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of Nova-owned resource, in the order sync copies them: flavors
/// before anything that names one; projects' quotas before their resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Flavor,
    Keypair,
    Quota,
    ServerGroup,
    Aggregate,
    FloatingIp,
}

impl Kind {
    /// Every kind, in sync order.
    pub const ALL: [Kind; 6] =
        [Kind::Flavor, Kind::Keypair, Kind::Quota, Kind::ServerGroup, Kind::Aggregate, Kind::FloatingIp];

    /// The singular, kebab-case name shown in reports (`server-group`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Flavor => "flavor",
            Kind::Keypair => "keypair",
            Kind::Quota => "quota",
            Kind::ServerGroup => "server-group",
            Kind::Aggregate => "aggregate",
            Kind::FloatingIp => "floating-ip",
        }
    }

    /// The plural an operator types after `--only` (`server-groups`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Flavor => "flavors",
            Kind::Keypair => "keypairs",
            Kind::Quota => "quotas",
            Kind::ServerGroup => "server-groups",
            Kind::Aggregate => "aggregates",
            Kind::FloatingIp => "floating-ips",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no kind of resource sync knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind {0:?} (kinds: flavors, keypairs, quotas, server-groups, aggregates, floating-ips)")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    /// Singular or plural, `-` or `_`, any case; `azs` and
    /// `availability-zones` are aggregates (zones are aggregate metadata).
    fn from_str(text: &str) -> Result<Kind, UnknownKind> {
        let key = text.trim().to_ascii_lowercase().replace('_', "-");
        let found = Kind::ALL.into_iter().find(|k| key == k.as_str() || key == k.plural());
        found
            .or(match key.as_str() {
                "azs" | "az" | "availability-zones" | "availability-zone" => Some(Kind::Aggregate),
                "fips" | "floatingips" => Some(Kind::FloatingIp),
                "servergroups" => Some(Kind::ServerGroup),
                _ => None,
            })
            .ok_or_else(|| UnknownKind(text.to_string()))
    }
}

/// What sync did (or, in a dry run, would do) with one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Missing in the new region, created there.
    Created,
    /// Present in both, some fields brought level.
    Updated,
    /// Present in both and the same: nothing to do.
    Equal,
    /// Not the same, and cutover cannot or may not make it so (the detail
    /// says why): the operator decides.
    Different,
    /// Deliberately not copied (the detail says why); not a problem.
    Skipped,
    /// Waits for something a later step brings (an old host that joins
    /// the new region under its own name); not a difference.
    Waiting,
    /// A call failed, or the input (e.g. the host map) is wrong.
    Failed,
}

impl Outcome {
    /// The report's word: `would create` / `would update` in a dry run.
    pub fn label(self, dry_run: bool) -> &'static str {
        match (self, dry_run) {
            (Outcome::Created, true) => "would create",
            (Outcome::Updated, true) => "would update",
            (Outcome::Created, false) => "created",
            (Outcome::Updated, false) => "updated",
            (Outcome::Equal, _) => "equal",
            (Outcome::Different, _) => "different",
            (Outcome::Skipped, _) => "skipped",
            (Outcome::Waiting, _) => "waiting",
            (Outcome::Failed, _) => "failed",
        }
    }

    /// `ok` / `warn` / `fail`, for the report's colors.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Created | Outcome::Updated | Outcome::Equal | Outcome::Skipped | Outcome::Waiting => "ok",
            Outcome::Different => "warn",
            Outcome::Failed => "fail",
        }
    }
}

/// One line of the report: a resource, what became of it, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    /// How an operator finds the resource: a flavor's name and id, a
    /// quota's project (and user), an aggregate's name.
    pub name: String,
    pub outcome: Outcome,
    /// One line: which fields were set, which differ, what failed.
    pub detail: String,
}

impl Entry {
    pub fn new(kind: Kind, name: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Entry {
        Entry { kind, name: name.into(), outcome, detail: one_line(&detail.into()) }
    }

    /// A whole kind that could not be read: one failed entry naming the call.
    pub fn unreadable(kind: Kind, error: impl fmt::Display) -> Entry {
        Entry::new(kind, format!("({})", kind.plural()), Outcome::Failed, error.to_string())
    }
}

/// What to do with one resource, from comparing both regions. `C` is what
/// a create needs, `U` what an update changes; each kind has its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision<C, U> {
    /// Missing in the new region: create it (and whatever goes with it).
    Create { name: String, create: C, detail: String },
    /// Present in both: change `update`. `remains` is what still differs
    /// afterwards and cutover may not change (e.g. keys only in the new region).
    Update { name: String, update: U, detail: String, remains: Option<String> },
    /// Present in both and the same.
    Equal { name: String },
    /// Different in a way cutover cannot or may not fix; `reason` says how.
    Different { name: String, reason: String },
    /// Cannot be done as asked (bad input); `reason` says why.
    Fail { name: String, reason: String },
    /// Done as far as it can be now; the rest waits for what `reason`
    /// names.
    Waiting { name: String, reason: String },
}

impl<C, U> Decision<C, U> {
    pub fn name(&self) -> &str {
        match self {
            Decision::Create { name, .. }
            | Decision::Update { name, .. }
            | Decision::Equal { name }
            | Decision::Different { name, .. }
            | Decision::Fail { name, .. }
            | Decision::Waiting { name, .. } => name,
        }
    }

    /// The entry reporting this decision, once carried out with `applied`
    /// (`Ok` also in a dry run, where nothing is called): a failed call
    /// makes it [`Outcome::Failed`] with the error as the detail.
    pub fn entry(&self, kind: Kind, applied: Result<(), String>) -> Entry {
        let (outcome, detail) = match (self, applied) {
            (Decision::Create { .. } | Decision::Update { .. }, Err(e)) => (Outcome::Failed, e),
            (Decision::Create { detail, .. }, Ok(())) => (Outcome::Created, detail.clone()),
            (Decision::Update { detail, remains: None, .. }, Ok(())) => (Outcome::Updated, detail.clone()),
            (Decision::Update { detail, remains: Some(rest), .. }, Ok(())) => {
                (Outcome::Different, format!("{detail}; still different: {rest}"))
            }
            (Decision::Equal { .. }, _) => (Outcome::Equal, String::new()),
            (Decision::Different { reason, .. }, _) => (Outcome::Different, reason.clone()),
            (Decision::Fail { reason, .. }, _) => (Outcome::Failed, reason.clone()),
            (Decision::Waiting { reason, .. }, _) => (Outcome::Waiting, reason.clone()),
        };
        Entry::new(kind, self.name(), outcome, detail)
    }
}

/// How a sync ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Everything created, updated, equal, skipped or waiting.
    Done,
    /// Some resources differ and cutover cannot fix them (exit 3).
    Different,
    /// Something failed (exit 1).
    Failed,
}

/// Every entry of a sync run, in the order the kinds ran.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Report {
    pub dry_run: bool,
    pub entries: Vec<Entry>,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report { dry_run, entries: Vec::new() }
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.entries.iter().filter(|e| e.outcome == outcome).count()
    }

    /// Failed wins over different.
    pub fn verdict(&self) -> Verdict {
        if self.count(Outcome::Failed) > 0 {
            Verdict::Failed
        } else if self.count(Outcome::Different) > 0 {
            Verdict::Different
        } else {
            Verdict::Done
        }
    }

    /// `12 created, 30 equal, 1 different` (`would create` in a dry run);
    /// outcomes with no entry left out, `nothing to sync` for none at all.
    pub fn summary(&self) -> String {
        let order = [
            Outcome::Created,
            Outcome::Updated,
            Outcome::Equal,
            Outcome::Skipped,
            Outcome::Waiting,
            Outcome::Different,
            Outcome::Failed,
        ];
        let parts: Vec<String> = order
            .into_iter()
            .filter_map(|o| match self.count(o) {
                0 => None,
                n => Some(format!("{n} {}", o.label(self.dry_run))),
            })
            .collect();
        if parts.is_empty() {
            "nothing to sync".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// Details come from cloud messages and lists; a report line wants one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `a, b, c` of anything printable, for details.
pub fn list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items.into_iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_as_operators_type_them() {
        assert_eq!("flavors".parse::<Kind>().unwrap(), Kind::Flavor);
        assert_eq!("Server_Groups".parse::<Kind>().unwrap(), Kind::ServerGroup);
        assert_eq!("azs".parse::<Kind>().unwrap(), Kind::Aggregate);
        assert_eq!("floating-ip".parse::<Kind>().unwrap(), Kind::FloatingIp);
        assert!("servers".parse::<Kind>().is_err());
        assert_eq!(serde_json::to_value(Kind::ServerGroup).unwrap(), "server-group");
        assert_eq!(serde_json::to_value(Outcome::Different).unwrap(), "different");
    }

    #[test]
    fn decisions_become_entries() {
        type D = Decision<(), ()>;
        let create = D::Create { name: "m1".into(), create: (), detail: "id 1".into() };
        assert_eq!(create.entry(Kind::Flavor, Ok(())).outcome, Outcome::Created);
        let failed = create.entry(Kind::Flavor, Err("RegionTwo compute POST flavors: 409".into()));
        assert_eq!((failed.outcome, failed.detail.as_str()), (Outcome::Failed, "RegionTwo compute POST flavors: 409"));
        let update = D::Update { name: "m1".into(), update: (), detail: "set a".into(), remains: Some("b".into()) };
        let e = update.entry(Kind::Flavor, Ok(()));
        assert_eq!((e.outcome, e.detail.as_str()), (Outcome::Different, "set a; still different: b"));
        assert_eq!(D::Equal { name: "x".into() }.entry(Kind::Quota, Ok(())).outcome, Outcome::Equal);
    }

    #[test]
    fn the_report_sums_up_and_picks_the_verdict() {
        let mut report = Report::new(true);
        assert_eq!(report.summary(), "nothing to sync");
        report.entries.push(Entry::new(Kind::Flavor, "a", Outcome::Created, ""));
        report.entries.push(Entry::new(Kind::Flavor, "b", Outcome::Equal, ""));
        assert_eq!(report.verdict(), Verdict::Done);
        report.entries.push(Entry::new(Kind::Flavor, "c", Outcome::Different, "only in new\nregion"));
        assert_eq!(report.entries[2].detail, "only in new region");
        assert_eq!(report.verdict(), Verdict::Different);
        report.entries.push(Entry::unreadable(Kind::Quota, "boom"));
        assert_eq!(report.verdict(), Verdict::Failed);
        assert_eq!(report.summary(), "1 would create, 1 equal, 1 different, 1 failed");
    }
}
