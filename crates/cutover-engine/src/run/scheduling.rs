/*!
The old hosts' scheduling. Every old host with a server to move is taken
out of scheduling (journaled) before the first move. A host is let take
servers again while a server is rebuilt there: Nova's scheduler skips a
disabled host whatever the request says (a filter, and from Train a mandatory
placement pre-filter on the `COMPUTE_STATUS_DISABLED` trait that even a
forced host cannot pass), so a server rolled back into a drained region
would find no host. The host it came from is enabled for the boot and
disabled again as soon as no server boots there any more — journaled
first, so a run killed in between disables it on resume.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_core::machine::{Action, Side};

use super::{Call, Engine};
use crate::clock::retry_after;
use crate::driver::DriverError;
use crate::error::{Error, Result};
use crate::notes;

impl Engine {
    /// Takes every old host with a server still to move out of
    /// scheduling, once (journaled), before the first move.
    pub(super) async fn disable_hosts(&mut self) -> Result<()> {
        let reason = self.disable_reason();
        for h in 0..self.plan.hosts.len() {
            let host = self.plan.hosts[h].name.clone();
            let unfinished = self.servers.iter().any(|t| t.at.0 == h && t.state.end.is_none());
            if !unfinished || notes::host_disabled(&self.journal, &host)?.is_some() {
                continue;
            }
            let mut failures = 0;
            loop {
                match self.driver.disable_host(&self.plan, &host, &reason).await {
                    Ok(()) => break,
                    Err(source) => {
                        failures += 1;
                        if source.permanent || failures >= self.options.observe_attempts {
                            return Err(Error::DisableHostFailed { host, source });
                        }
                        tokio::time::sleep(retry_after(failures, self.options.poll.max)).await;
                    }
                }
            }
            notes::set_host_disabled(&mut self.journal, &host, self.clock.now())?;
            self.wrote()?;
            tracing::info!(host, "old host taken out of scheduling");
        }
        Ok(())
    }

    /// The reason an old host is disabled with: it names the migration.
    fn disable_reason(&self) -> String {
        format!("cutover migration {}: moving its servers to {}", self.plan.migration, self.plan.clouds.new_region)
    }

    /// The old hosts a server is booting on now: its route rebuilds it in
    /// the old region, it is at that boot, and cutover disabled its host.
    fn hosts_needed(&self) -> Result<BTreeSet<String>> {
        let mut needed = BTreeSet::new();
        for t in self.servers.iter().filter(|t| !t.done()) {
            if t.state.booting(&t.plan) == Some(Side::Old) && notes::host_disabled(&self.journal, &t.host)?.is_some() {
                needed.insert(t.host.clone());
            }
        }
        Ok(needed)
    }

    /// Enables the old hosts this round's boots need (each written to the
    /// journal before the call). A boot whose host could not be enabled for
    /// now is not sent — Nova would find no host for it — but failed, its
    /// outcome saying why, and tried again later; a host that has no
    /// service any more does not hold its boots back.
    pub(super) async fn open_hosts(&mut self, calls: Vec<Call>) -> Result<Vec<Call>> {
        let mut failed: BTreeMap<String, DriverError> = BTreeMap::new();
        for host in self.hosts_needed()?.difference(&self.enabled.clone()) {
            notes::set_host_enabled(&mut self.journal, host, self.clock.now())?;
            self.wrote()?;
            match self.driver.enable_host(&self.plan, host).await {
                Ok(()) => {
                    tracing::info!(host, "old host enabled again for a rebuild there");
                    self.enabled.insert(host.clone());
                }
                // No such service (the host left the old region): nothing was
                // enabled, and the boot goes where Nova finds room.
                Err(error) if error.permanent => {
                    tracing::warn!(host, "cannot enable the old host for a rebuild: {}", error.message);
                    notes::clear_host_enabled(&mut self.journal, host)?;
                    self.wrote()?;
                }
                Err(error) => {
                    tracing::warn!(host, "enabling the old host for a rebuild failed: {}", error.message);
                    failed.insert(host.clone(), error);
                }
            }
        }
        let mut kept = Vec::new();
        for call in calls {
            let host = &self.servers[call.server].host;
            match (&call.action, failed.get(host)) {
                (Action::BootServer { side: Side::Old, .. }, Some(error)) => {
                    let why = format!("enabling old host {host} for the rebuild failed: {}", error.message);
                    let permanent = error.permanent;
                    self.journal.outcome(call.seq, Err(why.clone()))?;
                    self.wrote()?;
                    self.fail(call.server, permanent, why);
                }
                _ => kept.push(call),
            }
        }
        Ok(kept)
    }

    /// Disables again every old host enabled for a rebuild that no server
    /// boots on any more, and forgets it once the cloud confirmed. A
    /// failure is retried at the next round (and by the next run).
    pub(super) async fn close_hosts(&mut self) -> Result<()> {
        let needed = self.hosts_needed()?;
        let reason = self.disable_reason();
        for host in notes::hosts_enabled(&self.journal)? {
            if needed.contains(&host) {
                continue;
            }
            match self.driver.disable_host(&self.plan, &host, &reason).await {
                Ok(()) => {
                    notes::clear_host_enabled(&mut self.journal, &host)?;
                    self.wrote()?;
                    self.enabled.remove(&host);
                    tracing::info!(host, "old host disabled again after the rebuild there");
                }
                Err(error) => {
                    tracing::warn!(host, "disabling the old host again failed: {}", error.message);
                    if error.permanent {
                        // The service is gone: there is nothing left to disable.
                        notes::clear_host_enabled(&mut self.journal, &host)?;
                        self.wrote()?;
                    }
                }
            }
        }
        Ok(())
    }
}
