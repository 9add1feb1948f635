/*!
A server's build after `POST /servers`, as delayed transitions over
`time.boot_secs`: scheduling (the filter scheduler's choice of host) →
block_device_mapping (volumes created from images) → networking (ports
created or taken over) → spawning → ACTIVE with its ports bound. A failure
at any step leaves the server in ERROR with Nova's fault.
*/

use std::time::Duration;

use crate::clock::TimeModel;
use crate::model::compute::{
    BlockDevice, ComputeRegion, Demand, Fault, Networking, Nic, PowerState, Server, ServerPort, VmState,
};
use crate::model::network::FixedIp;
use crate::model::volume::Volume;
use crate::model::World;

use super::networks::NicRequest;

/// A volume Nova creates for the server (`source_type` image or blank).
#[derive(Debug, Clone)]
pub struct NewVolume {
    pub image_id: Option<String>,
    pub size_gb: u64,
    pub boot_index: Option<i32>,
    pub delete: bool,
}

/// What the build still has to do, carried from step to step.
#[derive(Debug, Clone)]
pub struct BootPlan {
    pub server_id: String,
    pub generation: u64,
    pub nics: Vec<NicRequest>,
    pub security_group_ids: Vec<String>,
    pub new_volumes: Vec<NewVolume>,
    /// A host forced by an admin with `zone:host`: the scheduler filters
    /// are skipped.
    pub forced_host: Option<String>,
    /// A host requested by an admin with 2.74's `host`: the filters run,
    /// on that host alone.
    pub requested_host: Option<String>,
    pub volume_backed: bool,
}

/// Share of `boot_secs` each step takes.
const SCHEDULING: f64 = 0.1;
const BLOCK_DEVICES: f64 = 0.2;
const NETWORKING: f64 = 0.2;
const SPAWNING: f64 = 0.5;

/// The instance action events of a build: the conductor's scheduling,
/// then the compute host's build.
pub const SCHEDULE_EVENT: &str = "conductor_schedule_and_build_instances";
const BUILD_EVENT: &str = "compute__do_build_and_run_instance";

/// Nova's `NoValidHost` fault text.
pub const NO_VALID_HOST: &str = "No valid host was found. There are not enough hosts available.";

fn share(w: &World, fraction: f64) -> Duration {
    TimeModel::secs(w.time.boot_secs * fraction)
}

pub fn start(w: &mut World, region: &str, plan: BootPlan) {
    let region = region.to_string();
    let due = share(w, SCHEDULING);
    w.after(due, move |w| schedule(w, &region, plan));
}

/// The server if it is still the build this plan belongs to (not deleted,
/// not superseded by another action).
fn building<'w>(w: &'w mut World, region: &str, plan: &BootPlan) -> Option<&'w mut Server> {
    let s = w.compute_region_mut(region)?.servers.get_mut(&plan.server_id)?;
    (s.generation == plan.generation && s.vm_state == VmState::Building).then_some(s)
}

fn set_task(w: &mut World, region: &str, plan: &BootPlan, task: &str) -> bool {
    let now = w.now;
    match building(w, region, plan) {
        Some(s) => {
            s.task_state = Some(task.into());
            s.updated = now;
            true
        }
        None => false,
    }
}

/// Puts the server in ERROR with a fault, releasing what networking gave it
/// and taking it off its host, as Nova does when a build fails.
pub fn fail(w: &mut World, region: &str, server_id: &str, code: u16, message: String, details: String) {
    let now = w.now;
    super::delete::release_network(w, region, server_id);
    let Some(r) = w.compute_region_mut(region) else { return };
    r.set_server_host(server_id, None);
    r.actions.fail_unfinished(server_id, &message, now);
    if let Some(s) = r.servers.get_mut(server_id) {
        s.vm_state = VmState::Error;
        s.task_state = None;
        s.power_state = PowerState::NoState;
        s.updated = now;
        s.fault = Some(Fault { code, message, details, created: now });
    }
}

