/*!
The hand-off hook of the tests: `examples/hooks/sim-redeploy` wrapped in a
shell script that logs each call (`hook.log`: its arguments) and each end
(`hook.ends`: exit status and arguments) in the test's directory. A hook
whose `cutover run` was killed goes on in its own process group: its end
shows in `hook.ends` all the same.
*/

use std::path::{Path, PathBuf};

use super::SimCloud;

/// The example hook's path.
pub fn sim_redeploy() -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hooks/sim-redeploy");
    example.canonicalize().expect("the example hook exists")
}

/// The wrapped sim-redeploy, written into the test's directory.
pub fn counting_hook(cloud: &SimCloud) -> PathBuf {
    let example = sim_redeploy();
    let path = cloud.dir().join("hook");
    let (log, ends) = (cloud.dir().join("hook.log"), cloud.dir().join("hook.ends"));
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\n'{example}' \"$@\"\nstatus=$?\nprintf '%s %s\\n' \"$status\" \"$*\" >> '{ends}'\nexit $status\n",
        log = log.display(),
        ends = ends.display(),
        example = example.display(),
    );
    std::fs::write(&path, script).expect("the hook written");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("the hook made executable");
    path
}

fn lines(path: PathBuf) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_string).collect()
}

/// Each call's arguments (`HOST OLD NEW MIGRATION`), in order.
pub fn hook_calls(cloud: &SimCloud) -> Vec<String> {
    lines(cloud.dir().join("hook.log"))
}

/// Each end so far: `(exit status, arguments)`.
pub fn hook_ends(cloud: &SimCloud) -> Vec<(i32, String)> {
    lines(cloud.dir().join("hook.ends"))
        .into_iter()
        .filter_map(|line| {
            let (status, args) = line.split_once(' ')?;
            Some((status.parse().ok()?, args.to_string()))
        })
        .collect()
}
