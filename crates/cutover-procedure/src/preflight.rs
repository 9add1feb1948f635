/*!
Preflight: whether a cutover can start. Both regions are read (never
changed) through `cutover_cloud::preflight`, and `cutover_core::preflight`
judges what was seen; the checks come back as values to render.
*/

use cutover_cloud::{preflight::observe, Profile, RetryPolicy};
use cutover_core::plan::zones::ZoneMap;
use cutover_core::preflight::{evaluate, AllocationRatios, Check};

use crate::Result;

/// Every check, ok, warn or fail with its reason. Only bad configuration,
/// failed authentication and an unknown old region are errors: what else
/// fails to answer is a failed check.
pub async fn preflight(profile: &Profile, old: &str, new: &str, zone_map: &ZoneMap) -> Result<Vec<Check>> {
    let observation = observe(profile, old, new, RetryPolicy::default()).await?;
    Ok(evaluate(&observation, AllocationRatios::default(), zone_map))
}
