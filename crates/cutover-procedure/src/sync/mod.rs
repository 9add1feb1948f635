/*!
Sync (design phase 3): copies what Nova stores into the new region,
idempotently, kind by kind, into one [`Report`]. [`Sync::connect`] opens
both regions; [`Sync::run`] syncs the asked kinds and sweeps leftover role
grants.

Rules every kind keeps: each create is preceded by a look-up in the new
region (a rerun after a crash finds what the first run made); nothing is
ever deleted in the new region (what the old region lacks is reported
`different`, "only in new region"); in a dry run nothing is called that
changes anything.

Adding a kind:
1. the pure diff in `cutover_core::sync::<kind>` (old and new values in,
   [`Decision`]s out), with unit tests there;
2. the cloud calls in `cutover_cloud::compute::<kind>`;
3. a module here with `pub async fn sync(cx: &SyncCtx) -> Vec<Entry>`: read
   both regions (a failed read is one [`Entry::unreadable`]), diff, and
   `kind::carry_out` the decisions with the kind's apply function;
4. its arm in [`sync_kind`].
*/

mod aggregates;
mod as_project;
mod flavors;
mod floating_ips;
mod keypairs;
mod kind;
mod quotas;
mod server_groups;

use cutover_core::sync::aggregates::HostMap;
use cutover_core::sync::{Entry, Kind, Outcome, Report};

use self::kind::SyncCtx;

use cutover_cloud::Profile;

use crate::{connect, Result};

/// Both regions, connected, ready to sync.
pub struct Sync {
    cx: SyncCtx,
}

/// What a sync did: the report, and how many leftover grants of role
/// `cutover` (a killed run's) it revoked.
pub struct Synced {
    pub report: Report,
    pub grants_revoked: usize,
}

impl Sync {
    /// Both regions of the cloud `profile` names, connected at once. Bad
    /// credentials or an unknown region are [`crate::Error::Input`].
    pub async fn connect(
        profile: Profile,
        old: &str,
        new: &str,
        dry_run: bool,
        host_map: Option<HostMap>,
    ) -> Result<Sync> {
        let (old, new) = tokio::join!(connect(&profile, old, ""), connect(&profile, new, ""));
        Ok(Sync { cx: SyncCtx { profile, old: old?, new: new?, dry_run, host_map } })
    }

    /// `--print-host-map`: the old region's compute hosts paired in order
    /// with the new region's, as a host-map file.
    pub async fn host_map_template(&self) -> Result<String> {
        Ok(aggregates::host_map_template(&self.cx).await?)
    }

    /// Syncs `kinds` (in [`Kind::ALL`]'s order when given so), then, unless
    /// in a dry run, revokes any grant of role `cutover` left behind. A
    /// failure is an entry of the report, never an early return.
    pub async fn run(&self, kinds: &[Kind]) -> Synced {
        let mut synced = Synced { report: Report::new(self.cx.dry_run), grants_revoked: 0 };
        for &kind in kinds {
            if let Some(entries) = sync_kind(kind, &self.cx).await {
                synced.report.entries.extend(entries);
            }
        }
        if !self.cx.dry_run {
            match cutover_cloud::scoped::sweep(&self.cx.new).await {
                Ok(projects) => synced.grants_revoked = projects.len(),
                Err(e) => {
                    let name = format!("(role {} grants)", cutover_cloud::scoped::ROLE);
                    synced.report.entries.push(Entry::new(
                        Kind::ServerGroup,
                        name,
                        Outcome::Failed,
                        format!("revoking: {e}"),
                    ));
                }
            }
        }
        synced
    }
}

/// The plug-in point: one arm per kind, in [`Kind::ALL`]'s order. `None`
/// for a kind cutover does not sync yet (absent from the report).
async fn sync_kind(kind: Kind, cx: &SyncCtx) -> Option<Vec<Entry>> {
    match kind {
        Kind::Flavor => Some(flavors::sync(cx).await),
        Kind::Keypair => Some(keypairs::sync(cx).await),
        Kind::Quota => Some(quotas::sync(cx).await),
        Kind::ServerGroup => Some(server_groups::sync(cx).await),
        Kind::Aggregate => Some(aggregates::sync(cx).await),
        Kind::FloatingIp => Some(floating_ips::sync(cx).await),
    }
}
