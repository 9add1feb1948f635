/*!
Turns a [`Scenario`] into a [`World`]: identity and catalog first, then each
Nova region, the shared Glance/Neutron/Cinder records, and finally the
servers with their ports, volumes and floating IPs wired together.
*/

mod compute;
mod identity;
mod servers;
mod shared;

use std::collections::HashMap;

use super::Scenario;
use crate::model::World;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{context}: unknown {kind} '{name}'")]
    Unknown { kind: &'static str, name: String, context: String },
    #[error("{context}: {reason}")]
    Invalid { context: String, reason: String },
}

fn unknown(kind: &'static str, name: &str, context: impl Into<String>) -> LoadError {
    LoadError::Unknown { kind, name: name.to_string(), context: context.into() }
}

fn invalid(context: impl Into<String>, reason: impl Into<String>) -> LoadError {
    LoadError::Invalid { context: context.into(), reason: reason.into() }
}

/// Builds the world a scenario describes, served under `base_url`.
/// `time_scale` overrides the scenario's own scale when given.
pub fn load(scenario: &Scenario, base_url: &str, time_scale: Option<f64>) -> Result<World, LoadError> {
    let mut time = scenario.time.clone().unwrap_or_default();
    if let Some(scale) = time_scale {
        time.scale = scale;
    }
    let mut loader = Loader { w: World::new(scenario.seed, time, base_url.to_string()), names: Names::default() };
    loader.w.faults = scenario.faults.clone();
    loader.identity(scenario)?;
    loader.catalog(scenario);
    loader.network(scenario)?;
    loader.images(scenario)?;
    loader.volumes(scenario)?;
    for region in &scenario.regions {
        loader.region(region)?;
    }
    for region in &scenario.regions {
        for server in &region.servers {
            loader.server(&region.name, server)?;
        }
    }
    Ok(loader.w)
}

/// Name to id maps for references between scenario records.
#[derive(Default)]
struct Names {
    domains: HashMap<String, String>,
    projects: HashMap<String, String>,
    users: HashMap<String, String>,
    networks: HashMap<String, String>,
    images: HashMap<String, String>,
    volumes: HashMap<String, String>,
    /// Neutron floating IP address to id.
    floating_ips: HashMap<String, String>,
    /// (project id, group name) to security group id.
    security_groups: HashMap<(String, String), String>,
    /// (region, address) to nova-network floating IP id.
    nova_floating_ips: HashMap<(String, String), u64>,
}

impl Names {
    fn get(map: &HashMap<String, String>, kind: &'static str, name: &str, ctx: &str) -> Result<String, LoadError> {
        map.get(name).cloned().ok_or_else(|| unknown(kind, name, ctx))
    }
    fn project(&self, name: &str, ctx: &str) -> Result<String, LoadError> {
        Names::get(&self.projects, "project", name, ctx)
    }
    fn user(&self, name: &str, ctx: &str) -> Result<String, LoadError> {
        Names::get(&self.users, "user", name, ctx)
    }
}

struct Loader {
    w: World,
    names: Names,
}

impl Loader {
    fn id_or_new(&mut self, id: &Option<String>) -> String {
        id.clone().unwrap_or_else(|| self.w.new_hex_id())
    }
}
