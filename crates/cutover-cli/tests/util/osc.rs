/*!
The real, pinned `openstack` client (python-openstackclient in the venv
`tools/test` installs), run against the test's simulated cloud, so a test
can check what cutover did the way an operator would. The venv is
`$CUTOVER_CONFORMANCE_VENV`, else `$CUTOVER_CONFORMANCE_DIR/conformance-venv`,
else `conformance-venv` in the workspace's `target/`.
*/

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::SimCloud;

/// The pinned client's `openstack` program; panics, saying how to install
/// it, when it is missing.
pub fn openstack_bin() -> PathBuf {
    let venv = std::env::var_os("CUTOVER_CONFORMANCE_VENV").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("CUTOVER_CONFORMANCE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
            .join("conformance-venv")
    });
    let path = venv.join("bin").join("openstack");
    assert!(
        path.exists(),
        "{} is missing: run tools/test (or tools/conformance/install), or set CUTOVER_CONFORMANCE_VENV",
        path.display()
    );
    path
}

impl SimCloud {
    /// `openstack ARGS` as cloud `sim` (the clouds.yaml of this test, no
    /// ambient `OS_*`), whatever its exit status.
    pub fn openstack_output(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(openstack_bin());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("OS_") {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.dir())
            .env("HOME", self.dir())
            .env("OS_CLIENT_CONFIG_FILE", self.clouds_yaml())
            .env("OS_CLOUD", "sim")
            .args(args)
            .output()
            .expect("openstack runs")
    }

    /// `openstack ARGS -f json`: expects success, returns the parsed output.
    pub fn openstack(&self, args: &[&str]) -> Value {
        let out = self.openstack_output(&[args, &["-f", "json"]].concat());
        assert!(out.status.success(), "openstack {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("openstack {}: not JSON ({e}): {}", args.join(" "), String::from_utf8_lossy(&out.stdout))
        })
    }
}
