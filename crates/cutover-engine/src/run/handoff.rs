/*!
The old hosts' machines in the loop: after the servers' round, every old
host not done is observed (one batch) and stepped, knowing how many of
its planned moves are still under way. A run works on until its servers
are done and every host has gone as far as this run can take it.
*/

use cutover_cloud::meter::metered;

use super::{Engine, Round};

impl Engine {
    /// The old hosts' round; `Ok(true)` when something changed. A rollback
    /// run leaves the hosts alone.
    pub(super) async fn host_round(&mut self) -> Result<bool, Round> {
        if self.state.only.is_some() {
            return Ok(false);
        }
        let moves = self.state.host_moves();
        let now = self.clock.now();
        let (result, requests) = metered(self.hosts_round(&moves, now)).await;
        // The hosts are drained for their servers: what watching them
        // costs is shared among the servers of the plan.
        let share = requests as f64 / self.state.servers.len().max(1) as f64;
        for t in &mut self.state.servers {
            t.notes.observed += share;
        }
        result
    }

    /// Whether the run is over: every server it works on is done (ended or
    /// held) and the hosts have gone as far as this run can take them.
    pub(super) fn finished(&self) -> bool {
        let servers_done = self.state.servers_done();
        if !servers_done || self.state.only.is_some() {
            return servers_done;
        }
        !self.hosts.hooks_running() && self.hosts.settled(&self.state.host_moves())
    }
}
