/*!
What `cutover run` and `cutover status` need of a plan file beside loading
it (`plan::file`): the clouds it is for, against the ones in force, and
its journal's default path.
*/

use std::path::{Path, PathBuf};

use cutover_cloud::Profile;
use cutover_core::plan::planner::same_clouds;
use cutover_core::plan::{CloudsRef, Plan};

use crate::errors::InputError;
use crate::settings::Settings;

/// The clouds in force: the profile's Keystone, and the regions of the
/// settings or, where they name none, of the plan.
pub fn clouds_here(plan: &Plan, profile: &Profile, settings: &Settings) -> CloudsRef {
    CloudsRef {
        cloud: profile.name().to_string(),
        auth_url: profile.auth_url().unwrap_or_default().to_string(),
        old_region: settings.old_region().unwrap_or(&plan.clouds.old_region).into(),
        new_region: settings.new_region().unwrap_or(&plan.clouds.new_region).into(),
    }
}

/// Refuses a plan made for another cloud (Keystone URL) or other regions.
pub fn check_clouds(plan: &Plan, path: &Path, here: &CloudsRef) -> Result<(), InputError> {
    same_clouds(&plan.clouds, here).map_err(|e| InputError(format!("plan file {}: {e}", path.display())))
}

/// The journal the run keeps: `--journal`, else beside the plan with the
/// extension `.journal` (`plans/prod.yaml` → `plans/prod.journal`).
pub fn journal_path(plan: &Path, journal: Option<&Path>) -> PathBuf {
    journal.map_or_else(|| plan.with_extension("journal"), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_sits_beside_the_plan() {
        assert_eq!(journal_path(Path::new("plans/prod.yaml"), None), Path::new("plans/prod.journal"));
        assert_eq!(journal_path(Path::new("p.yaml"), Some(Path::new("/var/j"))), Path::new("/var/j"));
    }
}
