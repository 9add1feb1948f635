//! A TEST DOUBLE: both clouds as one in-memory model that carries actions
//! out the way Nova, Glance, Cinder and Neutron do (over time, refusing
//! what they refuse, idempotent where the real driver looks up first), and
//! checks the guarantees as it goes: no source deleted without its copy,
//! never two rebuilds of a server, never running in both regions at once.
//! It records every call so the tests can check the concurrency limits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use cutover_core::id::{HostName, ImageId, PortId, ProjectId, ServerId, VolumeId};
use cutover_core::machine::host::{HostObservation, ServiceView};
use cutover_core::machine::{
    Action, BootSource, ImageView, Observation, PortView, Seen, ServerView, Side, Strategy, VolumeView,
};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_core::room::{HostRoom, Load, Room};
use cutover_engine::{Driver, DriverError, NewRegion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

mod driver;

/// Faults to inject; probabilities per call.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// A call fails before it reaches the cloud (a 503).
    pub call_fails: f64,
    /// A call is carried out but its reply is lost (a timeout).
    pub reply_lost: f64,
    /// A whole observation fails.
    pub observe_fails: f64,
    /// One server is missing from an observation's answer.
    pub server_unobserved: f64,
    /// A snapshot ends `killed`.
    pub snapshot_killed: f64,
    /// Boots on this new host end in ERROR.
    pub bad_new_host: Option<String>,
}

#[derive(Debug, Clone)]
struct Srv {
    id: ServerId,
    side: Side,
    host: HostName,
    status: String,
    task: Option<String>,
    fault: Option<String>,
    /// `cutover_source` metadata of a rebuild.
    source_of: Option<ServerId>,
    root: Option<VolumeId>,
    root_delete_on_termination: bool,
    /// What it takes of its host (the plan's `needs`).
    load: Load,
    /// Ports passed by id at boot: Nova unbinds them when the server is
    /// deleted, by these ids, whoever holds them by then.
    given_ports: Vec<PortId>,
}

#[derive(Debug, Clone)]
struct Img {
    id: ImageId,
    name: String,
    status: String,
    size: Option<u64>,
    checksum: Option<String>,
    /// The server it is a snapshot of, and that server's host.
    server: ServerId,
    host: HostName,
}

#[derive(Debug, Clone)]
struct Vol {
    status: String,
    attached_to: Option<ServerId>,
}

#[derive(Debug, Clone)]
struct Port {
    device_id: String,
    /// Created by Nova for the server: deleted with it. A port passed by id
    /// at boot is only unbound.
    nova_owned: bool,
}