fn schedule(w: &mut World, region: &str, plan: BootPlan) {
    let Some(server) = building(w, region, &plan).map(|s| s.clone()) else { return };
    let Some(r) = w.compute_region(region) else { return };
    match pick_host(r, &server, &plan) {
        Some(host) => {
            let now = w.now;
            if let Some(r) = w.compute_region_mut(region) {
                r.set_server_host(&plan.server_id, Some(host.clone()));
                r.actions.finish(&plan.server_id, SCHEDULE_EVENT, None, now);
                r.actions.start(&plan.server_id, BUILD_EVENT, Some(&host), now);
            }
            for b in server.block_devices.iter() {
                if let Some(a) = w
                    .volume
                    .volumes
                    .get_mut(&b.volume_id)
                    .and_then(|v| v.attachments.iter_mut().find(|a| a.server_id == server.id))
                {
                    a.host_name = Some(host.clone());
                }
            }
            set_task(w, region, &plan, "block_device_mapping");
            let per_gb = w.time.volume_from_image_secs_per_gb;
            let images_gb: u64 = plan.new_volumes.iter().filter(|v| v.image_id.is_some()).map(|v| v.size_gb).sum();
            let due = share(w, BLOCK_DEVICES) + TimeModel::secs(per_gb * images_gb as f64);
            let region = region.to_string();
            w.after(due, move |w| block_devices(w, &region, plan));
        }
        None => fail(w, region, &plan.server_id, 500, NO_VALID_HOST.into(), String::new()),
    }
}

/// The filter scheduler: an enabled, up compute host in the zone, with room
/// for the flavor, allowed by the server group's policy; weighed by the
/// soft group policies, then by free RAM (Nova's default RAM weigher
/// spreads servers).
pub fn pick_host(r: &ComputeRegion, server: &Server, plan: &BootPlan) -> Option<String> {
    let flavor = r.flavors.get(&server.flavor_id)?;
    let demand = Demand::of(flavor, plan.volume_backed);
    let group = server.server_group.as_ref().and_then(|g| r.server_groups.get(g));
    let member_hosts: Vec<&str> = group
        .map(|g| {
            g.members
                .iter()
                .filter(|m| **m != server.id)
                .filter_map(|m| r.servers.get(m).and_then(|s| s.host.as_deref()))
                .collect()
        })
        .unwrap_or_default();
    let policy = group.map(|g| g.policy.as_str()).unwrap_or("");
    let mut candidates: Vec<(i64, i64, &str)> = r
        .hosts
        .keys()
        .map(String::as_str)
        .filter(|h| match &plan.forced_host {
            // A forced host skips the filters; placement still needs room,
            // and from Train placement's mandatory `compute_status_filter`
            // pre-filter leaves out a disabled host, forced or not (nova
            // scheduler/request_filter.py; the COMPUTE_STATUS_DISABLED trait
            // mirrors the service's status).
            Some(forced) => forced == h && !(r.filters_disabled_in_placement() && r.host_disabled(h)),
            None => {
                plan.requested_host.as_ref().is_none_or(|want| want == h)
                    && r.host_schedulable(h)
                    && server.requested_az.as_ref().is_none_or(|az| &r.host_zone(h) == az)
                    && match policy {
                        "affinity" => member_hosts.is_empty() || member_hosts.contains(h),
                        "anti-affinity" => !member_hosts.contains(h),
                        _ => true,
                    }
            }
        })
        .filter(|h| r.host_has_room(h, demand))
        .map(|h| {
            let peers = member_hosts.iter().filter(|m| **m == h).count() as i64;
            let group_weight = match policy {
                "soft-affinity" => peers,
                "soft-anti-affinity" => -peers,
                _ => 0,
            };
            (group_weight, r.host_free_ram(h), h)
        })
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
    candidates.first().map(|c| c.2.to_string())
}

fn block_devices(w: &mut World, region: &str, plan: BootPlan) {
    let Some(server) = building(w, region, &plan).map(|s| s.clone()) else { return };
    let mut added = Vec::new();
    for (i, nv) in plan.new_volumes.iter().enumerate() {
        let volume = new_volume(w, &server, nv);
        let volume_id = volume.id.clone();
        w.volume.volumes.insert(volume_id.clone(), volume);
        let index = server.block_devices.len() + i;
        let device = format!("/dev/vd{}", (b'a' + index as u8) as char);
        let now = w.now;
        match w.volume.attach(&volume_id, &server.id, server.host.clone(), &device, now) {
            Ok(att) => added.push(BlockDevice {
                volume_id,
                boot_index: nv.boot_index,
                device_name: device,
                delete_on_termination: nv.delete,
                tag: None,
                attachment_id: att.id,
            }),
            Err(e) => {
                let msg = format!("Build of instance {} aborted: {e}", server.id);
                return fail(w, region, &server.id, 500, msg, String::new());
            }
        }
    }
    if let Some(s) = building(w, region, &plan) {
        // Nova orders the mappings by boot index, the root disk first.
        s.block_devices.extend(added);
        s.block_devices.sort_by_key(|b| b.boot_index.map_or(i64::MAX, i64::from));
    }
    set_task(w, region, &plan, "networking");
    let region = region.to_string();
    let due = share(w, NETWORKING);
    w.after(due, move |w| networking(w, &region, plan));
}

