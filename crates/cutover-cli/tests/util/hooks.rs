//! The simulator's example hook (`examples/hooks/sim-redeploy`), wrapped
//! to log each call's arguments, so a test can count the hand-offs.

use std::path::{Path, PathBuf};

use super::SimCloud;

/// The example hook's path.
pub fn sim_redeploy() -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hooks/sim-redeploy");
    example.canonicalize().expect("the example hook exists")
}

/// A hook in the cloud's directory that logs its arguments, then hands
/// off to sim-redeploy.
pub fn counting_hook(cloud: &SimCloud) -> PathBuf {
    let path = cloud.dir().join("hook");
    let log = cloud.dir().join("hook.log");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
        log.display(),
        sim_redeploy().display()
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Each call of the counting hook: its arguments, space-separated.
pub fn hook_calls(cloud: &SimCloud) -> Vec<String> {
    std::fs::read_to_string(cloud.dir().join("hook.log")).unwrap_or_default().lines().map(str::to_string).collect()
}
