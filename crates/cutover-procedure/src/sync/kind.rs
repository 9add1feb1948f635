/*!
What every kind's sync gets ([`SyncCtx`]) and how it carries out its
decisions ([`carry_out`]): shared by the kinds' modules; it uses none of them.
*/

use cutover_cloud::{Error as CloudError, Profile, RegionClient};
use cutover_core::sync::aggregates::HostMap;
use cutover_core::sync::{Decision, Entry, Kind};

/// What every kind's `sync` gets: both regions, the dry-run switch and
/// the kind-specific inputs.
pub(crate) struct SyncCtx {
    /// The cloud's credentials, for connections scoped to other projects.
    pub profile: Profile,
    pub old: RegionClient,
    pub new: RegionClient,
    pub dry_run: bool,
    /// The operator's host map (aggregates); `None` when none is named.
    pub host_map: Option<HostMap>,
}

/// Carries out each decision with `apply` (never in a dry run, never for
/// equal/different/failed ones) and reports it; a failed call fails only
/// its own entry.
pub(crate) async fn carry_out<C, U>(
    kind: Kind,
    decisions: Vec<Decision<C, U>>,
    dry_run: bool,
    apply: impl AsyncFn(&Decision<C, U>) -> Result<(), CloudError>,
) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(decisions.len());
    for decision in &decisions {
        let acts = matches!(decision, Decision::Create { .. } | Decision::Update { .. });
        let result = if acts && !dry_run { apply(decision).await.map_err(|e| e.to_string()) } else { Ok(()) };
        entries.push(decision.entry(kind, result));
    }
    entries
}