/// A Cinder volume created for the server from an image or blank.
fn new_volume(w: &mut World, server: &Server, nv: &NewVolume) -> Volume {
    let image = nv.image_id.as_ref().and_then(|i| w.image.images.get(i));
    let image_metadata = image.map(|img| img.volume_image_metadata()).unwrap_or_default();
    Volume {
        id: w.new_uuid(),
        name: Some(String::new()),
        description: Some(String::new()),
        project_id: server.project_id.clone(),
        user_id: server.user_id.clone(),
        size_gb: nv.size_gb,
        status: "available".into(),
        volume_type: "__DEFAULT__".into(),
        bootable: nv.image_id.is_some(),
        multiattach: false,
        availability_zone: "nova".into(),
        attachments: Vec::new(),
        source_image_id: nv.image_id.clone(),
        image_metadata,
        metadata: Default::default(),
        created_at: w.now,
        updated_at: Some(w.now),
    }
}

fn networking(w: &mut World, region: &str, plan: BootPlan) {
    let Some(server) = building(w, region, &plan).map(|s| s.clone()) else { return };
    let networking = w.compute_region(region).map(|r| r.networking).unwrap_or_default();
    let zone = w.compute_region(region).and_then(|r| r.server_zone(&server)).unwrap_or_default();
    let mut nics = Vec::new();
    for req in &plan.nics {
        let made = match networking {
            Networking::Neutron => neutron_nic(w, &server, &zone, req, &plan.security_group_ids),
            Networking::NovaNetwork => nova_network_nic(w, region, &server.id, req),
        };
        match made {
            Ok(nic) => nics.push(nic),
            Err(reason) => {
                if let Some(s) = building(w, region, &plan) {
                    s.nics.extend(nics);
                }
                let msg = format!("Build of instance {} aborted: {reason}", server.id);
                return fail(w, region, &server.id, 500, msg, String::new());
            }
        }
    }
    if let Some(s) = building(w, region, &plan) {
        s.nics.extend(nics);
    }
    set_task(w, region, &plan, "spawning");
    let region = region.to_string();
    let due = share(w, SPAWNING);
    w.after(due, move |w| spawned(w, &region, plan));
}

fn neutron_nic(w: &mut World, server: &Server, zone: &str, req: &NicRequest, groups: &[String]) -> Result<Nic, String> {
    let now = w.now;
    if let Some(port_id) = &req.port_id {
        let owner = format!("compute:{zone}");
        let port = w
            .network
            .update_port(port_id, |p| {
                if p.device_id.is_empty() {
                    p.device_id = server.id.clone();
                    p.device_owner = owner;
                    p.updated_at = now;
                    p.revision_number += 1;
                }
            })
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("Port id {port_id} could not be found."))?;
        if port.device_id != server.id {
            return Err(format!("Port {port_id} is still in use."));
        }
        return Ok(Nic {
            port_id: Some(port.id.clone()),
            network_id: port.network_id.clone(),
            network_name: req.network_name.clone(),
            mac_address: port.mac_address.clone(),
            fixed_ips: port.fixed_ips.iter().map(|f| f.ip_address.clone()).collect(),
            floating_ips: Vec::new(),
            preserve_on_delete: true,
            tag: req.tag.clone(),
        });
    }
    let fixed =
        address_for(w, req).ok_or_else(|| format!("No more IP addresses available on network {}.", req.network_id))?;
    let mac = w.network.new_mac(&req.network_id, &mut w.rng);
    let port = ServerPort {
        id: w.new_uuid(),
        network_id: req.network_id.clone(),
        project_id: &server.project_id,
        mac_address: mac.clone(),
        fixed_ips: vec![fixed.clone()],
        server_id: &server.id,
        zone,
        host: None,
        security_groups: groups.to_vec(),
        now,
    }
    .build();
    let port_id = port.id.clone();
    w.network.insert_port(port).map_err(|e| e.to_string())?;
    Ok(Nic {
        port_id: Some(port_id),
        network_id: req.network_id.clone(),
        network_name: req.network_name.clone(),
        mac_address: mac,
        fixed_ips: vec![fixed.ip_address],
        floating_ips: Vec::new(),
        preserve_on_delete: false,
        tag: req.tag.clone(),
    })
}

