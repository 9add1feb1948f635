/*!
The end of a run: what a run killed in the middle of a boot leaves and no
later step removes. A boot grants role `cutover` on the project and
has cutover's user hold the owner's key (under its own name, recorded in
the journal's ledger first, or under a per-move name), boots, then revokes
and deletes; killed in between, the grant and the key copy stay, and once
the rebuild exists no boot (which would delete the copy) is asked for again.
*/

use cutover_cloud::scoped;
use cutover_core::plan::Plan;
use tracing::info;

use super::driver::OpenStackDriver;
use super::errors::failed;
use crate::driver::DriverError;

pub(super) async fn tidy(d: &OpenStackDriver, plan: &Plan) -> Result<(), DriverError> {
    let revoked = scoped::sweep(&d.old).await.map_err(failed)?;
    if !revoked.is_empty() {
        info!(projects = ?revoked, "revoked role cutover left by a run that was stopped");
    }
    if let Some(ledger) = d.keys.ledger() {
        d.keys.tidy(&ledger, [&d.old, &d.new]).await?;
    }
    // The per-move copies are named like the snapshots: `cutover-<migration>-<source>`.
    let prefix = plan.snapshot_name("");
    for region in [&d.old, &d.new] {
        let own = region.scope().user_id;
        let keys = region.keypairs(None, &own).await.map_err(failed)?;
        for key in keys.iter().filter(|k| k.name.starts_with(&prefix)) {
            match region.delete_own_keypair(&key.name).await {
                Err(e) if !e.is_not_found() => return Err(failed(e)),
                _ => info!(region = region.region(), key = key.name, "deleted a key pair copy left by a stopped run"),
            }
        }
    }
    Ok(())
}
