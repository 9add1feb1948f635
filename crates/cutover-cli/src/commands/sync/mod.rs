/*!
`cutover sync` (design phase 3): copies what Nova stores into the new
region, idempotently, and prints one report (Kind, Name, Outcome, Detail)
with a one-line summary on stderr. Exit 0 when everything was created,
updated or equal; 3 ([`SyncIncomplete`]) when something differs that cutover
cannot fix; 1 when something failed (after the report).

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
   [`carry_out`] the decisions with the kind's apply function;
4. its arm in [`sync_kind`].
*/

mod aggregates;
mod as_project;
mod flavors;
mod floating_ips;
mod keypairs;
mod quotas;
mod server_groups;

use anyhow::Context as _;
use cutover_cloud::{Error as CloudError, Profile, RegionClient, RetryPolicy};
use cutover_core::sync::aggregates::HostMap;
use cutover_core::sync::{Decision, Entry, Kind, Outcome, Report, Verdict};
use serde_json::json;

use super::{Ctx, InputError, SyncIncomplete};
use crate::cli::SyncArgs;
use crate::output::Listing;

/// What every kind's `sync` gets: both regions, the dry-run switch and
/// the kind-specific inputs.
pub struct SyncCtx {
    /// The cloud's credentials, for connections scoped to other projects.
    pub profile: Profile,
    pub old: RegionClient,
    pub new: RegionClient,
    pub dry_run: bool,
    /// The operator's host map (aggregates), from `--host-map` or
    /// cutover.toml's `[sync] host_map`; `None` when neither names one.
    pub host_map: Option<HostMap>,
}

pub fn run(args: SyncArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| args.only.is_empty() || args.only.contains(k)).collect();
    let host_map = match args.host_map.clone().or_else(|| ctx.settings.sync.host_map.clone()) {
        Some(path) if kinds.contains(&Kind::Aggregate) && !args.print_host_map => {
            Some(crate::hostmap::HostMap::load(&path)?.hosts)
        }
        _ => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let (profile, old, new) = runtime.block_on(connect(ctx.settings.cloud(), &regions.old, &regions.new))?;
    let cx = SyncCtx { profile, old, new, dry_run: args.dry_run, host_map };
    if args.print_host_map {
        let text = runtime.block_on(aggregates::host_map_template(&cx))?;
        print!("{text}");
        return Ok(());
    }
    let mut report = Report::new(args.dry_run);
    for kind in kinds {
        if let Some(entries) = runtime.block_on(sync_kind(kind, &cx)) {
            report.entries.extend(entries);
        }
    }
    if !args.dry_run {
        report.entries.extend(runtime.block_on(sweep_grants(&cx)));
    }
    ctx.out.print(listing(&report))?;
    eprintln!("cutover sync: {}", report.summary());
    finish(&report)
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

/// Carries out each decision with `apply` (never in a dry run, never for
/// equal/different/failed ones) and reports it; a failed call fails only
/// its own entry.
pub async fn carry_out<C, U>(
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

/// Both regions, connected at once. A bad cloud configuration or an
/// unknown region is bad input (exit 2).
async fn connect(cloud: Option<&str>, old: &str, new: &str) -> anyhow::Result<(Profile, RegionClient, RegionClient)> {
    let profile = Profile::resolve(cloud).map_err(|e| InputError(e.to_string()))?;
    let (old, new) = tokio::join!(
        RegionClient::connect(&profile, old, RetryPolicy::default()),
        RegionClient::connect(&profile, new, RetryPolicy::default())
    );
    Ok((profile, old.map_err(input_or_failure)?, new.map_err(input_or_failure)?))
}

/// Every grant of role `cutover` still held by the admin's user (one this
/// run failed to revoke, or a killed run's) is revoked; reported only when
/// there was one, or when revoking fails.
async fn sweep_grants(cx: &SyncCtx) -> Vec<Entry> {
    use cutover_core::sync::Outcome;
    let name = format!("(role {} grants)", cutover_cloud::scoped::ROLE);
    match cutover_cloud::scoped::sweep(&cx.new).await {
        Ok(projects) if projects.is_empty() => Vec::new(),
        Ok(projects) => {
            eprintln!("cutover sync: revoked {} leftover grant(s) of role cutover", projects.len());
            Vec::new()
        }
        Err(e) => vec![Entry::new(Kind::ServerGroup, name, Outcome::Failed, format!("revoking: {e}"))],
    }
}

fn input_or_failure(e: CloudError) -> anyhow::Error {
    match e {
        CloudError::Config(_) | CloudError::UnknownRegion { .. } => InputError(e.to_string()).into(),
        other => other.into(),
    }
}

fn listing(report: &Report) -> Listing {
    let mut listing = Listing::new(["Kind", "Name", "Outcome", "Detail"]);
    for e in &report.entries {
        listing.push([json!(e.kind.as_str()), json!(e.name), json!(e.outcome.label(report.dry_run)), json!(e.detail)]);
    }
    listing
}

fn finish(report: &Report) -> anyhow::Result<()> {
    let total = report.entries.len();
    match report.verdict() {
        Verdict::Done => Ok(()),
        Verdict::Different => Err(SyncIncomplete { different: report.count(Outcome::Different), total }.into()),
        Verdict::Failed => {
            let failed = report.count(Outcome::Failed);
            Err(anyhow::anyhow!("{failed} of {total} resources failed to sync (see the report)"))
        }
    }
}
