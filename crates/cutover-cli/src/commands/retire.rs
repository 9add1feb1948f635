/*!
`cutover retire` (design phase 7): once every old host has moved, delete
what the old Nova still lists (conductor, scheduler, consoleauth, cert,
the moved hosts' `nova-compute` records, ...) and, with `--endpoints`, the
old region's compute endpoints in Keystone. Refused, naming what blocks,
while servers or unmoved compute hosts remain (exit 3); asks first on a
terminal unless `--yes`; a second run finds nothing left. What blocks and
what goes is decided in `cutover_core::retire`.
*/

use std::io::{BufRead, IsTerminal, Write};

use cutover_cloud::RegionClient;
use cutover_core::model::{Endpoint, Interface};
use cutover_core::retire::{self, EndpointsAsked, Observed, Retirement, ServiceRow};
use serde_json::{json, Value};

use super::env::{connect, notice, runtime};
use crate::cli::RetireArgs;
use crate::commands::{Ctx, InputError, RetireRefused};
use crate::output::Listing;

pub fn run(args: RetireArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    runtime()?.block_on(async {
        // Keystone through the new region: the old one may have lost its
        // last endpoint to an earlier `--endpoints` run.
        let new = connect(ctx, &regions.new, "").await?;
        let catalog = if args.endpoints { Some(new.keystone_catalog().await?) } else { None };
        let old = if has_compute(&new, &regions.old) { Some(connect(ctx, &regions.old, "").await?) } else { None };
        // The old Nova is listed through this interface: its endpoint goes last.
        let via = Interface::parse(new.interface()).unwrap_or(Interface::Public);
        let asked = catalog.as_ref().map(|catalog| EndpointsAsked { catalog, via });
        let retirement = match &old {
            Some(old) => {
                let (services, servers, hypervisors, new_services) =
                    tokio::try_join!(old.compute_services(), old.servers(), old.hypervisors(), new.compute_services())?;
                let observed = Observed {
                    old_services: &services,
                    old_servers: &servers,
                    old_hypervisors: &hypervisors,
                    new_services: &new_services,
                };
                retire::assess(&regions.old, observed, asked)
            }
            None => {
                notice(&format!(
                    "region {} has no compute endpoint in the catalog: no Nova to list there",
                    regions.old
                ));
                let observed =
                    Observed { old_services: &[], old_servers: &[], old_hypervisors: &[], new_services: &[] };
                retire::assess(&regions.old, observed, asked)
            }
        };
        if let Some(line) = retirement.refusal() {
            ctx.out.print(planned(&retirement))?;
            return Err(RetireRefused(line).into());
        }
        if retirement.is_done() {
            notice(&format!("nothing left to retire in {}", regions.old));
            return Ok(());
        }
        if args.dry_run {
            ctx.out.print(planned(&retirement))?;
            notice("dry run: nothing changed");
            return Ok(());
        }
        if !args.yes {
            confirm(&retirement, ctx)?;
        }
        let done = carry_out(&retirement, old.as_ref(), &new).await;
        ctx.out.print(done.listing)?;
        match done.failed {
            0 => {
                notice(&format!("retired: {} deleted", what(&retirement)));
                Ok(())
            }
            n => anyhow::bail!("{n} of {} deletions failed (see the Detail column)", done.total),
        }
    })
}

/// Whether the token's catalog offers `region`'s Nova.
fn has_compute(client: &RegionClient, region: &str) -> bool {
    client.catalog().iter().any(|e| e.region == region && retire::NOVA_SERVICE_TYPES.contains(&e.service_type.as_str()))
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

struct Done {
    listing: Listing,
    total: usize,
    failed: usize,
}

/// Deletes the services, then (when every service went) the endpoints:
/// while a service is left the old Nova must stay reachable for the next
/// run. One failure does not stop the others.
async fn carry_out(r: &Retirement, old: Option<&RegionClient>, keystone: &RegionClient) -> Done {
    let mut done = Done { listing: listing(), total: r.services.len() + r.endpoints.len(), failed: 0 };
    for row in &r.services {
        // `old` is there whenever services were listed.
        let result = match old {
            Some(old) => old.delete_compute_service(&row.service.id).await,
            None => Ok(false),
        };
        let (outcome, detail) = outcome_of(result, &mut done.failed);
        // A failure's reason, else what was said of the service before.
        push_service(&mut done.listing, row, outcome, if detail.is_empty() { &row.note } else { &detail });
    }
    let services_failed = done.failed;
    for endpoint in &r.endpoints {
        if services_failed > 0 {
            done.failed += 1;
            let why = "kept while a service of the old Nova is left: run retire again";
            push_endpoint(&mut done.listing, endpoint, "kept", why);
            continue;
        }
        let (outcome, detail) = outcome_of(keystone.delete_endpoint(&endpoint.id).await, &mut done.failed);
        push_endpoint(&mut done.listing, endpoint, outcome, &detail);
    }
    done
}

fn outcome_of(result: cutover_cloud::Result<bool>, failed: &mut usize) -> (&'static str, String) {
    match result {
        Ok(true) => ("deleted", String::new()),
        Ok(false) => ("already gone", String::new()),
        Err(e) => {
            *failed += 1;
            ("failed", e.to_string())
        }
    }
}
