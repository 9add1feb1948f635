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

use std::collections::BTreeMap;

use cutover_core::id::HostName;
use cutover_core::machine::{Action, Side};
use tokio::time::Instant;

use super::{Call, Engine};
use crate::clock::retry_after;
use crate::driver::DriverError;
use crate::error::{Error, Result};

impl Engine {
    /// Takes every old host with a server still to move out of
    /// scheduling, once (journaled), before the first move.
    pub(super) async fn disable_hosts(&mut self) -> Result<()> {
        let reason = crate::hosts::disable_reason(&self.state.plan);
        for h in 0..self.state.plan.hosts.len() {
            let host = self.state.plan.hosts[h].name.clone();
            let unfinished = self.state.servers.iter().any(|t| t.at.0 == h && t.state.end.is_none());
            if !unfinished || self.disabled.contains(&host) {
                continue;
            }
            let mut failures = 0;
            loop {
                let done = self.disable(&host, &reason).await?;
                match done {
                    Ok(()) => break,
                    Err(source) => {
                        failures += 1;
                        if source.permanent || failures >= self.state.options.observe_attempts {
                            return Err(Error::DisableHostFailed { host: host.into(), source });
                        }
                        tokio::time::sleep(retry_after(failures, self.state.options.poll.max)).await;
                    }
                }
            }
            self.journal.set_host_disabled(&host, self.clock.now())?;
            self.wrote();
            self.disabled.insert(host.clone());
            tracing::info!(host = %host, "old host taken out of scheduling");
        }
        Ok(())
    }

    /// Enables the old hosts this round's boots need (each written to the
    /// journal before the call). A boot whose host could not be enabled for
    /// now is not sent — Nova would find no host for it — but failed, its
    /// outcome saying why, and tried again later; a host that has no
    /// service any more does not hold its boots back.
    pub(super) async fn open_hosts(&mut self, calls: Vec<Call>) -> Result<Vec<Call>> {
        let mut failed: BTreeMap<HostName, DriverError> = BTreeMap::new();
        for host in self.state.hosts_needed(&self.disabled).difference(&self.enabled.clone()) {
            self.journal.set_host_enabled_for_rebuild(host, Some(self.clock.now()))?;
            self.enabled_journaled.insert(host.clone());
            self.wrote();
            match self.driver.enable_host(&self.state.plan, host).await {
                Ok(()) => {
                    tracing::info!(host = %host, "old host enabled again for a rebuild there");
                    self.enabled.insert(host.clone());
                }
                // No such service (the host left the old region): nothing was
                // enabled, and the boot goes where Nova finds room.
                Err(error) if error.permanent => {
                    tracing::warn!(host = %host, "cannot enable the old host for a rebuild: {}", error.message);
                    self.forget_enabled(host)?;
                }
                Err(error) => {
                    tracing::warn!(host = %host, "enabling the old host for a rebuild failed: {}", error.message);
                    failed.insert(host.clone(), error);
                }
            }
        }
        let mut kept = Vec::new();
        for call in calls {
            let host = &self.state.servers[call.server].host;
            match (&call.action, failed.get(host)) {
                (Action::BootServer { side: Side::Old, .. }, Some(error)) => {
                    let why = format!("enabling old host {host} for the rebuild failed: {}", error.message);
                    let permanent = error.permanent;
                    self.journal.outcome(call.seq, Err(why.clone()))?;
                    self.wrote();
                    self.state.fail(call.server, permanent, why, Instant::now());
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
        let needed = self.state.hosts_needed(&self.disabled);
        let reason = crate::hosts::disable_reason(&self.state.plan);
        for host in self.enabled_journaled.clone() {
            if needed.contains(&host) {
                continue;
            }
            match self.disable(&host, &reason).await? {
                Ok(()) => {
                    self.forget_enabled(&host)?;
                    self.enabled.remove(&host);
                    tracing::info!(host = %host, "old host disabled again after the rebuild there");
                }
                Err(error) => {
                    tracing::warn!(host = %host, "disabling the old host again failed: {}", error.message);
                    if error.permanent {
                        // The service is gone: there is nothing left to disable.
                        self.forget_enabled(&host)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Journals that `host` is no longer enabled for a rebuild.
    fn forget_enabled(&mut self, host: &HostName) -> Result<()> {
        self.journal.set_host_enabled_for_rebuild(host, None)?;
        self.enabled_journaled.remove(host);
        self.wrote();
        Ok(())
    }
}
