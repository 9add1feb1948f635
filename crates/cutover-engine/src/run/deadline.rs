/*!
The deadline of `wait`: servers left to their owners are watched until
they are gone; once the run's deadline passes, those still there move by
the strategy the plan gives them for it (`after_deadline`, from a
`wait-then-STRATEGY` rule), or are held and reported (the run can then
end), their hosts kept out of scheduling. A conversion is journaled (the
server's move and a fresh state, at once), so a resumed run goes on with
the move whatever its own `--deadline`.
*/

use std::sync::Arc;

use cutover_core::machine::{ServerState, Strategy};

use tokio::time::Instant;

use super::Engine;
use crate::decide::Lifecycle;
use crate::error::Result;

impl Engine {
    /// Converts or holds every `wait` server still in the old region once
    /// the deadline (the clock's Unix seconds) has passed.
    pub(super) fn pass_deadline(&mut self) -> Result<()> {
        let Some(deadline) = self.state.options.deadline else { return Ok(()) };
        let now = self.clock.now();
        if now < deadline {
            return Ok(());
        }
        let when = chrono::DateTime::from_timestamp(deadline, 0).map_or(deadline.to_string(), |t| t.to_rfc3339());
        for i in 0..self.state.servers.len() {
            let t = &self.state.servers[i];
            if t.plan.strategy != Strategy::Wait || t.done() {
                continue;
            }
            let (h, s) = t.at;
            match self.state.plan.hosts[h].servers[s].after_deadline {
                Some(then) => {
                    let planned = &mut Arc::make_mut(&mut self.state.plan).hosts[h].servers[s];
                    planned.strategy = then;
                    let mv = self.state.plan.server_move(&self.state.plan.hosts[h].servers[s]);
                    let state = ServerState::new(now);
                    self.journal.convert(&mv.source, &mv, &state)?;
                    self.wrote();
                    tracing::info!(server = %mv.source, strategy = ?then, "deadline passed; moving it");
                    let t = &mut self.state.servers[i];
                    (t.plan, t.state, t.lifecycle) = (mv, state, Lifecycle::Pending);
                }
                None => {
                    let t = &mut self.state.servers[i];
                    tracing::warn!(server = %t.plan.source, "deadline passed; still in the old region");
                    let why =
                        format!("the deadline ({when}) passed with the server still in the old region (strategy wait)");
                    t.hold(why, Instant::now());
                }
            }
        }
        Ok(())
    }
}
