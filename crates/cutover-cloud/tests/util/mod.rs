/*!
A simulated cloud on `127.0.0.1:0` for one test, with a `clouds.yaml` for
it in a temporary directory; stopped when dropped.
*/
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use cutover_cloud::{Profile, RegionClient, RetryPolicy};
use cutover_core::Backoff;
use cutover_sim::{clouds_yaml_entry, RunningSim, Scenario, Sim};

pub struct SimCloud {
    pub running: RunningSim,
    dir: tempfile::TempDir,
}

impl SimCloud {
    /// The built-in scenario, operations instant.
    pub async fn start() -> SimCloud {
        SimCloud::with(Scenario::builtin()).await
    }

    pub async fn with(scenario: Scenario) -> SimCloud {
        let running =
            RunningSim::start("127.0.0.1:0".parse().unwrap(), &scenario, Some(0.0)).await.expect("sim starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let cloud = SimCloud { running, dir };
        cloud.write_clouds(&[("sim", "admin", "secret", "admin")]);
        cloud
    }

    pub fn sim(&self) -> &Sim {
        &self.running.sim
    }

    pub fn clouds_yaml(&self) -> PathBuf {
        self.dir.path().join("clouds.yaml")
    }

    /// Rewrites clouds.yaml with one cloud per `(name, user, password, project)`.
    pub fn write_clouds(&self, clouds: &[(&str, &str, &str, &str)]) {
        let auth_url = self.running.auth_url();
        let mut text = String::from("clouds:\n");
        for (name, user, password, project) in clouds {
            text += &clouds_yaml_entry(name, &auth_url, &["RegionOne", "RegionTwo"], user, password, project);
        }
        std::fs::write(self.clouds_yaml(), text).expect("clouds.yaml written");
    }

    pub fn profile(&self, cloud: &str) -> Profile {
        Profile::resolve_in(Some(cloud), Some(&self.clouds_yaml()), None).expect("profile")
    }

    /// A connection to `region` as the `sim` cloud's admin, retrying quickly.
    pub async fn region(&self, region: &str) -> RegionClient {
        RegionClient::connect(&self.profile("sim"), region, quick_retries()).await.expect("connects")
    }
}

/// Retries without the production backoff, so tests stay fast.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(50)).retries(3),
        max_retry_after: Duration::from_secs(2),
    }
}
