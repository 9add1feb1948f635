/*!
Whether every old server's dependencies still exist: its flavor (sync
copies flavors, and cannot copy one that is gone), its image (only a
`redeploy` needs the original), its networks and its volumes (a moved
server is attached to the same ones).
*/

use std::collections::{BTreeMap, BTreeSet};

use super::access::networking_mode;
use super::check::{summarize, Check, Status, NEEDS_ADMIN};
use super::observation::{Networking, Observation};
use crate::id::FlavorId;
use crate::model::{Flavor, FlavorSizes, ImageStatus, ServerSummary};

/// The old region's flavors, images, networks and volumes checks.
pub fn checks(obs: &Observation) -> Vec<Check> {
    let inv = &obs.inventory;
    let region = obs.old.name.as_str();
    let servers = match &inv.servers {
        Ok(servers) => servers,
        Err(why) => return vec![gate(obs, "servers", &format!("cannot list the servers: {why}"))],
    };
    let names = Names::new(obs);
    let mut checks = Vec::new();
    checks.push(match &inv.flavors {
        Ok(flavors) => flavors_check(region, servers, flavors, &names),
        Err(why) => gate(obs, "flavors", why),
    });
    checks.push(match &inv.images {
        Ok(images) => {
            let active: BTreeSet<&str> =
                images.iter().filter(|i| i.status == ImageStatus::Active).map(|i| i.id.as_str()).collect();
            let problems: Vec<String> = servers
                .iter()
                .filter_map(|s| {
                    let image = s.image_id.as_deref()?;
                    (!active.contains(image))
                        .then(|| format!("{}: image {image} is not an active image in Glance", names.server(s)))
                })
                .collect();
            if problems.is_empty() {
                Check::new("images", Some(region), Status::Ok, "every image-backed server's image is in Glance")
            } else {
                let reason = format!("{} (only the redeploy strategy needs it)", summarize(&problems));
                Check::new("images", Some(region), Status::Warn, reason)
            }
        }
        Err(why) => gate(obs, "images", why),
    });
    checks.push(networks_check(obs, servers, &names));
    checks.push(match &inv.volumes {
        Ok(volumes) => {
            let known: BTreeSet<&str> = volumes.iter().map(|v| v.id.as_str()).collect();
            let problems: Vec<String> = servers
                .iter()
                .flat_map(|s| s.volume_ids.iter().map(move |v| (s, v)))
                .filter(|(_, v)| !known.contains(v.as_str()))
                .map(|(s, v)| format!("{}: attached volume {v} is not in Cinder", names.server(s)))
                .collect();
            result("volumes", region, Status::Fail, &problems, "every attached volume is in Cinder")
        }
        Err(why) => gate(obs, "volumes", why),
    });
    checks
}

/// The flavor a server was booted with: by id below 2.47, by its name at
/// boot from 2.47 (flavor names are unique in Nova).
pub fn resolve_flavor<'a>(server: &ServerSummary, flavors: &'a [Flavor]) -> Option<&'a Flavor> {
    match (&server.flavor.id, &server.flavor.original_name) {
        (Some(id), _) => flavors.iter().find(|f| &f.id == id),
        (None, Some(name)) => flavors.iter().find(|f| &f.name == name),
        (None, None) => None,
    }
}

/// The sizes a server has: embedded in the server from 2.47, else its
/// flavor's.
pub fn flavor_sizes(server: &ServerSummary, flavors: &[Flavor]) -> Option<FlavorSizes> {
    server.flavor.sizes.or_else(|| {
        resolve_flavor(server, flavors).map(|f| FlavorSizes {
            vcpus: f.vcpus,
            ram_mib: f.ram_mib,
            disk_gib: f.disk_gib,
            ephemeral_gib: f.ephemeral_gib,
            swap_mib: f.swap_mib,
        })
    })
}

