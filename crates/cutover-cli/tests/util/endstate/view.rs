/*!
One server as the checker compares it: [`ServerView::of`] reads it from the
simulator's own model (never through cutover's client), and
[`ServerView::expected`] says what the plan's rebuild record makes of it.
Both have one shape, so a difference is a named field, and the view of
every server is the canonical end state two runs are compared by.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_core::machine::Strategy;
use cutover_core::plan::{Plan, ServerPlan};
use cutover_sim::model::compute::Server;
use cutover_sim::model::World;
use serde::Serialize;

use super::Before;

/// Metadata cutover puts on the servers it boots.
pub const META_MIGRATION: &str = "cutover_migration";
pub const META_SOURCE: &str = "cutover_source";
pub const META_RESTORED_FROM: &str = "cutover_restored_from";
pub const META_ORIGINAL_USER: &str = "cutover_original_user";
pub const META_KEY_NAME: &str = "cutover_key_name";

/// What a server of the plan became.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Copy {
    /// The source itself, in the old region.
    Source,
    /// Booted by cutover in the new region (`cutover_source`).
    Rebuild,
    /// Booted by cutover in the old region after a failed move
    /// (`cutover_restored_from`).
    Restored,
}

/// What a server boots from, without the ids a run makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Boot {
    Image(String),
    /// An image made during the run, named as cutover names its snapshots.
    Snapshot,
    Volume(String),
    /// Anything else (an image made during the run under another name).
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortView {
    pub id: String,
    pub mac: String,
    /// (subnet, address)
    pub fixed_ips: Vec<(String, String)>,
    pub security_groups: BTreeSet<String>,
    /// The port is the server's (`device_id`) and bound where it runs.
    pub bound: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeView {
    pub id: String,
    pub boot_index: Option<i64>,
    pub delete_on_termination: bool,
    /// Cinder has it attached to the server, `in-use`.
    pub attached: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FloatingView {
    pub address: String,
    /// Neutron: the floating IP's id and port; `None` in nova-network.
    pub id: Option<String>,
    pub port_id: Option<String>,
}

/// A server's host-independent attributes, without the ids a run makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerView {
    pub copy: Copy,
    pub region: String,
    pub name: String,
    pub project: String,
    pub flavor: String,
    pub boot: Boot,
    /// The key pair it was booted with, as its owner named it.
    pub key_name: Option<String>,
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
    pub description: Option<String>,
    /// The zone of the host it runs on.
    pub zone: Option<String>,
    /// The group's name in the server's region, if the group lists it.
    pub server_group: Option<String>,
    pub security_groups: BTreeSet<String>,
    pub ports: Vec<PortView>,
    /// nova-network fixed addresses (Neutron servers have ports instead).
    pub fixed_ips: Vec<String>,
    pub volumes: Vec<VolumeView>,
    pub floating_ips: BTreeSet<FloatingView>,
    /// `ACTIVE` or `SHUTOFF`, with no task under way.
    pub status: String,
    pub config_drive: bool,
}

impl ServerView {
    /// `server` of `region` as the simulator holds it.
    // Long on purpose: one field of the view per few lines, read in order off the model.
    pub fn of(world: &World, region: &str, server: &Server, copy: Copy, before: &Before) -> ServerView {
        let compute = &world.compute[region];
        let network = &world.network;
        let ports: Vec<PortView> = server
            .nics
            .iter()
            .filter_map(|nic| nic.port_id.as_ref())
            .map(|id| match network.ports.get(id) {
                Some(p) => PortView {
                    id: id.clone(),
                    mac: p.mac_address.clone(),
                    fixed_ips: p.fixed_ips.iter().map(|f| (f.subnet_id.clone(), f.ip_address.clone())).collect(),
                    security_groups: p.security_groups.iter().cloned().collect(),
                    bound: p.device_id == server.id && server.host.as_deref() == Some(p.binding_host_id.as_str()),
                },
                None => PortView {
                    id: format!("{id} (gone)"),
                    mac: String::new(),
                    fixed_ips: Vec::new(),
                    security_groups: BTreeSet::new(),
                    bound: false,
                },
            })
            .collect();
        let port_ids: BTreeSet<&str> = ports.iter().map(|p| p.id.as_str()).collect();
        let security_groups = if ports.is_empty() {
            server.security_groups.iter().cloned().collect()
        } else {
            ports
                .iter()
                .flat_map(|p| &p.security_groups)
                .map(|id| network.security_groups.get(id).map_or_else(|| id.clone(), |g| g.name.clone()))
                .collect()
        };
        let mut volumes: Vec<VolumeView> =
            server
                .block_devices
                .iter()
                .map(|b| VolumeView {
                    id: b.volume_id.clone(),
                    boot_index: b.boot_index.map(i64::from),
                    delete_on_termination: b.delete_on_termination,
                    attached: world.volume.volumes.get(&b.volume_id).is_some_and(|v| {
                        v.status == "in-use" && v.attachments.iter().any(|a| a.server_id == server.id)
                    }),
                })
                .collect();
        volumes.sort_by(|a, b| a.id.cmp(&b.id));
        let neutron_floating =
            network.floating_ips.values().filter(|f| f.port_id.as_deref().is_some_and(|p| port_ids.contains(p))).map(
                |f| FloatingView {
                    address: f.floating_ip_address.clone(),
                    id: Some(f.id.clone()),
                    port_id: f.port_id.clone(),
                },
            );
        let nova_floating = compute
            .floating_ips
            .values()
            .filter(|f| f.instance_id.as_deref() == Some(server.id.as_str()))
            .map(|f| FloatingView { address: f.address.clone(), id: None, port_id: None });
        let floating_ips = neutron_floating.chain(nova_floating).collect();
        let group = server.server_group.as_ref().and_then(|id| compute.server_groups.get(id));
        ServerView {
            copy,
            region: region.to_string(),
            name: server.name.clone(),
            project: server.project_id.clone(),
            flavor: server.flavor_id.clone(),
            boot: boot_of(world, server, before),
            // What `openstack server show` shows: the name Nova booted it with.
            key_name: server.key_name.clone(),
            user_data: server.user_data.clone(),
            metadata: server.metadata.clone(),
            tags: server.tags.clone(),
            description: server.description.clone(),
            // A rebuild booted with no zone is where Nova's scheduler put it
            // (any zone: a recycled old host may have brought its own back).
            zone: match (copy, &server.requested_az) {
                (Copy::Rebuild, None) => None,
                _ => server.host.as_ref().map(|h| compute.host_zone(h)),
            },
            server_group: group.filter(|g| g.members.contains(&server.id)).map(|g| g.name.clone()),
            security_groups,
            ports,
            fixed_ips: server.nics.iter().filter(|n| n.port_id.is_none()).flat_map(|n| n.fixed_ips.clone()).collect(),
            volumes,
            floating_ips,
            status: match server.task_state.as_deref() {
                None => server.status().to_string(),
                Some(task) => format!("{} ({task})", server.status()),
            },
            config_drive: server.config_drive,
        }
    }

    /// What the rebuild record of `planned` says `copy` must be.
    // Long on purpose: the same fields as `of`, in the same order, from the record.
    pub fn expected(plan: &Plan, planned: &ServerPlan, copy: Copy) -> ServerView {
        let r = &planned.server;
        let mut metadata = r.metadata.clone();
        let marker = match copy {
            Copy::Source => None,
            Copy::Rebuild => Some(META_SOURCE),
            Copy::Restored => Some(META_RESTORED_FROM),
        };
        if let Some(marker) = marker {
            metadata.insert(META_MIGRATION.into(), plan.migration.clone());
            metadata.insert(marker.into(), r.id.clone().into());
            metadata.insert(META_ORIGINAL_USER.into(), r.user_id.clone().into());
            if let Some(key) = &r.key_name {
                metadata.insert(META_KEY_NAME.into(), key.clone());
            }
        }
        // A `wait` server moved by its strategy for after the deadline.
        let strategy = match (planned.strategy, planned.after_deadline) {
            (Strategy::Wait, Some(then)) => then,
            (strategy, _) => strategy,
        };
        let boot = match (copy, strategy, &r.image_id, r.root_volume()) {
            (_, _, _, Some(root)) => Boot::Volume(root.id.clone().into()),
            (Copy::Source, _, Some(image), _) | (_, Strategy::Redeploy, Some(image), _) => {
                Boot::Image(image.clone().into())
            }
            (_, Strategy::Snapshot, _, _) => Boot::Snapshot,
            (_, _, image, _) => Boot::Other(format!("{image:?}")),
        };
        let region = match copy {
            Copy::Rebuild => &plan.clouds.new_region,
            Copy::Source | Copy::Restored => &plan.clouds.old_region,
        };
        let mut volumes: Vec<VolumeView> = r
            .volumes
            .iter()
            .map(|v| VolumeView {
                id: v.id.clone().into(),
                boot_index: v.boot_index,
                delete_on_termination: v.delete_on_termination,
                attached: true,
            })
            .collect();
        volumes.sort_by(|a, b| a.id.cmp(&b.id));
        ServerView {
            copy,
            region: region.clone().into(),
            name: r.name.clone(),
            project: r.project_id.clone().into(),
            flavor: r.flavor_id.clone().into(),
            boot,
            key_name: r.key_name.clone(),
            user_data: r.user_data.clone(),
            metadata,
            tags: r.tags.iter().cloned().collect(),
            description: r.description.clone(),
            zone: match copy {
                // The plan's zone map says where it goes; a zone mapped to
                // none leaves it to Nova's scheduler (no zone asked for).
                Copy::Rebuild => plan.new_zone(r),
                Copy::Source | Copy::Restored => r.availability_zone.clone(),
            },
            server_group: r.server_group.as_ref().map(|g| g.name.clone()),
            security_groups: r.security_groups.iter().cloned().collect(),
            ports: r
                .ports
                .iter()
                .map(|p| PortView {
                    id: p.id.to_string(),
                    mac: p.mac.clone(),
                    fixed_ips: p.fixed_ips.iter().map(|f| (f.subnet_id.to_string(), f.ip.clone())).collect(),
                    security_groups: p.security_group_ids.iter().cloned().collect(),
                    bound: true,
                })
                .collect(),
            fixed_ips: r.fixed_networks.iter().map(|f| f.ip.clone()).collect(),
            volumes,
            floating_ips: r
                .floating_ips
                .iter()
                .map(|f| FloatingView {
                    address: f.address.clone(),
                    id: f.id.clone().map(Into::into),
                    port_id: f.port_id.clone().map(Into::into),
                })
                .collect(),
            status: r.status.to_string(),
            config_drive: r.config_drive,
        }
    }

    /// Each field where `self` is not `expected`, as `field: expected X, found Y`.
    pub fn differences(&self, expected: &ServerView) -> Vec<String> {
        let (found, wanted) = (fields(self), fields(expected));
        wanted
            .iter()
            .filter(|(field, value)| found.get(*field) != Some(value))
            .map(|(field, value)| {
                format!("{field}: expected {value}, found {}", found.get(field).unwrap_or(&serde_json::Value::Null))
            })
            .collect()
    }
}

fn fields(view: &ServerView) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(view) {
        Ok(serde_json::Value::Object(map)) => map,
        other => panic!("a server view is a JSON object, not {other:?}"),
    }
}

fn boot_of(world: &World, server: &Server, before: &Before) -> Boot {
    if let Some(root) = server.block_devices.iter().find(|b| b.boot_index == Some(0)) {
        return Boot::Volume(root.volume_id.clone());
    }
    let Some(image) = &server.image_id else { return Boot::Other("nothing".into()) };
    if before.images.contains(image) {
        return Boot::Image(image.clone());
    }
    // Made during the run: a snapshot, kept or (when the plan does not keep
    // snapshots) deleted once the move was verified.
    match world.image.images.get(image) {
        None => Boot::Snapshot,
        Some(i) if i.name.as_deref().is_some_and(|n| n.starts_with("cutover-")) => Boot::Snapshot,
        Some(i) => Boot::Other(format!("image {:?} made during the run", i.name)),
    }
}
