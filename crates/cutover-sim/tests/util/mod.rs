/*!
Test support shared by the integration binaries: a simulator on
`127.0.0.1:0` in its own runtime (stopped on drop), a blocking HTTP client
with token helpers, and the real `openstack` client pointed at it.
*/
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cutover_sim::{clouds_yaml_entry, RunningSim, Scenario, Sim};
use reqwest::blocking::Client;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A simulated cloud serving for the length of one test.
pub struct TestCloud {
    running: Option<RunningSim>,
    runtime: Option<tokio::runtime::Runtime>,
    dir: tempfile::TempDir,
    http: Client,
    /// The scenario's first Nova region, the clients' default.
    old_region: String,
}

/// One HTTP answer, body parsed as JSON when it is JSON (else `Null`).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestCloud {
    /// The built-in scenario with instant operations.
    pub fn start() -> TestCloud {
        TestCloud::with(Scenario::builtin(), 0.0)
    }

    pub fn with(scenario: Scenario, time_scale: f64) -> TestCloud {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let running = runtime
            .block_on(RunningSim::start("127.0.0.1:0".parse().unwrap(), &scenario, Some(time_scale)))
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let old_region = scenario.old_region().unwrap_or("RegionOne").to_string();
        let cloud = TestCloud { running: Some(running), runtime: Some(runtime), dir, http: Client::new(), old_region };
        std::fs::write(cloud.clouds_yaml(), "clouds:\n").expect("clouds.yaml written");
        cloud.add_cloud("sim", "admin", "secret", "admin");
        cloud
    }

    /// The cloud entry for `user`, listing every region (the old one first,
    /// the default) so that `--os-region-name` may pick any of them.
    fn cloud_entry(&self, name: &str, user: &str, password: &str, project: &str) -> String {
        let mut regions: Vec<String> = self.sim().world().identity.regions.keys().cloned().collect();
        regions.sort_by_key(|r| *r != self.old_region);
        let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
        clouds_yaml_entry(name, &self.auth_url(), &regions, user, password, project)
    }

    fn running(&self) -> &RunningSim {
        self.running.as_ref().expect("running")
    }

    pub fn sim(&self) -> &Sim {
        &self.running().sim
    }

    pub fn base_url(&self) -> String {
        self.running().base_url()
    }

    pub fn auth_url(&self) -> String {
        self.running().auth_url()
    }

    pub fn clouds_yaml(&self) -> PathBuf {
        self.dir.path().join("clouds.yaml")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Adds cloud `name` to clouds.yaml: this simulator as `user` scoped to
    /// `project`, for `openstack --os-cloud NAME ...`.
    pub fn add_cloud(&self, name: &str, user: &str, password: &str, project: &str) {
        let body = self.cloud_entry(name, user, password, project);
        let mut text = std::fs::read_to_string(self.clouds_yaml()).expect("clouds.yaml readable");
        text.push_str(&body);
        std::fs::write(self.clouds_yaml(), text).expect("clouds.yaml written");
    }

    /// A project-scoped token for `user` (domain `Default`).
    pub fn token(&self, user: &str, password: &str, project: &str) -> String {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}});
        let r = self.call(Method::POST, "/v3/auth/tokens", None, &[], Some(body));
        assert_eq!(r.status, StatusCode::CREATED, "token for {user}: {}", r.text);
        r.headers["x-subject-token"].to_str().unwrap().to_string()
    }

    pub fn admin_token(&self) -> String {
        self.token("admin", "secret", "admin")
    }

    /// One request; `path` is relative to the base URL (`/compute/RegionOne/v2.1/servers`).
    pub fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base_url()));
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    pub fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), &[], None)
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), &[], Some(body))
    }

    /// Runs the real `openstack` client against this cloud (cloud `sim`)
    /// and returns its output, whatever the exit status.
    pub fn openstack_output(&self, args: &[&str]) -> Output {
        self.client_output(OsClient::Current, args)
    }

    /// The legacy client's output, whatever the exit status.
    pub fn client_output_legacy(&self, args: &[&str]) -> Output {
        self.client_output(OsClient::Legacy, args)
    }

    fn client_output(&self, client: OsClient, args: &[&str]) -> Output {
        let mut cmd = Command::new(venv_bin(client, "openstack"));
        self.client_env(&mut cmd);
        cmd.args(args).output().expect("openstack runs")
    }

    /// Runs `openstack ARGS -f json` and parses its output; panics with the
    /// client's stderr when it fails.
    pub fn openstack(&self, args: &[&str]) -> Value {
        self.client_json(OsClient::Current, args)
    }

    /// The same with the legacy client (python-openstackclient 6.6.1, the
    /// last with nova-network commands), for nova-network regions.
    pub fn openstack_legacy(&self, args: &[&str]) -> Value {
        self.client_json(OsClient::Legacy, args)
    }

    fn client_json(&self, client: OsClient, args: &[&str]) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-f", "json"]);
        let out = self.client_output(client, &all);
        assert!(out.status.success(), "openstack {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("openstack {}: output is not JSON ({e}): {}", args.join(" "), String::from_utf8_lossy(&out.stdout))
        })
    }

    /// Runs `openstack ARGS` for a command that prints nothing; panics on failure.
    pub fn openstack_ok(&self, args: &[&str]) {
        let out = self.openstack_output(args);
        assert!(out.status.success(), "openstack {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }

    /// Runs a Python script with the pinned openstacksdk; the script finds
    /// the cloud as `openstack.connect(cloud="sim")` and prints JSON.
    pub fn python(&self, script: &str) -> Value {
        let mut cmd = Command::new(venv_bin(OsClient::Current, "python"));
        self.client_env(&mut cmd);
        let out = cmd.args(["-c", script]).output().expect("python runs");
        assert!(out.status.success(), "python script failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("script output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    fn client_env(&self, cmd: &mut Command) {
        for (k, _) in std::env::vars() {
            if k.starts_with("OS_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("OS_CLIENT_CONFIG_FILE", self.clouds_yaml()).env("OS_CLOUD", "sim").env("HOME", self.dir.path());
    }
}

impl Drop for TestCloud {
    fn drop(&mut self) {
        if let (Some(running), Some(runtime)) = (self.running.take(), self.runtime.take()) {
            let _ = runtime.block_on(running.stop());
            runtime.shutdown_background();
        }
    }
}

/// The pinned clients `tools/conformance/install` puts under `target/`.
#[derive(Debug, Clone, Copy)]
pub enum OsClient {
    /// python-openstackclient 10.5 and openstacksdk 4.22.
    Current,
    /// python-openstackclient 6.6.1, for nova-network commands.
    Legacy,
}

/// A program of a pinned client's venv (`CUTOVER_CONFORMANCE_DIR` holds the
/// venvs when they are not under the workspace's `target/`).
pub fn venv_bin(client: OsClient, name: &str) -> PathBuf {
    let venv = match client {
        OsClient::Current => "conformance-venv",
        OsClient::Legacy => "conformance-venv-legacy",
    };
    let dir = std::env::var_os("CUTOVER_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let path = dir.join(venv).join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run tools/test (or tools/conformance/install) to install the pinned openstack clients",
        path.display()
    );
    path
}