fn flavors_check(region: &str, servers: &[ServerSummary], flavors: &[Flavor], names: &Names) -> Check {
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    for server in servers {
        let label = match (&server.flavor.original_name, &server.flavor.id) {
            (Some(name), _) => format!("flavor {name}"),
            (None, Some(id)) => format!("flavor id {id}"),
            (None, None) => "no flavor".to_string(),
        };
        match resolve_flavor(server, flavors) {
            None => missing.push(format!(
                "{} uses {label}, which no longer exists in {region}: sync cannot copy it",
                names.server(server)
            )),
            Some(flavor) => {
                let now = (flavor.vcpus, flavor.ram_mib, flavor.disk_gib, flavor.ephemeral_gib);
                if let Some(s) =
                    server.flavor.sizes.filter(|s| (s.vcpus, s.ram_mib, s.disk_gib, s.ephemeral_gib) != now)
                {
                    changed.push(format!(
                        "{} was booted with {label} at {} vCPUs, {} MiB RAM, {} GiB disk; the flavor of that name now differs",
                        names.server(server),
                        s.vcpus,
                        s.ram_mib,
                        s.disk_gib
                    ));
                }
            }
        }
    }
    if !missing.is_empty() {
        return result("flavors", region, Status::Fail, &missing, "");
    }
    let used: BTreeSet<&FlavorId> = servers.iter().filter_map(|s| resolve_flavor(s, flavors)).map(|f| &f.id).collect();
    let ok = format!("the {} flavor(s) of {} server(s) exist", used.len(), servers.len());
    result("flavors", region, Status::Warn, &changed, &ok)
}

fn networks_check(obs: &Observation, servers: &[ServerSummary], names: &Names) -> Check {
    let inv = &obs.inventory;
    let region = obs.old.name.as_str();
    let mode = match networking_mode(&obs.old.services, obs.old.has("network")) {
        Ok(mode) => mode,
        Err(why) => return gate(obs, "networks", &format!("networking mode unknown: {why}")),
    };
    let networks = match &inv.networks {
        Ok(networks) => networks,
        Err(why) => return gate(obs, "networks", why),
    };
    let by_id: BTreeMap<&str, &str> = networks.iter().map(|n| (n.id.as_str(), n.name.as_str())).collect();
    let known_names: BTreeSet<&str> = networks.iter().map(|n| n.name.as_str()).collect();
    let mut problems = Vec::new();
    match (mode, &inv.ports) {
        (Networking::Neutron, Err(why)) => return gate(obs, "networks", why),
        (Networking::Neutron, Ok(ports)) => {
            for server in servers {
                let own = ports.iter().filter(|p| p.device_id == server.id);
                for port in own.filter(|p| !by_id.contains_key(p.network_id.as_str())) {
                    problems.push(format!(
                        "{}: port {} is on network {}, which does not exist",
                        names.server(server),
                        port.id,
                        port.network_id
                    ));
                }
                unknown_labels(server, &known_names, names, &mut problems);
            }
        }
        (Networking::NovaNetwork, _) => {
            for server in servers {
                unknown_labels(server, &known_names, names, &mut problems);
            }
        }
    }
    let ok = format!("the {mode} networks of {} server(s) exist", servers.len());
    result("networks", region, Status::Fail, &problems, &ok)
}

/// Addresses on a network that is not there any more (by its label).
fn unknown_labels(server: &ServerSummary, known: &BTreeSet<&str>, names: &Names, problems: &mut Vec<String>) {
    for label in server.addresses.keys().filter(|l| !known.contains(l.as_str())) {
        problems.push(format!("{} has addresses on network {label}, which does not exist", names.server(server)));
    }
}

/// `status` with the problems summarized, or ok with `ok_reason`.
fn result(name: &str, region: &str, status: Status, problems: &[String], ok_reason: &str) -> Check {
    if problems.is_empty() {
        Check::new(name, Some(region), Status::Ok, ok_reason)
    } else {
        Check::new(name, Some(region), status, summarize(problems))
    }
}

/// A failed gathering: for an admin a failure, for anyone else a check
/// that could not run.
fn gate(obs: &Observation, name: &str, why: &str) -> Check {
    let region = Some(obs.old.name.as_str());
    if obs.scope.is_admin() {
        Check::new(name, region, Status::Fail, why)
    } else {
        Check::new(name, region, Status::Warn, NEEDS_ADMIN)
    }
}

/// Project names for reports (ids where Keystone did not tell).
struct Names<'a> {
    projects: BTreeMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    fn new(obs: &'a Observation) -> Names<'a> {
        Names { projects: obs.inventory.projects.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect() }
    }

    fn server(&self, server: &ServerSummary) -> String {
        let project = self.projects.get(server.project_id.as_str()).copied().unwrap_or(&server.project_id);
        format!("server {} ({}) of project {project}", server.name, server.id)
    }
}
