/*!
A resumed run's plan given the moves its journal converted at the
deadline (`wait` servers the plan gives an `after_deadline` strategy);
any other difference between the two is refused.
*/

use std::collections::HashMap;

use cutover_core::id::ServerId;
use cutover_core::machine::{ServerMove, ServerState, Strategy};
use cutover_core::plan::Plan;

use crate::error::{Error, Result};

/// Gives the plan the moves a run converted at its deadline (the journal
/// has them); any other difference between the two is refused.
pub(crate) fn apply_conversions(
    plan: &mut Plan,
    journaled: &HashMap<ServerId, (ServerMove, ServerState)>,
) -> Result<()> {
    for planned in plan.hosts.iter_mut().flat_map(|h| h.servers.iter_mut()) {
        let Some((mv, _)) = journaled.get(&planned.server.id) else { continue };
        if mv.strategy == planned.strategy {
            continue;
        }
        if planned.strategy != Strategy::Wait || planned.after_deadline != Some(mv.strategy) {
            return Err(Error::InvalidPlan(format!(
                "server {}: the journal moves it by {:?}, the plan says {:?}",
                planned.server.id, mv.strategy, planned.strategy
            )));
        }
        planned.strategy = mv.strategy;
    }
    Ok(())
}
