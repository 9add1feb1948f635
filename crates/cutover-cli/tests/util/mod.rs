/*!
Test support for running the real `cutover` binary against a simulated
cloud: the simulator on `127.0.0.1:0` in its own runtime (stopped on drop),
a clouds.yaml for it, and a `cutover` command whose environment sees only
that cloud (no ambient `OS_*`, `~/.config/openstack` or `./cutover.toml`).
*/
#![allow(dead_code)]

pub mod endstate;
pub mod faults;
pub mod hooks;
pub mod kill;
pub mod libtest;
pub mod moves;
pub mod osc;
pub mod trials;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cutover_sim::model::compute::Networking;
use cutover_sim::{clouds_yaml_entry, generate, GenerateOptions, RunningSim, Scenario, Sim};

pub struct SimCloud {
    running: Option<RunningSim>,
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

impl SimCloud {
    /// The built-in scenario (Neutron; RegionOne old, RegionTwo new).
    pub fn start() -> SimCloud {
        SimCloud::with(Scenario::builtin())
    }

    /// A generated scenario whose old region uses nova-network.
    pub fn nova_network() -> SimCloud {
        SimCloud::with(generate(&GenerateOptions {
            hosts: 3,
            servers: 12,
            new_hosts: None,
            networking: Networking::NovaNetwork,
            seed: 7,
        }))
    }

    pub fn with(scenario: Scenario) -> SimCloud {
        SimCloud::with_scale(scenario, 0.0)
    }

    /// `scenario` with its durations scaled by `scale` (0: every transition
    /// is due at the next request).
    pub fn with_scale(scenario: Scenario, scale: f64) -> SimCloud {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let running = runtime
            .block_on(RunningSim::start("127.0.0.1:0".parse().unwrap(), &scenario, Some(scale)))
            .expect("simulator starts");
        let cloud = SimCloud { running: Some(running), runtime, dir: tempfile::tempdir().expect("temp dir") };
        cloud.write_clouds(&[("sim", "admin", "secret", "admin")]);
        cloud
    }

    pub fn sim(&self) -> &Sim {
        &self.running.as_ref().expect("running").sim
    }

    pub fn auth_url(&self) -> String {
        self.running.as_ref().expect("running").auth_url()
    }

    /// The test's own directory: the command's working directory and HOME.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A copy of the test's directory (journal, plan, the runs' output)
    /// under the target directory's `kept/<label>`, for a failure to be
    /// looked into after the test has gone; its path.
    pub fn keep(&self, label: &str) -> PathBuf {
        let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kept").join(label);
        std::fs::create_dir_all(&kept).expect("kept directory created");
        for entry in std::fs::read_dir(self.dir()).expect("test directory read").flatten() {
            if entry.path().is_file() {
                std::fs::copy(entry.path(), kept.join(entry.file_name())).expect("file kept");
            }
        }
        kept
    }

    pub fn clouds_yaml(&self) -> PathBuf {
        self.dir().join("clouds.yaml")
    }

    /// Rewrites clouds.yaml with one cloud per `(name, user, password, project)`.
    pub fn write_clouds(&self, clouds: &[(&str, &str, &str, &str)]) {
        let regions: Vec<String> = self.sim().read().compute.keys().cloned().collect();
        let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
        let mut text = String::from("clouds:\n");
        for (name, user, password, project) in clouds {
            text += &clouds_yaml_entry(name, &self.auth_url(), &regions, user, password, project);
        }
        std::fs::write(self.clouds_yaml(), text).expect("clouds.yaml written");
    }

    /// Gives up on a request after `secs` seconds (clouds.yaml's
    /// `api_timeout`, which openstack_sdk reads as the `openstack` client
    /// does): a request the simulator answers later times out.
    pub fn set_api_timeout(&self, secs: u64) {
        let mut text = std::fs::read_to_string(self.clouds_yaml()).expect("clouds.yaml read");
        // The last line belongs to the last cloud's entry: the option joins it.
        text += &format!("    api_timeout: {secs}\n");
        std::fs::write(self.clouds_yaml(), text).expect("clouds.yaml written");
    }

    /// `cutover` for cloud `sim`, old region RegionOne, new RegionTwo.
    pub fn cutover(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().to_string();
            if key.starts_with("OS_") || key.starts_with("CUTOVER_") || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.dir())
            .env("HOME", self.dir())
            .env("XDG_CONFIG_HOME", self.dir().join(".config"))
            .env("OS_CLIENT_CONFIG_FILE", self.clouds_yaml())
            .env("OS_CLOUD", "sim")
            .env("CUTOVER_OLD_REGION", "RegionOne")
            .env("CUTOVER_NEW_REGION", "RegionTwo");
        cmd
    }

    /// Runs `cutover ARGS` and returns what it did.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cutover().args(args).output().expect("cutover runs")
    }

    /// Runs `cutover ARGS -f json`, expects success, parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cutover().args(args).args(["-f", "json"]).output().expect("cutover runs");
        assert!(out.status.success(), "cutover {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }
}

impl Drop for SimCloud {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(running.stop());
        }
    }
}

/// stderr of a failed run, checked to be one line with exit status `code`.
pub fn one_line_failure(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "stdout: {}\nstderr: {stderr}", String::from_utf8_lossy(&out.stdout));
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("cutover: error:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    errors[0].to_string()
}
