/*!
`cutover plan` (design phase 4): reads both regions (changing nothing),
decides a strategy per old server from the rules, orders the hosts for
draining, checks the new region's capacity, and writes the plan file
(`-o FILE`) or prints it. `--show FILE` prints a plan file without any
cloud; `--check FILE` compares one with the clouds. The plan and the
check's problems come from `cutover_procedure::plan`; this module parses
the flags, writes the file and prints.

A server whose availability zone the new region does not offer (after the
zone map, `--zone-map OLD=NEW` and `[plan] zone_map`) is planned with a
warning saying so; `--check` fails for it.

Exit statuses: 0; 2 for bad input (a rule, a zone mapping, a plan file, a plan for other
clouds: one line, nothing changed); 3 when `--check` finds the plan no
longer fits, or when the new region cannot take what the plan moves (the
plan is still written, for the operator to edit).
*/

pub(super) mod file;

use std::path::Path;

use anyhow::Context as _;
use cutover_cloud::Profile;
use cutover_core::plan::planner::Meta;
use cutover_core::plan::rules::{strategy_name, Rule, Rules};
use cutover_core::plan::zones::{parse_zone_map, ZoneMap};
use cutover_core::plan::{Options, Plan};
use cutover_core::preflight::{AllocationRatios, Status};
use cutover_procedure::plan::{check, make as build, Made};
use serde_json::{json, Value};

use crate::cli::PlanArgs;
use crate::ctx::Ctx;
use crate::errors::{ChecksFailed, InputError};
use crate::output::Listing;

pub fn run(args: PlanArgs, ctx: &Ctx) -> anyhow::Result<()> {
    if let Some(path) = &args.show {
        let plan = file::load(path)?;
        return ctx.out.print(table(&plan));
    }
    if let Some(path) = &args.check {
        return check_file(path, ctx);
    }
    let PlanArgs { output, force, strategies, keep_snapshots, zone_map, migration, .. } = args;
    make(&Recipe { strategies, zone_map, migration, keep_snapshots }, output.as_deref(), force, ctx)
}

/// `cutover plan --check PATH`: the plan in `path` against the clouds.
pub fn check_file(path: &Path, ctx: &Ctx) -> anyhow::Result<()> {
    let plan = file::load(path)?;
    check_plan(&plan, ctx)
}

/// How a new plan is made besides the clouds, as `cutover plan`'s flags
/// (or `upgrade`'s) say it: `--strategy` rules, `--zone-map` entries, the
/// migration id, `--keep-snapshots`.
pub struct Recipe {
    pub strategies: Vec<String>,
    pub zone_map: Vec<String>,
    pub migration: Option<String>,
    pub keep_snapshots: bool,
}

/// What a plan is made from besides the clouds: the rules (flags, then
/// cutover.toml), the zone map (the same), the migration id.
pub(super) struct Inputs {
    rules: Vec<Rule>,
    zone_map: ZoneMap,
    migration: String,
}

