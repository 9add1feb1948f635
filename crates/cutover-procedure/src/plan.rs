/*!
Plan: both regions read through `cutover_cloud::plan` (changing nothing),
then [`make`] builds a new plan with `cutover_core`'s planner and
[`check`] compares a plan with the clouds. Both return values; writing the
plan file and printing are the caller's.
*/

use cutover_cloud::{plan as gather, Profile, RetryPolicy};
use cutover_core::plan::check::{check as compare, Problem};
use cutover_core::plan::inventory::Inventory;
use cutover_core::plan::planner::{build, missing_zones, same_clouds, Meta, Planned};
use cutover_core::plan::rules::Rules;
use cutover_core::plan::{CloudsRef, Plan};
use cutover_core::preflight::AllocationRatios;

use crate::{Error, Result};

/// A new plan, with the new region's capacity for it, and the zones the
/// new region lacks for its servers (each with how many servers it stops,
/// and why).
pub struct Made {
    pub planned: Planned,
    pub missing_zones: Vec<(usize, String)>,
}

/// A new plan for the old region's servers, from `rules` and `meta`.
pub async fn make(profile: &Profile, old: &str, new: &str, rules: &Rules, meta: Meta) -> Result<Made> {
    let inventory = inventory(profile, old, new).await?;
    let planned = build(&inventory, rules, meta);
    let missing_zones = match &inventory.new_zones {
        Some(offered) => missing_zones(&planned.plan, offered),
        None => Vec::new(),
    };
    Ok(Made { planned, missing_zones })
}

/// What no longer fits in `plan`: every server still where and as
/// planned, each strategy still possible. A plan for other clouds than
/// `profile`'s `old` and `new` regions is [`Error::Input`], before any
/// call.
pub async fn check(profile: &Profile, old: &str, new: &str, plan: &Plan) -> Result<Vec<Problem>> {
    let here = CloudsRef {
        cloud: profile.name().to_string(),
        auth_url: profile.auth_url().unwrap_or_default().to_string(),
        old_region: old.to_string().into(),
        new_region: new.to_string().into(),
    };
    same_clouds(&plan.clouds, &here).map_err(Error::Input)?;
    let inventory = inventory(profile, old, new).await?;
    Ok(compare(plan, &inventory, AllocationRatios::default()))
}

/// Both regions as a plan sees them, each listing read once.
async fn inventory(profile: &Profile, old: &str, new: &str) -> Result<Inventory> {
    let clouds = gather::connect(profile, old, new, RetryPolicy::default()).await?;
    Ok(gather::inventory(&clouds).await?)
}
