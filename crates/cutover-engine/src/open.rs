/*!
Opening a run: the plan is checked, and its journal is opened to resume
(when it belongs to this very plan and these clouds) or created with every
move, its rebuild record and its first state, in one transaction, before
the first action. Every refusal here happens before anything changes.
*/

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cutover_core::machine::{ServerState, Strategy};
use cutover_core::plan::{Plan, ServerRecord, PLAN_VERSION};
use cutover_journal::{Journal, Meta};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The rules the engine relies on, beyond what the plan's schema says.
pub fn validate(plan: &Plan) -> Result<()> {
    let invalid = |message: String| Err(Error::InvalidPlan(message));
    if plan.version != PLAN_VERSION {
        return invalid(format!("plan version {}, this cutover reads version {PLAN_VERSION}", plan.version));
    }
    if plan.migration.is_empty()
        || !plan.migration.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return invalid(format!(
            "migration id '{}' must be letters, digits, '-', '_' or '.' (it names images and metadata)",
            plan.migration
        ));
    }
    if plan.clouds.old_region == plan.clouds.new_region {
        return invalid(format!("the old and the new region are both '{}'", plan.clouds.old_region));
    }
    if plan.options.boot_timeout_secs <= 0 || plan.options.snapshot_attempts == 0 {
        return invalid("boot_timeout_secs and snapshot_attempts must be at least 1".into());
    }
    let mut seen = HashSet::new();
    for host in &plan.hosts {
        for planned in &host.servers {
            let server = &planned.server;
            if !seen.insert(server.id.as_str()) {
                return invalid(format!("server {} is planned twice", server.id));
            }
            if server.host != host.name {
                return invalid(format!(
                    "server {} is listed under host {} but its record says host {}",
                    server.id, host.name, server.host
                ));
            }
            let why = match (planned.strategy, planned.after_deadline) {
                (Strategy::Wait, Some(then)) => shape_problem(then, server),
                (_, Some(_)) => Some("after_deadline is only for a server whose strategy is wait"),
                (strategy, None) => shape_problem(strategy, server),
            };
            if let Some(why) = why {
                return invalid(format!("server {}: {why}", server.id));
            }
        }
    }
    Ok(())
}

/// Why `strategy` cannot move a server of this shape, if it cannot.
fn shape_problem(strategy: Strategy, server: &ServerRecord) -> Option<&'static str> {
    match strategy {
        Strategy::Volume if server.root_volume().is_none() => Some("strategy volume needs a root volume"),
        Strategy::Redeploy if server.image_id.is_none() => Some("strategy redeploy needs the original image"),
        Strategy::Snapshot if server.root_volume().is_some() => {
            Some("a boot-from-volume server moves with strategy volume, not snapshot")
        }
        _ => None,
    }
}

/// A digest of the plan's content (not its formatting): a journal is
/// resumed only with the plan it was started from.
pub fn digest(plan: &Plan) -> String {
    let canonical = serde_json::to_vec(plan).unwrap_or_default();
    let hash = Sha256::digest(&canonical);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// What a journal for `plan` must say it belongs to.
pub fn meta(plan: &Plan, created_at: i64) -> Meta {
    let created_at = chrono::DateTime::from_timestamp(created_at, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    Meta {
        migration: plan.migration.clone(),
        plan_digest: digest(plan),
        cloud: plan.clouds.cloud.clone(),
        auth_url: plan.clouds.auth_url.clone(),
        old_region: plan.clouds.old_region.clone(),
        new_region: plan.clouds.new_region.clone(),
        created_at,
    }
}

/// A run about to start: the plan checked, its journal opened to resume
/// (locked) or still to be created.
pub struct Opened {
    path: PathBuf,
    journal: Option<Journal>,
    /// A layer put under the journal's writes ([`Opened::refuse_commits_when`]).
    refuse: Option<Box<dyn FnMut() -> bool + Send>>,
}

impl Opened {
    /// Checks `plan` and opens its journal at `path` if one exists there.
    /// Refuses another plan's journal, or one another run holds.
    pub fn open(plan: &Plan, path: &Path) -> Result<Opened> {
        validate(plan)?;
        if !path.exists() {
            return Ok(Opened { path: path.to_path_buf(), journal: None, refuse: None });
        }
        let journal = Journal::open(path)?;
        let wanted = meta(plan, 0);
        let found = journal.meta();
        let same =
            (&found.migration, &found.plan_digest, &found.cloud, &found.auth_url, &found.old_region, &found.new_region)
                == (
                    &wanted.migration,
                    &wanted.plan_digest,
                    &wanted.cloud,
                    &wanted.auth_url,
                    &wanted.old_region,
                    &wanted.new_region,
                );
        if !same {
            return Err(Error::OtherPlan {
                path: path.to_path_buf(),
                found: describe(found),
                wanted: describe(&wanted),
            });
        }
        Ok(Opened { path: path.to_path_buf(), journal: Some(journal), refuse: None })
    }

    /// True when the journal existed: the run resumes it.
    pub fn resumes(&self) -> bool {
        self.journal.is_some()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts `refuse` under the journal's writes once it is open or created
    /// ([`Journal::refuse_commits_when`]): the crash tests stop a run at
    /// each of its writes with it, as a `kill -9` right there would.
    pub fn refuse_commits_when(mut self, refuse: impl FnMut() -> bool + Send + 'static) -> Opened {
        self.refuse = Some(Box::new(refuse));
        self
    }

    /// The journal, created now (at `now`) if it did not exist.
    pub fn into_journal(self, plan: &Plan, now: i64) -> Result<Journal> {
        let mut journal = match self.journal {
            Some(journal) => journal,
            None => {
                let mut moves = Vec::new();
                for planned in plan.hosts.iter().flat_map(|h| &h.servers) {
                    let record = serde_json::to_value(&planned.server)
                        .map_err(|e| Error::InvalidPlan(format!("server {}: {e}", planned.server.id)))?;
                    moves.push((plan.server_move(planned), record, ServerState::new(now)));
                }
                Journal::create(&self.path, &meta(plan, now), &moves)?
            }
        };
        if let Some(refuse) = self.refuse {
            journal.refuse_commits_when(refuse)?;
        }
        Ok(journal)
    }
}

fn describe(meta: &Meta) -> String {
    let digest: String = meta.plan_digest.chars().take(19).collect();
    format!(
        "migration {} (plan {digest}…, cloud {} at {}, {} → {})",
        meta.migration, meta.cloud, meta.auth_url, meta.old_region, meta.new_region
    )
}
