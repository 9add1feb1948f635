/*!
The plan file as `cutover run` and `cutover status` take it: read and
parsed (a bad file is one line with its line and column, exit 2), checked
against the cloud and regions in force, and its journal's default path.
*/

use std::path::{Path, PathBuf};

use cutover_core::plan::Plan;

use super::InputError;
use crate::settings::Settings;

/// Reads and parses the plan at `path`.
pub fn load(path: &Path) -> Result<Plan, InputError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| InputError(format!("cannot read plan {}: {e}", path.display())))?;
    serde_yaml::from_str(&text).map_err(|e| InputError(format!("plan {}:{}", path.display(), describe(&e))))
}

/// `LINE:COLUMN: message` on one line (serde_yaml appends the position to
/// its message, and may span lines).
fn describe(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    let message = message.lines().next().unwrap_or_default();
    match error.location() {
        Some(at) => {
            let suffix = format!(" at line {} column {}", at.line(), at.column());
            let message = message.strip_suffix(&suffix).unwrap_or(message);
            format!("{}:{}: {message}", at.line(), at.column())
        }
        None => format!(" {message}"),
    }
}

/// Refuses a plan made for another cloud or other regions than the
/// settings name; what the settings leave unset comes from the plan.
pub fn check_clouds(plan: &Plan, path: &Path, settings: &Settings) -> Result<(), InputError> {
    let clouds = &plan.clouds;
    let pairs = [
        ("cloud", settings.cloud(), &clouds.cloud, "--os-cloud / OS_CLOUD"),
        ("old region", settings.old_region(), &clouds.old_region, "--old-region"),
        ("new region", settings.new_region(), &clouds.new_region, "--new-region"),
    ];
    for (what, configured, planned, flag) in pairs {
        if let Some(configured) = configured.filter(|c| *c != planned.as_str()) {
            return Err(InputError(format!(
                "plan {} is for {what} '{planned}', not '{configured}' ({flag}): make a plan for these clouds",
                path.display()
            )));
        }
    }
    Ok(())
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
    fn a_bad_plan_is_one_line_with_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.yaml");
        std::fs::write(&path, "version: 1\nmigration: m1\nhosts: [\n").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.starts_with(&format!("plan {}:", path.display())), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(":4:1: ") || e.contains(":3:"), "{e}");

        std::fs::write(&path, "version: 1\nmigraton: m1\n").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains(":2:1: unknown field `migraton`"), "{e}");
    }

    #[test]
    fn the_journal_sits_beside_the_plan() {
        assert_eq!(journal_path(Path::new("plans/prod.yaml"), None), Path::new("plans/prod.journal"));
        assert_eq!(journal_path(Path::new("p.yaml"), Some(Path::new("/var/j"))), Path::new("/var/j"));
    }
}
