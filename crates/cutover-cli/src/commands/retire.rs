/*!
`cutover retire` (design phase 7): once every old host has moved, delete
what the old Nova still lists (conductor, scheduler, consoleauth, cert,
the moved hosts' `nova-compute` records, ...) and, with `--endpoints`, the
old region's compute endpoints in Keystone. Refused, naming what blocks,
while servers or unmoved compute hosts remain (exit 3); asks first on a
terminal unless `--yes`; a second run finds nothing left. What blocks and
what goes is decided in `cutover_core::retire` and carried out by
`cutover_procedure::retire`; this module asks and prints.
*/

use std::io::{BufRead, IsTerminal, Write};

use cutover_core::model::Endpoint;
use cutover_core::retire::{Retirement, ServiceRow};
use cutover_procedure::retire::{self, Deletion, Target};
use serde_json::{json, Value};

use crate::cli::RetireArgs;
use crate::ctx::Ctx;
use crate::errors::{InputError, RetireRefused};
use crate::output::{notice, Listing};

/// What `cutover retire` is asked to do, without its clap parsing.
pub struct Options {
    /// Also the old region's compute endpoints in Keystone.
    pub endpoints: bool,
    pub dry_run: bool,
    /// Delete without asking.
    pub yes: bool,
}

pub fn run(args: RetireArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let RetireArgs { endpoints, dry_run, yes } = args;
    retire(Options { endpoints, dry_run, yes }, ctx)
}

pub fn retire(args: Options, ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    let profile = cutover_procedure::profile(ctx.settings.cloud())?;
    let retire = ctx.block_on(retire::assess(&profile, &regions.old, &regions.new, args.endpoints))?;
    if !retire.old_listed() {
        notice(&format!("region {} has no compute endpoint in the catalog: no Nova to list there", regions.old));
    }
    let retirement = &retire.retirement;
    if let Some(line) = retirement.refusal() {
        ctx.out.print(planned(retirement))?;
        return Err(RetireRefused(line).into());
    }
    if retirement.is_done() {
        notice(&format!("nothing left to retire in {}", regions.old));
        return Ok(());
    }
    if args.dry_run {
        ctx.out.print(planned(retirement))?;
        notice("dry run: nothing changed");
        return Ok(());
    }
    if !args.yes {
        confirm(retirement, ctx)?;
    }
    let done = ctx.block_on(retire.carry_out());
    ctx.out.print(deleted(&done))?;
    match done.iter().filter(|d| d.outcome.is_failure()).count() {
        0 => {
            notice(&format!("retired: {} deleted", what(retirement)));
            Ok(())
        }
        n => anyhow::bail!("{n} of {} deletions failed (see the Detail column)", done.len()),
    }
}

/// What would go, the way it will be printed after.
fn planned(r: &Retirement) -> Listing {
    let mut listing = listing();
    for server in &r.servers {
        listing.push([
            json!("server"),
            json!(server.id),
            json!(server.name),
            json!(server.host),
            json!(server.status),
            json!("blocks"),
            json!(format!("project {}", server.project_id)),
        ]);
    }
    for row in &r.services {
        push_service(&mut listing, row, if row.blocks { "blocks" } else { "would delete" }, &row.note);
    }
    for endpoint in &r.endpoints {
        push_endpoint(&mut listing, endpoint, "would delete", "");
    }
    listing
}

fn listing() -> Listing {
    Listing::new(["Resource", "ID", "Name", "Where", "Status", "Outcome", "Detail"])
}

fn push_service(listing: &mut Listing, row: &ServiceRow, outcome: &str, detail: &str) {
    let s = &row.service;
    let status = format!("{}, {}", if s.enabled { "enabled" } else { "disabled" }, if s.up { "up" } else { "down" });
    listing.push([
        json!("service"),
        json!(s.id),
        json!(s.binary),
        json!(s.host),
        json!(status),
        json!(outcome),
        json!(detail),
    ]);
}

fn push_endpoint(listing: &mut Listing, e: &Endpoint, outcome: &str, detail: &str) {
    listing.push([
        json!("endpoint"),
        json!(e.id),
        json!(format!("compute {}", e.interface)),
        json!(e.url),
        json!(if e.enabled { "enabled" } else { "disabled" }),
        json!(outcome),
        Value::from(detail),
    ]);
}

/// "5 services of RegionOne's Nova and 3 compute endpoints".
fn what(r: &Retirement) -> String {
    let mut parts = Vec::new();
    if !r.services.is_empty() {
        parts.push(format!("{} service(s) of {}'s Nova", r.services.len(), r.region));
    }
    if !r.endpoints.is_empty() {
        parts.push(format!("{} compute endpoint(s) of {}", r.endpoints.len(), r.region));
    }
    parts.join(" and ")
}

/// Asks on the terminal, after showing what goes. Without a terminal the
/// operator must say `--yes`: nothing is deleted unconfirmed.
fn confirm(r: &Retirement, ctx: &Ctx) -> anyhow::Result<()> {
    let what = what(r);
    if !std::io::stdin().is_terminal() {
        return Err(
            InputError(format!("retire would delete {what}: confirm with --yes (no terminal to ask on)")).into()
        );
    }
    ctx.out.print(planned(r))?;
    eprint!("Delete {what}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(InputError("not confirmed: nothing was deleted".into()).into())
    }
}

/// What went, row by row.
fn deleted(done: &[Deletion]) -> Listing {
    let mut listing = listing();
    for d in done {
        match d.target {
            Target::Service(row) => push_service(&mut listing, row, d.outcome.as_str(), &d.detail),
            Target::Endpoint(endpoint) => push_endpoint(&mut listing, endpoint, d.outcome.as_str(), &d.detail),
        }
    }
    listing
}