/// [`Inputs`] from the flags and settings, each checked: bad input is
/// refused before any cloud is asked (`upgrade` asks this before its first
/// phase).
pub(super) fn inputs(args: &Recipe, ctx: &Ctx, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Inputs> {
    let mut rules: Vec<Rule> = args
        .strategies
        .iter()
        .map(|r| r.parse::<Rule>().map_err(|e| InputError(format!("--strategy: {e}"))))
        .collect::<Result<_, _>>()?;
    rules.extend(ctx.settings.plan.rules.iter().cloned());
    let mut zone_map =
        parse_zone_map(args.zone_map.iter().map(String::as_str)).map_err(|e| InputError(format!("--zone-map: {e}")))?;
    for (old, new) in &ctx.settings.plan.zone_map {
        zone_map.entry(old.clone()).or_insert_with(|| new.clone());
    }
    let migration = match &args.migration {
        Some(name) => checked_migration(name.clone())?,
        None => now.format("%Y%m%d-%H%M%S").to_string(),
    };
    Ok(Inputs { rules, zone_map, migration })
}

/// A new plan from `recipe` and both clouds: written to `output` (an
/// existing file only with `force`), else printed.
pub fn make(recipe: &Recipe, output: Option<&Path>, force: bool, ctx: &Ctx) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let Inputs { rules, zone_map, migration } = inputs(recipe, ctx, now)?;
    if let Some(path) = output.filter(|p| p.exists() && !force) {
        return Err(
            InputError(format!("{} exists: give --force to overwrite it, or another file", path.display())).into()
        );
    }
    let regions = ctx.settings.regions()?;
    let profile = profile(ctx)?;
    let options = Options {
        keep_snapshots: recipe.keep_snapshots || ctx.settings.plan.keep_snapshots,
        zone_map,
        ..Options::default()
    };
    let meta = Meta {
        migration,
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        options,
        ratios: AllocationRatios::default(),
    };
    let Made { planned, missing_zones } =
        ctx.block_on(build(&profile, &regions.old, &regions.new, &Rules::new(rules), meta))?;
    let plan = &planned.plan;
    for u in &plan.unplanned {
        tracing::warn!("not planned: server {} ({}) on {}: {}", u.name, u.id, u.host, u.reason);
    }
    // One line per zone the new region lacks (each server's plan entry says
    // it too): the plan is written, `plan --check` and the boots would fail.
    for (n, problem) in &missing_zones {
        tracing::warn!("{n} server(s) cannot boot as planned: {problem}");
    }
    match output {
        Some(path) => {
            file::write(path, plan, force)?;
            let moving = plan.servers().filter(|(_, s)| s.strategy != cutover_core::machine::Strategy::Wait).count();
            eprintln!(
                "cutover: plan {} written to {}: {} host(s), {} server(s), {moving} to move, {} not planned",
                plan.migration,
                path.display(),
                plan.hosts.len(),
                plan.servers().count(),
                plan.unplanned.len()
            );
        }
        None => ctx.out.print(table(plan))?,
    }
    let capacity = &planned.capacity;
    match capacity.status {
        Status::Fail => Err(ChecksFailed { failed: 1, total: 1 })
            .with_context(|| format!("capacity of {}: {}", plan.clouds.new_region, capacity.reason)),
        Status::Warn => {
            eprintln!("cutover: warning: capacity of {}: {}", plan.clouds.new_region, capacity.reason);
            Ok(())
        }
        Status::Ok => {
            eprintln!("cutover: capacity of {}: {}", plan.clouds.new_region, capacity.reason);
            Ok(())
        }
    }
}

/// A migration's name goes into image names and metadata: letters,
/// digits, `-` and `_`, at most 40.
fn checked_migration(name: String) -> Result<String, InputError> {
    let ok =
        !name.is_empty() && name.len() <= 40 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match ok {
        true => Ok(name),
        false => Err(InputError(format!(
            "--migration {name:?}: use 1 to 40 letters, digits, '-' or '_' (it goes into image names)"
        ))),
    }
}

/// The credentials in force; an unusable configuration is bad input.
fn profile(ctx: &Ctx) -> anyhow::Result<Profile> {
    Ok(Profile::resolve(ctx.settings.cloud()).map_err(cutover_cloud::Error::from)?)
}

/// `--check`: the clouds first (one line when they are others), then
/// every server; a table of what no longer fits, exit 3.
fn check_plan(plan: &Plan, ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    let profile = profile(ctx)?;
    let problems = ctx.block_on(check(&profile, &regions.old, &regions.new, plan))?;
    let mut listing = Listing::new(["Subject", "Status", "Reason"]).status_column("Status");
    if problems.is_empty() {
        let servers = plan.servers().count();
        listing.push([
            json!("plan"),
            json!("ok"),
            json!(format!("{servers} server(s) on {} host(s) as planned", plan.hosts.len())),
        ]);
    }
    for p in problems {
        listing.push([json!(p.subject), json!("fail"), json!(p.reason)]);
    }
    ctx.out.print_checks(listing)
}

/// The plan as rows: one per server in drain order, then the unplanned.
fn table(plan: &Plan) -> Listing {
    let mut listing = Listing::new(["Host", "Server", "Name", "Project", "Strategy", "Why", "Warnings"]);
    for (host, s) in plan.servers() {
        let warnings: Vec<Value> = s.warnings.iter().map(|w| json!(w)).collect();
        listing.push([
            json!(host),
            json!(s.server.id),
            json!(s.server.name),
            json!(s.server.project_id),
            json!(strategy_name(s.strategy)),
            json!(s.why),
            Value::Array(warnings),
        ]);
    }
    for u in &plan.unplanned {
        let row = [u.host.as_str(), u.id.as_str(), &u.name, u.project_id.as_str()].map(|v| json!(v));
        listing.push(row.into_iter().chain([json!("(not planned)"), json!(u.reason), json!([])]));
    }
    listing
}
