/*!
What a migration kept on purpose, found and deleted once the operator is
done with it (`cutover cleanup`): the snapshots of servers that moved (kept
by the plan's `keep_snapshots`, or left by a move back that failed) and the
old servers a `redeploy` kept stopped (`keep_redeployed_sources`). Only for
servers whose move ended `moved`; an old server goes only under the rule
every source delete keeps (its rebuild verified, nothing of it attached).
Every delete is journaled as an action, intent then outcome, under the
journal's lock: never beside a run.

An old server's delete takes from its rebuild the ports the old server was
given by id at boot (Nova unbinds them by the ids it cached, whoever holds
them by then): once the old server is gone, they are given back to the
rebuild, bound to its host (journaled too).
*/

use std::sync::Arc;
use std::time::Duration;

use cutover_core::id::ServerId;
use cutover_core::machine::{invariants, Action, End, Seen, Side, Strategy};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_core::Backoff;
use cutover_journal::Journal;
use serde::Serialize;

use crate::driver::Driver;
use crate::error::{Error, Result};
use crate::open::Opened;
use crate::run::single;

/// How long an old server's delete may take before its ports are left
/// unchecked (and the cleanup says so).
const GONE_WITHIN: Duration = Duration::from_secs(600);
/// The waits between looks at a server being deleted.
const LOOK_AGAIN: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));

/// What a left-over resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A snapshot image (Glance).
    Snapshot,
    /// An old server, stopped (the old region's Nova).
    Server,
}

/// One resource the migration kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leftover {
    /// The moved server it belongs to (its id in the old region).
    pub server: ServerId,
    pub name: String,
    pub kind: Kind,
    /// The image's or old server's id.
    pub id: String,
    /// Why it stays although cleanup was asked (a rule it would break).
    pub kept: Option<String>,
}

impl Leftover {
    fn action(&self) -> Action {
        match self.kind {
            Kind::Snapshot => Action::DeleteImage { image: self.id.as_str().into() },
            Kind::Server => Action::DeleteServer { side: Side::Old, server: self.id.as_str().into() },
        }
    }
}

/// A cleanup of one plan's migration, its journal locked.
pub struct Cleanup {
    plan: Arc<Plan>,
    journal: Journal,
    driver: Arc<dyn Driver>,
}

impl Cleanup {
    /// Opens the run's journal (it must exist: nothing was kept without a run).
    pub fn start(plan: Plan, opened: Opened, driver: Arc<dyn Driver>) -> Result<Cleanup> {
        if !opened.resumes() {
            return Err(Error::NoJournal(opened.path().to_path_buf()));
        }
        let journal = opened.into_journal(&plan, 0)?;
        Ok(Cleanup { plan: Arc::new(plan), journal, driver })
    }

    /// The kept resources of the servers that moved, from one observation.
    pub async fn find(&self) -> Result<Vec<Leftover>> {
        let moved: Vec<_> = self
            .journal
            .servers()?
            .into_iter()
            .filter(|e| e.state.end == Some(End::Moved) && e.plan.strategy != Strategy::Wait)
            .collect();
        let planned: Vec<&ServerPlan> = moved.iter().filter_map(|e| self.planned(&e.plan.source)).collect();
        if planned.is_empty() {
            return Ok(Vec::new());
        }
        let observed = single::observe(&*self.driver, &self.plan, &planned).await?;
        let mut found = Vec::new();
        for entry in &moved {
            let source = &entry.plan.source;
            let name = self.planned(source).map(|p| p.server.name.clone()).unwrap_or_default();
            let Some(obs) = observed.get(source) else {
                return Err(Error::Unobserved(source.to_string()));
            };
            let leftover = |kind, id: &str, kept| Leftover {
                server: source.clone(),
                name: name.clone(),
                kind,
                id: id.to_string(),
                kept,
            };
            for image in [&obs.image, &obs.back_image] {
                match image {
                    Seen::Present(image) => found.push(leftover(Kind::Snapshot, &image.id, None)),
                    Seen::Absent => {}
                    Seen::Unknown if entry.plan.strategy == Strategy::Snapshot => {
                        return Err(Error::Unobserved(source.to_string()))
                    }
                    Seen::Unknown => {}
                }
            }
            match &obs.source {
                Seen::Present(old) if entry.state.direction == cutover_core::machine::Direction::Out => {
                    let kept = invariants::may_delete_source(&entry.plan, &entry.state, obs).err();
                    found.push(leftover(Kind::Server, &old.id, kept));
                }
                Seen::Unknown => return Err(Error::Unobserved(source.to_string())),
                _ => {}
            }
        }
        Ok(found)
    }