#[derive(Debug)]
enum Event {
    Status { id: ServerId, status: &'static str },
    Snapshot { image: ImageId },
    Volume { id: VolumeId, status: &'static str, attached_to: Option<ServerId> },
    Gone { id: ServerId },
    OwnerDeletes { id: ServerId },
}

/// One execute call, as recorded for the concurrency checks.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub source: ServerId,
    pub host: HostName,
    pub project: ProjectId,
}

#[derive(Default)]
pub struct Counters {
    pub observes: u64,
    /// Servers asked about, over all observations.
    pub observed_servers: u64,
    pub executes: u64,
    pub max_new_builds: usize,
    /// Boots that found no new host with room.
    pub no_valid_host: u64,
    pub max_snapshots_per_host: usize,
}

pub struct World {
    faults: Faults,
    rng: StdRng,
    next: u64,
    servers: BTreeMap<ServerId, Srv>,
    images: BTreeMap<ImageId, Img>,
    volumes: BTreeMap<VolumeId, Vol>,
    ports: BTreeMap<PortId, Port>,
    floating: BTreeMap<String, Option<ServerId>>,
    events: Vec<(Instant, Event)>,
    new_hosts: Vec<HostName>,
    placed: usize,
    /// What each new host offers, when the model counts room (then a boot
    /// that fits nowhere ends in ERROR, as Nova's NoValidHost).
    capacity: Option<Load>,
    pub disabled: BTreeSet<HostName>,
    /// Old hosts whose `nova-compute` record was deleted.
    pub retired: BTreeSet<HostName>,
    /// Every `enable HOST` / `disable HOST` call, in order.
    pub host_events: Vec<String>,
    pub calls: Vec<CallRecord>,
    pub counters: Counters,
    pub violations: Vec<String>,
    crash_at_call: Option<u64>,
}

pub struct Model {
    world: Mutex<World>,
    pub origin: Instant,
    crashed: tokio::sync::Notify,
}

const STOP: u64 = 4;
const SNAPSHOT: u64 = 40;
const BOOT: u64 = 20;
const DELETE: u64 = 3;
const VOLUME: u64 = 2;

impl Model {
    /// The clouds before the move of `plan`: every planned server on its
    /// old host with its volumes, ports and floating addresses.
    pub fn new(plan: &Plan, seed: u64, faults: Faults, new_hosts: usize) -> Arc<Model> {
        let mut world = World {
            faults,
            rng: StdRng::seed_from_u64(seed),
            next: 0,
            servers: BTreeMap::new(),
            images: BTreeMap::new(),
            volumes: BTreeMap::new(),
            ports: BTreeMap::new(),
            floating: BTreeMap::new(),
            events: Vec::new(),
            new_hosts: (1..=new_hosts).map(|n| format!("new-{n}").into()).collect(),
            placed: 0,
            capacity: None,
            disabled: BTreeSet::new(),
            retired: BTreeSet::new(),
            host_events: Vec::new(),
            calls: Vec::new(),
            counters: Counters::default(),
            violations: Vec::new(),
            crash_at_call: None,
        };
        let origin = Instant::now();
        for planned in plan.hosts.iter().flat_map(|h| &h.servers) {
            let record = &planned.server;
            let root = record.root_volume().map(|v| v.id.clone());
            world.servers.insert(
                record.id.clone(),
                Srv {
                    id: record.id.clone(),
                    side: Side::Old,
                    host: record.host.clone(),
                    status: record.status.to_string(),
                    task: None,
                    fault: None,
                    source_of: None,
                    root: root.clone(),
                    root_delete_on_termination: record.volumes.iter().any(|v| v.delete_on_termination),
                    load: planned.needs.unwrap_or_default(),
                    given_ports: Vec::new(),
                },
            );
            for volume in &record.volumes {
                world
                    .volumes
                    .insert(volume.id.clone(), Vol { status: "in-use".into(), attached_to: Some(record.id.clone()) });
            }
            for port in &record.ports {
                world.ports.insert(port.id.clone(), Port { device_id: record.id.clone().into(), nova_owned: true });
            }
            for floating in &record.floating_ips {
                world.floating.insert(floating.address.clone(), Some(record.id.clone()));
            }
            if planned.strategy == Strategy::Wait && planned.after_deadline.is_none() {
                // The owner deletes it some time into the cutover (one the
                // plan moves after the deadline stays).
                let at = origin + Duration::from_secs(60 + world.rng.random_range(0..120));
                world.events.push((at, Event::OwnerDeletes { id: record.id.clone() }));
            }
        }
        Arc::new(Model { world: Mutex::new(world), origin, crashed: tokio::sync::Notify::new() })
    }

    /// The world, for a test to look at (or a call to change).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `n`th execute call is carried out and then never returns, as if
    /// the process died while waiting for its reply.
    pub fn crash_at_call(&self, n: u64) {
        self.world().crash_at_call = Some(n);
    }

    /// Every new host, and each old host once it joins, offers `per_host`:
    /// a boot finding no room ends in ERROR.
    pub fn limit_room(&self, per_host: Load) {
        self.world().capacity = Some(per_host);
    }

    /// An old host redeployed into the new region (what a hand-off does).
    pub fn join_new(&self, host: &str) {
        let mut world = self.world();
        if !world.new_hosts.iter().any(|h| h == host) {
            world.new_hosts.push(host.to_string().into());
            world.host_events.push(format!("join {host}"));
        }
    }

    /// Resolves when the crash of [`Model::crash_at_call`] happened.
    pub async fn crashed(&self) {
        self.crashed.notified().await;
    }

