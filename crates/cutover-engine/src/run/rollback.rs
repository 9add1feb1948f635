/*!
Rollbacks an operator asks for (`cutover rollback`): each is recorded in
the server's journaled state by the machine's pure [`request`], before
anything runs, and the engine is limited to the servers named, so that
[`Engine::run`] carries out their rollbacks and touches no other server. A
run killed meanwhile leaves the requests in the journal: the next run
(`cutover run` or `cutover rollback`) goes on with them.
*/

use std::collections::HashSet;

use cutover_core::id::ServerId;
use cutover_core::machine::{request, Requested};
use serde::Serialize;

use tokio::time::Instant;

use super::Engine;
use crate::decide::Lifecycle;
use crate::error::{Error, Result};

/// What a rollback request made of one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackRequest {
    /// The server's id in the old region.
    pub server: ServerId,
    /// Why there is nothing to do (a server left to its owner, one back
    /// in the old region already); `None` when the rollback was recorded.
    pub nothing_to_do: Option<String>,
}

impl Engine {
    /// Records the rollback of each of `sources` (old server ids of the
    /// plan) and limits this engine to them (its report covers them all, its
    /// run those with something to do). Refuses, recording nothing, when
    /// one is not in the plan.
    pub fn request_rollback(&mut self, sources: &[ServerId]) -> Result<Vec<RollbackRequest>> {
        let mut picked = Vec::new();
        for source in sources {
            let i = self
                .state
                .servers
                .iter()
                .position(|t| t.plan.source == *source)
                .ok_or_else(|| Error::NotPlanned(source.to_string()))?;
            picked.push(i);
        }
        let now = self.clock.now();
        let mut requests = Vec::new();
        let mut recorded = HashSet::new();
        for &i in &picked {
            let t = &self.state.servers[i];
            let source = t.plan.source.clone();
            // `started` counts the actions the journal holds for it.
            let nothing_to_do = match request(&t.plan, &t.state, t.lifecycle.started(), now) {
                Requested::Recorded(state) => {
                    if state != t.state {
                        self.journal.save(&source, &state)?;
                        self.wrote();
                        let t = &mut self.state.servers[i];
                        let started = t.lifecycle.started() || state.started();
                        t.lifecycle = match state.end {
                            Some(_) => Lifecycle::Ended { at: Some(Instant::now()) },
                            None => Lifecycle::of(&state, started),
                        };
                        t.state = state;
                    }
                    recorded.insert(i);
                    None
                }
                Requested::Nothing(why) => Some(why),
            };
            requests.push(RollbackRequest { server: source, nothing_to_do });
        }
        self.state.only = Some(recorded);
        self.state.asked = Some(requests.iter().map(|r| r.server.clone()).collect());
        Ok(requests)
    }
}