/// The requested address on its subnet, else the first free one of the
/// network's subnets.
fn address_for(w: &World, req: &NicRequest) -> Option<FixedIp> {
    let mut subnets: Vec<_> = w.network.subnets.values().filter(|s| s.network_id == req.network_id).collect();
    subnets.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    match &req.fixed_ip {
        Some(ip) => {
            subnets.iter().find(|s| s.contains(ip)).map(|s| FixedIp { subnet_id: s.id.clone(), ip_address: ip.clone() })
        }
        None => subnets
            .iter()
            .find_map(|s| w.network.free_ip(&s.id).map(|ip| FixedIp { subnet_id: s.id.clone(), ip_address: ip })),
    }
}

/// nova-network's `allocate_fixed_ip`: the requested address is associated
/// with the server unless another server (perhaps a deleted one, until
/// nova-network disassociates it) still holds it.
fn nova_network_nic(w: &mut World, region: &str, server: &str, req: &NicRequest) -> Result<Nic, String> {
    let mac = {
        let b: [u8; 3] = rand::Rng::random(&mut w.rng);
        format!("fa:16:3e:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
    };
    let r = w.compute_region_mut(region).ok_or("no region")?;
    let ip = match &req.fixed_ip {
        Some(ip) if r.fixed_ips_in_use.get(ip).is_some_and(|holder| holder != server) => {
            return Err(super::networks::fixed_ip_in_use(ip, &r.fixed_ips_in_use[ip]))
        }
        Some(ip) => ip.clone(),
        None => r
            .free_fixed_ip(&req.network_id)
            .ok_or_else(|| format!("No fixed IP addresses available for network: {}", req.network_id))?,
    };
    r.fixed_ips_in_use.insert(ip.clone(), server.to_string());
    Ok(Nic {
        port_id: None,
        network_id: req.network_id.clone(),
        network_name: req.network_name.clone(),
        mac_address: mac,
        fixed_ips: vec![ip],
        floating_ips: Vec::new(),
        preserve_on_delete: false,
        tag: req.tag.clone(),
    })
}

fn spawned(w: &mut World, region: &str, plan: BootPlan) {
    let Some(server) = building(w, region, &plan).map(|s| s.clone()) else { return };
    let host = server.host.clone().unwrap_or_default();
    let failing = w.compute_region(region).is_some_and(|r| r.failing_hosts.contains(&host));
    if failing {
        // The compute host failed the spawn; with nowhere else to go (the
        // simulator models `max_attempts = 1`) the conductor gives up.
        let msg = format!(
            "Exceeded maximum number of retries. Exceeded max scheduling attempts 1 for instance {}. \
             Last exception: Build of instance {} was re-scheduled: Failed to spawn on host {host}",
            server.id, server.id
        );
        let details = format!("RescheduledException on host {host}");
        return fail(w, region, &server.id, 500, msg, details);
    }
    let now = w.now;
    for nic in &server.nics {
        if let Some(port_id) = &nic.port_id {
            let _ = w.network.update_port(port_id, |p| {
                p.binding_host_id = host.clone();
                p.binding_vif_type = "ovs".into();
                p.status = "ACTIVE".into();
                p.updated_at = now;
                p.revision_number += 1;
            });
        }
    }
    if let Some(s) = building(w, region, &plan) {
        s.vm_state = VmState::Active;
        s.power_state = PowerState::Running;
        s.task_state = None;
        s.launched_at = Some(now);
        s.updated = now;
    }
    if let Some(r) = w.compute_region_mut(region) {
        r.actions.finish(&plan.server_id, BUILD_EVENT, None, now);
    }
}
