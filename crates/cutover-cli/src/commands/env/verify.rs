/*!
`cutover env verify`: the new region's `service list` with a verdict per
row, as the guide's `nova service-list` / `host-list` check: a conductor
and a scheduler up and enabled, and every expected compute host registered
as an up, enabled `nova-compute` with a hypervisor. Failed checks exit 3.
The rows come from `cutover_procedure::verify`; this module prints them.
*/

use std::collections::BTreeSet;
use std::path::Path;

use cutover_core::id::HostName;
use cutover_core::newenv::verify::Row;
use cutover_procedure::verify::NewRegion;
use serde_json::{json, Value};

use crate::cli::EnvVerifyArgs;
use crate::ctx::Ctx;
use crate::errors::InputError;
use crate::hostmap::HostMap;
use crate::output::Listing;

pub fn run(args: EnvVerifyArgs, ctx: &Ctx) -> anyhow::Result<()> {
    verify_hosts(expected_hosts(&args.hosts, args.hosts_file.as_deref(), ctx)?, ctx)
}

/// `cutover env verify` without flags: the hosts the settings' host map
/// names, if it names one (what `upgrade` and the demo check).
pub fn as_configured(ctx: &Ctx) -> anyhow::Result<()> {
    verify_hosts(expected_hosts(&[], None, ctx)?, ctx)
}

/// Checks the new region's services, `expected` naming the compute hosts
/// that must be there (`None`: any one).
fn verify_hosts(expected: Option<BTreeSet<HostName>>, ctx: &Ctx) -> anyhow::Result<()> {
    let region = ctx.settings.require_new_region()?;
    let profile = cutover_procedure::profile(ctx.settings.cloud())?;
    let rows = ctx.block_on(async {
        let new = NewRegion::connect(&profile, region).await?;
        if expected.is_none() {
            tracing::warn!(
                "no expected compute hosts (--host, --hosts-file or [sync] host_map): only checking that one nova-compute is up"
            );
        }
        new.verify(expected.as_ref()).await
    })?;
    ctx.out.print_checks(listing(&rows))
}

/// The hosts the flags name, else the host map's new hosts, else none.
fn expected_hosts(
    flags: &[String],
    hosts_file: Option<&Path>,
    ctx: &Ctx,
) -> Result<Option<BTreeSet<HostName>>, InputError> {
    let mut hosts: BTreeSet<HostName> = flags.iter().map(|h| h.trim().into()).collect();
    if hosts.contains("") {
        return Err(InputError("--host needs a host name".into()));
    }
    if let Some(path) = hosts_file {
        hosts.extend(read_host_list(path)?);
    }
    if !hosts.is_empty() {
        return Ok(Some(hosts));
    }
    match &ctx.settings.sync.host_map {
        Some(path) => Ok(Some(HostMap::load(path)?.new_hosts())),
        None => Ok(None),
    }
}

/// One host per line; blank lines and `#` comments are skipped.
fn read_host_list(path: &Path) -> Result<BTreeSet<HostName>, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read hosts file {}: {e}", path.display())))?;
    let hosts: BTreeSet<HostName> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(HostName::from)
        .collect();
    if let Some(bad) = hosts.iter().find(|h| h.contains(char::is_whitespace)) {
        return Err(InputError(format!("hosts file {}: '{bad}' is not a host name (one per line)", path.display())));
    }
    if hosts.is_empty() {
        return Err(InputError(format!("hosts file {} names no host", path.display())));
    }
    Ok(hosts)
}

fn listing(rows: &[Row]) -> Listing {
    let flag =
        |value: Option<bool>, yes: &str, no: &str| value.map_or(Value::Null, |v| json!(if v { yes } else { no }));
    let mut listing = Listing::new(["Binary", "Host", "Zone", "Status", "State", "Hypervisor", "Result", "Detail"])
        .status_column("Result");
    for r in rows {
        listing.push([
            json!(r.binary),
            json!(r.host),
            json!(r.zone),
            flag(r.enabled, "enabled", "disabled"),
            flag(r.up, "up", "down"),
            json!(r.hypervisor),
            json!(r.verdict.as_str()),
            json!(r.detail),
        ]);
    }
    listing
}
