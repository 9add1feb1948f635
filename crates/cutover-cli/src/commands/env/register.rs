/*!
`cutover env register`: the new region in Keystone, with compute endpoints
at the operator's URLs and the shared services' endpoints copied from the
old region, through [`cutover_procedure::register`]. This module reads the
flags and prints what was done.
*/

use std::collections::BTreeMap;

use cutover_core::model::Interface;
use cutover_core::newenv::register::{Request, Shared, SharedService};
use cutover_procedure::register::{self, Options, Registered};
use serde_json::json;

use crate::cli::{EnvRegisterArgs, SharedServiceArg};
use crate::ctx::Ctx;
use crate::errors::InputError;
use crate::output::{notice, Listing};

/// What Nova and the clients of the new region need in it when no
/// `--shared` is given.
const DEFAULT_SHARED: [SharedService; 3] = [SharedService::Identity, SharedService::Image, SharedService::Network];

pub fn run(args: EnvRegisterArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    let request = Request {
        old_region: regions.old.clone().into(),
        new_region: regions.new.clone().into(),
        compute_urls: compute_urls(&args)?,
        shared: shared(&args),
    };
    let description = args.region_description.clone().unwrap_or_default();
    let options = Options { request: &request, description: &description, dry_run: args.dry_run, update: args.update };
    let profile = cutover_procedure::profile(ctx.settings.cloud())?;
    let registered = ctx.block_on(register::register(&profile, &options))?;
    // What was done is shown even when a later call failed.
    ctx.out.print(listing(&registered))?;
    if let Some(failure) = registered.failure {
        return Err(failure.into());
    }
    summarize(&registered, &args);
    Ok(())
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

fn listing(registered: &Registered) -> Listing {
    let mut listing = Listing::new(["Resource", "Name", "Interface", "URL", "Outcome"]);
    for row in &registered.rows {
        let interface = row.interface.map(Interface::as_str);
        listing.push([
            json!(row.resource),
            json!(row.name),
            json!(interface),
            json!(row.url),
            json!(row.outcome.as_str()),
        ]);
    }
    listing
}

/// The closing line: what happened, in a word.
fn summarize(registered: &Registered, args: &EnvRegisterArgs) {
    let plan = &registered.plan;
    if plan.is_done() {
        notice(&format!("nothing to do: already registered (region {})", plan.region));
        return;
    }
    if args.dry_run {
        notice("dry run: nothing changed");
    } else if registered.changed() > 0 {
        notice(&format!("registered region {}: {} change(s)", plan.region, registered.changed()));
    }
    if registered.different() > 0 {
        tracing::warn!(
            "{} endpoint(s) of region {} are registered differently and were left alone; --update changes them",
            registered.different(),
            plan.region
        );
    }
}