    /// Deletes each of `leftovers` that may go, journaled; what came of each.
    pub async fn delete(&mut self, leftovers: &[Leftover]) -> Result<Vec<std::result::Result<(), String>>> {
        let mut results = self.delete_each(leftovers).await?;
        for (leftover, result) in leftovers.iter().zip(results.iter_mut()) {
            if leftover.kind == Kind::Server && result.is_ok() {
                *result = self.give_ports_back(&leftover.server).await?;
            }
        }
        Ok(results)
    }

    async fn delete_each(&mut self, leftovers: &[Leftover]) -> Result<Vec<std::result::Result<(), String>>> {
        let mut results = Vec::new();
        for leftover in leftovers {
            if let Some(why) = &leftover.kept {
                results.push(Err(format!("kept: {why}")));
                continue;
            }
            let plan = self.plan.clone();
            let Some(planned) = plan.servers().map(|(_, s)| s).find(|s| s.server.id == leftover.server) else {
                results.push(Err(format!("server {} is not in the plan", leftover.server)));
                continue;
            };
            let action = leftover.action();
            results.push(single::call_journaled(&mut self.journal, &*self.driver, &plan, planned, &action).await?);
        }
        Ok(results)
    }

    /// Once the old server `source` is gone, its rebuild's ports are
    /// its again (those the delete unbound given back).
    async fn give_ports_back(&mut self, source: &str) -> Result<std::result::Result<(), String>> {
        let plan = self.plan.clone();
        let Some(planned) = self.planned(source).cloned() else { return Ok(Ok(())) };
        let ports = plan.server_move(&planned).ports;
        if ports.is_empty() {
            return Ok(Ok(()));
        }
        let mut looks = 0;
        let mut waited = Duration::ZERO;
        loop {
            let observed = single::observe(&*self.driver, &plan, &[&planned]).await?;
            let obs = observed.get(source).ok_or_else(|| Error::Unobserved(source.to_string()))?;
            match (&obs.source, &obs.target) {
                (Seen::Absent, Seen::Present(rebuild)) => {
                    for port in ports.iter().filter(|p| obs.ports.get(*p).is_some_and(|v| v.device_id != rebuild.id)) {
                        let action =
                            Action::ClaimPort { side: Side::New, port: port.clone(), server: rebuild.id.clone() };
                        let journal = &mut self.journal;
                        let result = single::call_journaled(journal, &*self.driver, &plan, &planned, &action).await?;
                        if let Err(why) = result {
                            return Ok(Err(format!("deleted; port {port} not given back to {}: {why}", rebuild.id)));
                        }
                    }
                    return Ok(Ok(()));
                }
                (Seen::Absent, _) => return Ok(Ok(())),
                _ if waited >= GONE_WITHIN => {
                    return Ok(Err(format!(
                        "delete asked, but still there after {} s: its ports are not checked",
                        waited.as_secs()
                    )))
                }
                _ => {}
            }
            let wait = LOOK_AGAIN.delay(looks);
            tokio::time::sleep(wait).await;
            waited += wait;
            looks += 1;
        }
    }

    fn planned(&self, source: &str) -> Option<&ServerPlan> {
        self.plan.servers().map(|(_, s)| s).find(|s| s.server.id == source)
    }
}
