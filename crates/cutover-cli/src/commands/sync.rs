/*!
`cutover sync` (design phase 3): copies what Nova stores into the new
region through [`cutover_procedure::sync`], and prints one report (Kind,
Name, Outcome, Detail) with a one-line summary on stderr. Exit 0 when
everything was created, updated or equal; 3 ([`SyncIncomplete`]) when
something differs that cutover cannot fix; 1 when something failed (after
the report).
*/

use cutover_core::sync::{Kind, Outcome, Report, Verdict};
use cutover_procedure::sync::Sync;
use serde_json::json;

use crate::cli::SyncArgs;
use crate::ctx::Ctx;
use crate::errors::SyncIncomplete;
use crate::output::Listing;

/// What `cutover sync` is asked to do, without its clap parsing.
pub struct Options {
    pub dry_run: bool,
    /// Only these kinds (empty: all).
    pub only: Vec<Kind>,
    /// `--host-map`; cutover.toml's `[sync] host_map` otherwise.
    pub host_map: Option<std::path::PathBuf>,
    pub print_host_map: bool,
}

impl Options {
    /// Every kind, for real, with the settings' host map.
    pub fn all() -> Options {
        Options { dry_run: false, only: Vec::new(), host_map: None, print_host_map: false }
    }
}

pub fn run(args: SyncArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let SyncArgs { dry_run, only, host_map, print_host_map } = args;
    sync(Options { dry_run, only, host_map, print_host_map }, ctx)
}

pub fn sync(options: Options, ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    let kinds: Vec<Kind> =
        Kind::ALL.into_iter().filter(|k| options.only.is_empty() || options.only.contains(k)).collect();
    let host_map = match options.host_map.clone().or_else(|| ctx.settings.sync.host_map.clone()) {
        Some(path) if kinds.contains(&Kind::Aggregate) && !options.print_host_map => {
            Some(crate::hostmap::HostMap::load(&path)?.hosts)
        }
        _ => None,
    };
    let profile = cutover_procedure::profile(ctx.settings.cloud())?;
    let sync = ctx.block_on(Sync::connect(profile, &regions.old, &regions.new, options.dry_run, host_map))?;
    if options.print_host_map {
        let text = ctx.block_on(sync.host_map_template())?;
        print!("{text}");
        return Ok(());
    }
    let synced = ctx.block_on(sync.run(&kinds));
    if synced.grants_revoked > 0 {
        eprintln!("cutover sync: revoked {} leftover grant(s) of role cutover", synced.grants_revoked);
    }
    ctx.out.print(listing(&synced.report))?;
    eprintln!("cutover sync: {}", synced.report.summary());
    finish(&synced.report)
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
