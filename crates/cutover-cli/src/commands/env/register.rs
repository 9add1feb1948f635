/*!
`cutover env register`: the new region in Keystone, with compute endpoints
at the operator's URLs and the shared services' endpoints copied from the
old region. Keystone is shared, so everything goes through a connection to
the OLD region: the new one need not be in the catalog yet. What is there
is reported and left alone; a second run changes nothing.
*/

use std::collections::BTreeMap;

use cutover_cloud::RegionClient;
use cutover_core::model::Interface;
use cutover_core::newenv::register::{
    self, EndpointAction, EndpointStep, Outcome, Plan, RegionAction, Request, Shared, SharedService,
};
use serde_json::{json, Value};

use super::{connect, notice, runtime};
use crate::cli::{EnvRegisterArgs, SharedServiceArg};
use crate::commands::{Ctx, InputError};
use crate::output::Listing;

/// What Nova and the clients of the new region need in it when no
/// `--shared` is given.
const DEFAULT_SHARED: [SharedService; 3] = [SharedService::Identity, SharedService::Image, SharedService::Network];

pub fn run(args: EnvRegisterArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    let request = Request {
        old_region: regions.old.clone(),
        new_region: regions.new.clone(),
        compute_urls: compute_urls(&args)?,
        shared: shared(&args),
    };
    let description = args.region_description.clone().unwrap_or_default();
    let rt = runtime()?;
    rt.block_on(async {
        let client = connect(ctx, &regions.old, "").await?;
        let catalog = client.keystone_catalog().await?;
        let endpoints = register::wanted_endpoints(&catalog, &request).map_err(|e| InputError(e.to_string()))?;
        for skipped in &endpoints.skipped {
            tracing::info!("region {} has no {skipped} endpoint: none copied", regions.old);
        }
        let plan = register::plan(&catalog, &regions.new, endpoints.wanted);
        let mut report = Report::new();
        let applied = apply(&client, &plan, &description, &args, &mut report).await;
        // What was done is shown even when a later call failed.
        ctx.out.print(report.listing.clone())?;
        applied?;
        summarize(&plan, &report, &args);
        Ok(())
    })
}

/// Each interface's URL: `--compute-url` unless overridden.
fn compute_urls(args: &EnvRegisterArgs) -> Result<BTreeMap<Interface, String>, InputError> {
    let pick = |flag: &str, url: Option<&String>| -> Result<String, InputError> {
        let url = url.unwrap_or(&args.compute_url).trim();
        let scheme_ok = ["http://", "https://"].iter().any(|s| url.len() > s.len() && url.starts_with(s));
        if !scheme_ok || url.contains(char::is_whitespace) {
            return Err(InputError(format!("{flag} {url:?} is not an http:// or https:// URL")));
        }
        Ok(url.to_string())
    };
    let compute = pick("--compute-url", None)?;
    Ok(BTreeMap::from([
        (Interface::Public, compute),
        (Interface::Internal, pick("--internal-url", args.internal_url.as_ref())?),
        (Interface::Admin, pick("--admin-url", args.admin_url.as_ref())?),
    ]))
}

/// The shared services to copy: asked for ones are required, the default
/// ones are skipped where the old region lacks them.
fn shared(args: &EnvRegisterArgs) -> Vec<Shared> {
    let mut shared: Vec<Shared> = match &args.shared {
        Some(asked) => asked.iter().map(|&a| Shared { service: service_of(a), required: true }).collect(),
        None => DEFAULT_SHARED.iter().map(|&service| Shared { service, required: false }).collect(),
    };
    if args.volume && !shared.iter().any(|s| s.service == SharedService::Volume) {
        shared.push(Shared { service: SharedService::Volume, required: true });
    }
    shared.dedup_by_key(|s| s.service);
    shared
}

fn service_of(arg: SharedServiceArg) -> SharedService {
    match arg {
        SharedServiceArg::Identity => SharedService::Identity,
        SharedServiceArg::Image => SharedService::Image,
        SharedServiceArg::Network => SharedService::Network,
        SharedServiceArg::Volume => SharedService::Volume,
        SharedServiceArg::Placement => SharedService::Placement,
    }
}

/// The rows printed and what they add up to.
struct Report {
    listing: Listing,
    changed: usize,
    different: usize,
}

impl Report {
    fn new() -> Report {
        Report { listing: Listing::new(["Resource", "Name", "Interface", "URL", "Outcome"]), changed: 0, different: 0 }
    }

    fn add(&mut self, resource: &str, name: &str, interface: Value, url: Value, outcome: Outcome) {
        match outcome {
            Outcome::Created | Outcome::Updated => self.changed += 1,
            Outcome::Different => self.different += 1,
            Outcome::Exists | Outcome::WouldCreate | Outcome::WouldUpdate => {}
        }
        self.listing.push([json!(resource), json!(name), interface, url, json!(outcome.as_str())]);
    }
}

/// Carries out the plan (unless `--dry-run`), recording each outcome.
async fn apply(
    client: &RegionClient,
    plan: &Plan,
    description: &str,
    args: &EnvRegisterArgs,
    report: &mut Report,
) -> anyhow::Result<()> {
    let apply = !args.dry_run;
    let region_outcome = match (&plan.region_action, apply) {
        (RegionAction::Exists, _) => Outcome::Exists,
        (RegionAction::Create, false) => Outcome::WouldCreate,
        (RegionAction::Create, true) => {
            match client.create_region(&plan.region, description).await {
                Ok(()) => Outcome::Created,
                // Created meanwhile by someone else: it is there, as asked.
                Err(e) if e.is_conflict() => Outcome::Exists,
                Err(e) => return Err(e.into()),
            }
        }
    };
    report.add("region", &plan.region, Value::Null, Value::Null, region_outcome);
    for step in &plan.endpoints {
        let outcome = Outcome::of(&step.action, apply, args.update);
        match (&step.action, outcome) {
            (EndpointAction::Create, Outcome::Created) => {
                let w = &step.wanted;
                client.create_endpoint(&w.service_id, &plan.region, w.interface, &w.url).await?;
            }
            (EndpointAction::Differs { id, .. }, Outcome::Updated) => {
                client.update_endpoint(id, &step.wanted.url).await?;
            }
            _ => {}
        }
        add_endpoint(report, step, outcome);
    }
    Ok(())
}

fn add_endpoint(report: &mut Report, step: &EndpointStep, outcome: Outcome) {
    let w = &step.wanted;
    let url = match &step.action {
        // Both URLs, so the operator sees what --update would replace.
        EndpointAction::Differs { current_url, enabled, .. } if outcome != Outcome::Updated => {
            let state = if *enabled { "" } else { ", disabled" };
            format!("{} (registered: {current_url}{state})", w.url)
        }
        _ => w.url.clone(),
    };
    report.add("endpoint", &w.service_type, json!(w.interface.as_str()), json!(url), outcome);
}

/// The closing line: what happened, in a word.
fn summarize(plan: &Plan, report: &Report, args: &EnvRegisterArgs) {
    if plan.is_done() {
        notice(&format!("nothing to do: already registered (region {})", plan.region));
        return;
    }
    if args.dry_run {
        notice("dry run: nothing changed");
    } else if report.changed > 0 {
        notice(&format!("registered region {}: {} change(s)", plan.region, report.changed));
    }
    if report.different > 0 {
        tracing::warn!(
            "{} endpoint(s) of region {} are registered differently and were left alone; --update changes them",
            report.different,
            plan.region
        );
    }
}
