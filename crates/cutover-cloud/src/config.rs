/*!
Which cloud to talk to and with which credentials, found where the
`openstack` client finds them: a named cloud in `clouds.yaml` (+ `secure.yaml`)
or the `OS_*` variables alone.
*/

use std::path::{Path, PathBuf};

use openstack_sdk::config::{CloudConfig, ConfigFile};

use crate::error::ConfigError;

/// A resolved cloud: its name and the settings openstack_sdk connects with.
/// `Debug` is hand-written because the settings carry the password.
#[derive(Clone)]
pub struct Profile {
    name: String,
    config: CloudConfig,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile").field("name", &self.name).field("auth_url", &self.auth_url()).finish()
    }
}

impl Profile {
    /// Resolves the cloud the way python-openstackclient does.
    ///
    /// With a name (`--os-cloud` / `OS_CLOUD`) the entry comes from the file
    /// `OS_CLIENT_CONFIG_FILE` names, else the first `clouds.yaml` of the usual
    /// places (`./`, `~/.config/openstack/`, `/etc/openstack/`), with the
    /// `secure.yaml` `OS_CLIENT_SECURE_FILE` names (else the first found)
    /// merged in; a file that does not parse is an error, never skipped; `OS_*` variables fill what the entry leaves out
    /// (a password kept out of files, typically). Without a name, the `OS_*`
    /// variables alone describe the cloud.
    pub fn resolve(cloud: Option<&str>) -> Result<Profile, ConfigError> {
        Profile::resolve_in(
            cloud,
            env_path("OS_CLIENT_CONFIG_FILE")?.as_deref(),
            env_path("OS_CLIENT_SECURE_FILE")?.as_deref(),
        )
    }

    /// [`Profile::resolve`] with the configuration files given rather than
    /// named by variables (the usual places are still searched).
    pub fn resolve_in(
        cloud: Option<&str>,
        clouds_file: Option<&Path>,
        secure_file: Option<&Path>,
    ) -> Result<Profile, ConfigError> {
        let from_env = CloudConfig::from_env().map_err(|e| unreadable(&e))?;
        let config = match cloud {
            Some(name) => {
                let files = crate::config_files::load(clouds_file, secure_file)?;
                let mut config = files
                    .get_cloud_config(name)
                    .map_err(|e| unreadable(&e))?
                    .ok_or_else(|| unknown_cloud(name, clouds_file, &files))?;
                config.update(&from_env);
                config
            }
            None if from_env.auth.as_ref().is_some_and(|a| a.auth_url.is_some()) => from_env,
            None => return Err(ConfigError::NoCloud),
        };
        let name = cloud.unwrap_or("envvars").to_string();
        let profile = Profile { name, config };
        profile.check()?;
        Ok(profile)
    }

    /// The cloud's name (`envvars` when it came from `OS_*` variables).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Keystone's URL.
    pub fn auth_url(&self) -> Option<&str> {
        self.config.auth.as_ref().and_then(|a| a.auth_url.as_deref())
    }

    /// The settings for one region: a connection per region, because
    /// openstack_sdk's clones share their region.
    pub(crate) fn for_region(&self, region: &str) -> CloudConfig {
        let mut config = self.config.clone();
        config.region_name = Some(region.to_string());
        // Tokens on disk would outlive the run; every run authenticates afresh.
        config.auth_cache = Some(false);
        config
    }

    /// The same credentials scoped to another project (by id): how cutover
    /// acts in a project it was granted a role on (see [`crate::scoped`]).
    pub fn for_project(&self, project_id: &str) -> Profile {
        let mut config = self.config.clone();
        if let Some(auth) = config.auth.as_mut() {
            auth.project_id = Some(project_id.to_string());
            auth.project_name = None;
            auth.project_domain_id = None;
            auth.project_domain_name = None;
            // A domain here would ask for a domain-scoped token instead.
            auth.domain_id = None;
            auth.domain_name = None;
        }
        Profile { name: self.name.clone(), config }
    }

    /// Every secret value the configuration holds, so callers can check that
    /// none of them reaches an output.
    pub fn secrets(&self) -> Vec<String> {
        self.config.get_sensitive_values().into_iter().map(str::to_string).collect()
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.auth_url().is_none() {
            return Err(ConfigError::Missing { name: self.name.clone(), what: "auth_url" });
        }
        Ok(())
    }
}

/// A configuration file named by a variable must exist: a typo there should
/// not silently fall back to another cloud.
fn env_path(var: &str) -> Result<Option<PathBuf>, ConfigError> {
    let Some(path) = std::env::var_os(var).map(PathBuf::from) else { return Ok(None) };
    match std::fs::metadata(&path) {
        Ok(_) => Ok(Some(path)),
        Err(e) => Err(ConfigError::Unreadable { reason: format!("{var}={}: {e}", path.display()) }),
    }
}

fn unreadable(err: &dyn std::error::Error) -> ConfigError {
    let mut reason = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    ConfigError::Unreadable { reason: crate::error::one_line(&reason) }
}

fn unknown_cloud(name: &str, clouds_file: Option<&Path>, files: &ConfigFile) -> ConfigError {
    let mut available = files.get_available_clouds();
    available.sort();
    let searched = match clouds_file {
        Some(file) => file.display().to_string(),
        None => "clouds.yaml (./, ~/.config/openstack/, /etc/openstack/)".to_string(),
    };
    let available = if available.is_empty() { "none".to_string() } else { available.join(", ") };
    ConfigError::UnknownCloud { name: name.to_string(), searched, available }
}
