/*!
`cutover preflight`: whether a cutover can start. Both regions are read
(never changed), the core's rules judge what was seen, and a table of
checks is printed: ok, warn or fail with a one-line reason each. Exit 0
when nothing fails, 3 when something does; bad configuration, credentials
or an unknown old region end the command with one line (exit 2). The
checks come from `cutover_procedure::preflight`; this module prints them.
*/

use cutover_cloud::Profile;
use cutover_core::preflight::Check;
use cutover_procedure::preflight::preflight;
use serde_json::json;

use crate::ctx::Ctx;
use crate::output::Listing;

pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let regions = ctx.settings.regions()?;
    let profile = Profile::resolve(ctx.settings.cloud()).map_err(cutover_cloud::Error::from)?;
    let checks = ctx.block_on(preflight(&profile, &regions.old, &regions.new, &ctx.settings.plan.zone_map))?;
    print(checks, ctx)
}

/// The checks as a table, its exit status 3 when one failed.
fn print(checks: Vec<Check>, ctx: &Ctx) -> anyhow::Result<()> {
    let mut listing = Listing::new(["Check", "Region", "Status", "Reason"]).status_column("Status");
    for check in checks {
        listing.push([json!(check.name), json!(check.region), json!(check.status.to_string()), json!(check.reason)]);
    }
    ctx.out.print_checks(listing)
}