    /// Per planned server, where it ended up, without ids (which depend on
    /// the order things were created in).
    pub fn summary(&self, plan: &Plan) -> BTreeMap<ServerId, String> {
        let mut world = self.world();
        world.run_due();
        let mut summary = BTreeMap::new();
        for planned in plan.hosts.iter().flat_map(|h| &h.servers) {
            let id = &planned.server.id;
            let copies: Vec<&Srv> =
                world.servers.values().filter(|s| s.id == *id || s.source_of.as_deref() == Some(id)).collect();
            let placed: Vec<String> = copies
                .iter()
                .map(|s| {
                    let ports = world.ports.values().filter(|p| p.device_id == s.id).count();
                    let volumes = world.volumes.values().filter(|v| v.attached_to.as_deref() == Some(&s.id)).count();
                    let floating = world.floating.values().filter(|f| f.as_deref() == Some(&s.id)).count();
                    let what = if s.id == *id { "source" } else { "rebuild" };
                    format!("{what} {:?} {} ports={ports} volumes={volumes} floating={floating}", s.side, s.status)
                })
                .collect();
            let name = plan.snapshot_name(id);
            let images = world.images.values().filter(|i| i.name == name).count();
            summary.insert(id.clone(), format!("{} images={images}", placed.join(" + ")));
        }
        summary
    }
}

impl World {
    /// Free room on each new host, when the model counts it.
    fn room(&self) -> Option<Vec<(HostName, Load)>> {
        let capacity = self.capacity?;
        let rooms = self.new_hosts.iter().map(|host| {
            let used = Load::sum(
                self.servers
                    .values()
                    .filter(|s| s.side == Side::New && s.host == *host && s.status != "ERROR")
                    .map(|s| &s.load),
            );
            (host.clone(), capacity.less(used))
        });
        Some(rooms.collect())
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}", self.next)
    }

    fn after(&mut self, secs: u64, event: Event) {
        self.events.push((Instant::now() + Duration::from_secs(secs), event));
    }

    /// Carries out every transition that is due.
    fn run_due(&mut self) {
        let now = Instant::now();
        self.events.sort_by_key(|(at, _)| *at);
        while self.events.first().is_some_and(|(at, _)| *at <= now) {
            let (_, event) = self.events.remove(0);
            self.apply(event);
        }
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Status { id, status } => {
                if let Some(server) = self.servers.get_mut(&id) {
                    server.status = status.into();
                    server.task = None;
                    if status == "ERROR" {
                        server.fault = Some(match server.side {
                            Side::Old => "No valid host was found. There are not enough hosts available.".into(),
                            Side::New => format!("boot failed on host {}", server.host),
                        });
                    }
                }
                self.check_single_running(&id);
            }
            Event::Snapshot { image } => {
                let killed = self.fault(|f| f.snapshot_killed);
                if let Some(img) = self.images.get_mut(&image) {
                    if killed {
                        img.status = "killed".into();
                    } else {
                        img.status = "active".into();
                        img.size = Some(4096);
                        img.checksum = Some(format!("md5-{image}"));
                    }
                }
                let server = self.images.get(&image).map(|i| i.server.clone()).unwrap_or_default();
                if let Some(server) = self.servers.get_mut(&server) {
                    server.task = None;
                }
            }
            Event::Volume { id, status, attached_to } => {
                if let Some(volume) = self.volumes.get_mut(&id) {
                    volume.status = status.into();
                    volume.attached_to = attached_to;
                }
            }
            Event::Gone { id } | Event::OwnerDeletes { id } => self.remove_server(&id),
        }
    }

    /// What Nova does when a server is deleted: its own ports go with it,
    /// ports passed by id are unbound (by id: also from another server), volumes detached (a root volume with
    /// `delete_on_termination` deleted), floating addresses released.
    fn remove_server(&mut self, id: &str) {
        let Some(server) = self.servers.remove(id) else { return };
        self.ports.retain(|_, port| !(port.device_id == id && port.nova_owned));
        for (port_id, port) in self.ports.iter_mut() {
            if port.device_id == id || server.given_ports.contains(port_id) {
                port.device_id.clear();
            }
        }
        for (volume_id, volume) in self.volumes.iter_mut() {
            if volume.attached_to.as_deref() == Some(id) {
                volume.attached_to = None;
                volume.status = if server.root.as_deref() == Some(volume_id) && server.root_delete_on_termination {
                    "deleted".into()
                } else {
                    "available".into()
                };
            }
        }
        self.volumes.retain(|_, v| v.status != "deleted");
        for address in self.floating.values_mut() {
            if address.as_deref() == Some(id) {
                *address = None;
            }
        }
    }

    /// No duplicates: of a source and its rebuilds, one at most runs.
    fn check_single_running(&mut self, id: &str) {
        let Some(server) = self.servers.get(id) else { return };
        let source = server.source_of.clone().unwrap_or_else(|| id.to_string().into());
        let running = self
            .servers
            .values()
            .filter(|s| (s.id == source || s.source_of.as_deref() == Some(&source)) && s.status == "ACTIVE")
            .count();
        if running > 1 {
            self.violations.push(format!("{source} runs {running} times at once"));
        }
    }
}
