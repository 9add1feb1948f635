/*!
The old hosts' machines in the loop: after the servers' round, every old
host not done is observed (one batch) and stepped, knowing how many of
its planned moves are still under way. A run works on until its servers
are done and every host has gone as far as this run can take it.
*/

use std::collections::BTreeMap;

use cutover_cloud::meter::metered;

use super::{Engine, Round};
use cutover_core::machine::Strategy;

use crate::hosts::{HostMoves, HostRound};

impl Engine {
    /// The old hosts' round; `Ok(true)` when something changed. A rollback
    /// run leaves the hosts alone.
    pub(super) async fn host_round(&mut self) -> Result<bool, Round> {
        if self.only.is_some() {
            return Ok(false);
        }
        let moves = self.host_moves();
        let now = self.clock.now();
        let round = self.hosts.round(&self.plan, self.driver.as_ref(), &mut self.journal, &moves, now);
        let (result, requests) = metered(round).await;
        // The hosts are drained for their servers: what watching them
        // costs is shared among the servers of the plan.
        let share = requests as f64 / self.servers.len().max(1) as f64;
        for t in &mut self.servers {
            t.notes.observed += share;
        }
        match result {
            Ok(changed) => Ok(changed),
            Err(HostRound::Observe(e)) => Err(Round::Observe(e)),
            Err(HostRound::Fatal(e)) => Err(Round::Fatal(e)),
        }
    }

    /// Notes whether a host joining the new region may take servers there
    /// before it is in its old aggregates (it came enabled, up or about to
    /// be; the host round disables it until it is in them): no boot is sent
    /// meanwhile, lest Nova place it on that host outside its zone. Asked
    /// afresh each round while a host joins; not knowing counts as taking.
    pub(super) async fn check_joining(&mut self) {
        let joining = self.hosts.joining();
        self.joining_taking = match joining.is_empty() {
            true => None,
            false => match self.driver.new_region(&self.plan).await {
                Ok(region) => joining.into_iter().find(|h| region.enabled.contains(*h)).map(str::to_string),
                Err(_) => joining.first().map(|h| h.to_string()),
            },
        };
        if let Some(host) = &self.joining_taking {
            tracing::info!(host, "boots wait: the host joins the new region's aggregates first");
        }
    }

    /// Whether the run is over: every server it works on is done (ended or
    /// held) and the hosts have gone as far as this run can take them.
    pub(super) fn finished(&self) -> bool {
        let servers_done = (0..self.servers.len()).all(|i| self.servers[i].done() || !self.selected(i));
        if !servers_done || self.only.is_some() {
            return servers_done;
        }
        !self.hosts.hooks_running() && self.hosts.settled(&self.host_moves())
    }

    /// Each old host's planned servers under way. A held server is not: its
    /// host is watched like one holding a server cutover does not move.
    pub(super) fn host_moves(&self) -> BTreeMap<String, HostMoves> {
        let mut per_host: BTreeMap<String, HostMoves> = BTreeMap::new();
        for t in &self.servers {
            let moves = per_host.entry(t.host.clone()).or_default();
            moves.in_flight += u32::from(!t.done());
            moves.started += u32::from(t.started || t.plan.strategy == Strategy::Wait);
        }
        per_host
    }
}
