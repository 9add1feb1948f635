/*!
Calls made one at a time, outside a run's rounds (`cutover cleanup`), by
the same rules: an action's intent journaled before it is sent and its
outcome after, and an observation failing once is the command's error.
*/

use std::collections::BTreeMap;

use cutover_core::id::ServerId;
use cutover_core::machine::{Action, Observation};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_journal::Journal;

use crate::driver::Driver;
use crate::error::{Error, Result};

/// Carries `action` out for `planned`: intent, call, outcome. The outer
/// error is the journal's; the inner one what the cloud answered.
pub(crate) async fn call_journaled(
    journal: &mut Journal,
    driver: &dyn Driver,
    plan: &Plan,
    planned: &ServerPlan,
    action: &Action,
) -> Result<std::result::Result<(), String>> {
    let seq = journal.intend(&planned.server.id, action)?;
    let result = driver.execute(plan, planned, action).await.map_err(|e| e.message);
    journal.outcome(seq, result.clone())?;
    Ok(result)
}

/// Observes `servers` once.
pub(crate) async fn observe(
    driver: &dyn Driver,
    plan: &Plan,
    servers: &[&ServerPlan],
) -> Result<BTreeMap<ServerId, Observation>> {
    driver.observe(plan, servers).await.map_err(|source| Error::ObserveFailed { attempts: 1, source })
}
