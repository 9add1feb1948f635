//! The model as a [`Driver`]: observations answered from the world (one
//! call for any number of servers), actions checked and carried out over
//! time as the clouds would, faults injected as asked.

use std::future::pending;

use super::*;

fn refused(message: impl Into<String>) -> DriverError {
    DriverError::refused(message)
}

fn busy(message: impl Into<String>) -> DriverError {
    DriverError::temporary(message)
}

// The model speaks the APIs' spellings, as a cloud does; the views parse them
// as the cloud client would.
fn view(server: &Srv) -> ServerView {
    ServerView {
        id: server.id.clone(),
        status: server.status.parse().expect("a Nova status"),
        task_state: server.task.clone(),
        fault: server.fault.clone(),
        tags: None,
    }
}

#[async_trait]
impl Driver for Model {
    async fn observe(
        &self,
        plan: &Plan,
        servers: &[&ServerPlan],
    ) -> Result<BTreeMap<ServerId, Observation>, DriverError> {
        let mut world = self.world();
        world.run_due();
        world.counters.observes += 1;
        // One request answers it, as the engine's meter should see.
        cutover_cloud::meter::count(1);
        world.counters.observed_servers += servers.len() as u64;
        if world.fault(|f| f.observe_fails) {
            return Err(busy("503 Service Unavailable"));
        }
        let mut answer = BTreeMap::new();
        for planned in servers {
            if world.fault(|f| f.server_unobserved) {
                continue;
            }
            let observation = world.observe(plan, planned);
            answer.insert(planned.server.id.clone(), observation);
        }
        Ok(answer)
    }

    async fn execute(&self, plan: &Plan, server: &ServerPlan, action: &Action) -> Result<(), DriverError> {
        let (result, crash) = {
            let mut world = self.world();
            world.run_due();
            world.counters.executes += 1;
            cutover_cloud::meter::count(1);
            let n = world.counters.executes;
            world.calls.push(CallRecord {
                source: server.server.id.clone(),
                host: server.server.host.clone(),
                project: server.server.project_id.clone(),
            });
            if world.fault(|f| f.call_fails) {
                return Err(busy("503 Service Unavailable"));
            }
            let result = world.carry_out(plan, server, action);
            let lost = world.fault(|f| f.reply_lost);
            let crash = world.crash_at_call == Some(n);
            if crash {
                world.crash_at_call = None;
            }
            match result {
                Ok(()) if lost => (Err(busy("timed out waiting for the reply")), crash),
                result => (result, crash),
            }
        };
        if crash {
            self.crashed.notify_one();
            return pending().await;
        }
        result
    }

    async fn disable_host(&self, _plan: &Plan, host: &HostName, reason: &str) -> Result<(), DriverError> {
        let mut world = self.world();
        if world.fault(|f| f.call_fails) {
            return Err(busy("503 Service Unavailable"));
        }
        assert!(reason.contains("cutover migration"), "the reason names the migration: {reason}");
        world.disabled.insert(host.to_string().into());
        world.host_events.push(format!("disable {host}"));
        Ok(())
    }

    async fn enable_host(&self, _plan: &Plan, host: &HostName) -> Result<(), DriverError> {
        let mut world = self.world();
        if world.fault(|f| f.call_fails) {
            return Err(busy("503 Service Unavailable"));
        }
        world.disabled.remove(host);
        world.host_events.push(format!("enable {host}"));
        Ok(())
    }

    async fn observe_hosts(
        &self,
        _plan: &Plan,
        hosts: &[&HostName],
    ) -> Result<BTreeMap<HostName, HostObservation>, DriverError> {
        let mut world = self.world();
        world.run_due();
        if world.fault(|f| f.observe_fails) {
            return Err(busy("503 Service Unavailable"));
        }
        let mut seen = BTreeMap::new();
        for &host in hosts {
            let on_host: Vec<&Srv> =
                world.servers.values().filter(|s| s.side == Side::Old && s.host == *host).collect();
            let listed = on_host.len() as u32;
            let busy = on_host.iter().filter(|s| s.task.is_some()).count() as u32;
            let joined = world.new_hosts.iter().any(|h| h == host);
            let obs = HostObservation {
                old_service: match world.retired.contains(host) {
                    true => Seen::Absent,
                    false => Seen::Present(ServiceView {
                        enabled: !world.disabled.contains(host),
                        up: true,
                        disabled_reason: None,
                    }),
                },
                listed_servers: Seen::Present(listed),
                busy_servers: Seen::Present(busy),
                running_vms: Seen::Present(listed),
                new_service: match joined {
                    true => Seen::Present(ServiceView { enabled: true, up: true, disabled_reason: None }),
                    false => Seen::Absent,
                },
                new_hypervisor: Seen::Present(joined),
                // The model's hosts are in no aggregate.
                old_aggregates: Seen::Present(Default::default()),
                new_aggregates: Seen::Present(Default::default()),
                ..HostObservation::default()
            };
            seen.insert(host.clone(), obs);
        }
        Ok(seen)
    }

    async fn join_aggregates(&self, _plan: &Plan, host: &HostName, aggregates: &[String]) -> Result<(), DriverError> {
        Err(refused(format!("the model has no aggregate {aggregates:?} for {host}")))
    }

    async fn set_new_host(&self, _plan: &Plan, host: &HostName, _reason: Option<&str>) -> Result<(), DriverError> {
        Err(refused(format!("the model never disables new host {host}")))
    }

    async fn delete_old_service(&self, _plan: &Plan, host: &HostName) -> Result<(), DriverError> {
        let mut world = self.world();
        if world.fault(|f| f.call_fails) {
            return Err(busy("503 Service Unavailable"));
        }
        world.retired.insert(host.to_string().into());
        world.host_events.push(format!("delete {host}"));
        Ok(())
    }

    async fn new_region(&self, _plan: &Plan) -> Result<NewRegion, DriverError> {
        let mut world = self.world();
        world.run_due();
        if world.fault(|f| f.call_fails) {
            return Err(busy("503 Service Unavailable"));
        }
        let room = world.room().map(|rooms| {
            Room::new(rooms.into_iter().map(|(host, free)| HostRoom { host, zone: "nova".into(), free }).collect())
        });
        Ok(NewRegion { hosts: world.new_hosts.len(), enabled: world.new_hosts.iter().cloned().collect(), room })
    }
}

impl World {
    /// Whether the fault `pick` names strikes this time.
    pub(super) fn fault(&mut self, pick: fn(&Faults) -> f64) -> bool {
        let p = pick(&self.faults);
        p > 0.0 && self.rng.random_bool(p.min(1.0))
    }

    fn rebuilds<'a>(&'a self, side: Side, source: &'a str) -> impl Iterator<Item = &'a Srv> + 'a {
        self.servers.values().filter(move |s| s.side == side && s.source_of.as_deref() == Some(source))
    }

    fn observe(&mut self, plan: &Plan, planned: &ServerPlan) -> Observation {
        let mv = plan.server_move(planned);
        let seen = |s: Option<&Srv>| s.map_or(Seen::Absent, |s| Seen::Present(view(s)));
        if self.rebuilds(Side::New, &mv.source).count() > 1 {
            self.violations.push(format!("{} has two rebuilds in the new region", mv.source));
        }
        let target = seen(self.rebuilds(Side::New, &mv.source).next());
        let restored = seen(self.rebuilds(Side::Old, &mv.source).next());
        let source = self.servers.get(&mv.source).filter(|s| s.side == Side::Old);
        let image = |name: &str| {
            self.images.values().find(|i| i.name == name).map_or(Seen::Absent, |i| {
                Seen::Present(ImageView {
                    id: i.id.clone(),
                    status: i.status.parse().expect("a Glance status"),
                    size: i.size,
                    checksum: i.checksum.clone(),
                })
            })
        };
        let root = |s: Option<&Srv>| match s {
            Some(s) if s.root.is_some() => Seen::Present(s.root_delete_on_termination),
            _ => Seen::Unknown,
        };
        let target_root = root(self.rebuilds(Side::New, &mv.source).next());
        Observation {
            refused: None,
            source: seen(source),
            target,
            restored,
            image: image(&mv.snapshot_name),
            back_image: image(&mv.back_snapshot_name()),
            root_delete_on_termination: root(source),
            target_root_delete_on_termination: target_root,
            // Only root volumes carry the flag in the model.
            delete_on_termination: self
                .servers
                .values()
                .filter(|s| s.id == mv.source || s.source_of.as_deref() == Some(mv.source.as_str()))
                .map(|s| {
                    let flags = s.root.iter().map(|root| (root.clone(), Some(s.root_delete_on_termination))).collect();
                    (s.id.clone(), flags)
                })
                .collect(),
            volumes: mv
                .root_volume
                .iter()
                .chain(&mv.data_volumes)
                .filter_map(|id| {
                    let v = self.volumes.get(id)?;
                    Some((
                        id.clone(),
                        VolumeView {
                            status: v.status.parse().expect("a Cinder status"),
                            attached_to: v.attached_to.iter().cloned().collect(),
                        },
                    ))
                })
                .collect(),
            ports: mv
                .ports
                .iter()
                .filter_map(|id| Some((id.clone(), PortView { device_id: self.ports.get(id)?.device_id.clone() })))
                .collect(),
            floating_ips: mv
                .floating_addresses
                .iter()
                .filter_map(|a| Some((a.clone(), self.floating.get(a)?.clone())))
                .collect(),
        }
    }

    fn server(&mut self, id: &str) -> Result<&mut Srv, DriverError> {
        self.servers.get_mut(id).ok_or_else(|| refused(format!("404 server {id} not found")))
    }

    fn carry_out(&mut self, plan: &Plan, planned: &ServerPlan, action: &Action) -> Result<(), DriverError> {
        let mv = plan.server_move(planned);
        match action {
            Action::StopServer { server, .. } | Action::StartServer { server, .. } => {
                let (from, to, task) = match action {
                    Action::StopServer { .. } => ("ACTIVE", "SHUTOFF", "powering-off"),
                    _ => ("SHUTOFF", "ACTIVE", "powering-on"),
                };
                let s = self.server(server)?;
                if s.status == to && s.task.is_none() {
                    return Ok(());
                }
                if s.task.is_some() || s.status != from {
                    return Err(busy(format!("409 server {server} is {} ({:?})", s.status, s.task)));
                }
                s.task = Some(task.into());
                self.after(STOP, Event::Status { id: server.clone(), status: to });
            }
            Action::CreateImage { server, name, .. } => {
                if self.images.values().any(|i| i.name == *name && i.status != "killed") {
                    return Ok(());
                }
                let s = self.server(server)?;
                if s.task.is_some() {
                    return Err(busy(format!("409 server {server} is busy")));
                }
                s.task = Some("image_uploading".into());
                let host = s.host.clone();
                let id = self.id("img");
                let image = Img {
                    id: id.clone().into(),
                    name: name.clone(),
                    status: "saving".into(),
                    size: None,
                    checksum: None,
                    server: server.clone(),
                    host: host.clone(),
                };
                self.images.insert(id.clone().into(), image);
                let saving = self.images.values().filter(|i| i.host == host && i.status == "saving").count();
                self.counters.max_snapshots_per_host = self.counters.max_snapshots_per_host.max(saving);
                self.after(SNAPSHOT, Event::Snapshot { image: id.into() });
            }
            Action::DeleteImage { image } => {
                self.images.remove(image);
            }
            Action::KeepRootVolume { server, .. } => self.server(server)?.root_delete_on_termination = false,
            Action::DeleteWithServer { server, volume, .. } => {
                let s = self.server(server)?;
                if s.root.as_ref() != Some(volume) {
                    return Err(refused(format!("400 volume {volume} is not attached to {server}")));
                }
                s.root_delete_on_termination = true;
            }
            Action::DetachVolume { server, volume, .. } => {
                let v = self.volumes.get_mut(volume).ok_or_else(|| refused(format!("404 volume {volume}")))?;
                if v.attached_to.as_deref() != Some(server) {
                    return Ok(());
                }
                if v.status != "in-use" {
                    return Err(busy(format!("409 volume {volume} is {}", v.status)));
                }
                v.status = "detaching".into();
                self.after(VOLUME, Event::Volume { id: volume.clone(), status: "available", attached_to: None });
            }
            Action::AttachVolume { server, volume, .. } => {
                let ready = self.servers.get(server).is_some_and(|s| s.task.is_none() && s.status != "BUILD");
                let v = self.volumes.get_mut(volume).ok_or_else(|| refused(format!("404 volume {volume}")))?;
                if v.attached_to.as_deref() == Some(server) {
                    return Ok(());
                }
                if v.status != "available" || !ready {
                    return Err(busy(format!("409 volume {volume} is {}", v.status)));
                }
                v.status = "attaching".into();
                let attached_to = Some(server.clone());
                self.after(VOLUME, Event::Volume { id: volume.clone(), status: "in-use", attached_to });
            }
            Action::ReleasePort { port } => self.port(port)?.device_id.clear(),
            Action::ClaimPort { port, server, .. } => self.port(port)?.device_id = server.clone().into(),
            Action::DeleteServer { side, server } => {
                if *side == Side::Old && *server == mv.source {
                    self.check_copy(plan, planned);
                }
                if *side == Side::New {
                    self.check_rebuild_copy(plan, planned, server);
                }
                let Some(s) = self.servers.get_mut(server) else { return Ok(()) };
                if s.task.as_deref() != Some("deleting") {
                    s.task = Some("deleting".into());
                    self.after(DELETE, Event::Gone { id: server.clone() });
                }
            }
            Action::BootServer { side, source } => self.boot(planned, *side, source)?,
            // The model shows no tags (a region below 2.26): never asked.
            Action::SetTags { .. } => return Err(refused("404 tags below 2.26")),
            Action::AddFloatingIp { server, address, .. } => {
                let holder = self.floating.get(address).ok_or_else(|| refused(format!("404 address {address}")))?;
                if let Some(other) = holder.clone().filter(|o| o != server && self.servers.contains_key(o)) {
                    return Err(refused(format!("409 address {address} is on {other}")));
                }
                self.floating.insert(address.clone(), Some(server.clone()));
            }
        }
        Ok(())
    }

    fn port(&mut self, id: &str) -> Result<&mut Port, DriverError> {
        self.ports.get_mut(id).ok_or_else(|| refused(format!("404 port {id}")))
    }

    /// Boots the rebuild, unless an earlier attempt already did (the real
    /// driver finds it by its `cutover_source` metadata).
    fn boot(&mut self, planned: &ServerPlan, side: Side, source: &BootSource) -> Result<(), DriverError> {
        let record = &planned.server;
        if self.rebuilds(side, &record.id).next().is_some() {
            return Ok(());
        }
        let root = match source {
            BootSource::Image { id } => {
                let original = record.image_id.as_deref() == Some(id.as_str());
                if !original && self.images.get(id).is_none_or(|i| i.status != "active") {
                    return Err(refused(format!("400 image {id} is not active")));
                }
                None
            }
            BootSource::Volume { id } => {
                let status = self.volumes.get(id).map_or("missing", |v| v.status.as_str());
                if status != "available" {
                    return Err(busy(format!("400 volume {id} is {status}")));
                }
                Some(id.clone())
            }
        };
        for port in &record.ports {
            if self.ports.get(&port.id).is_none_or(|p| !p.device_id.is_empty()) {
                return Err(busy(format!("409 port {} is in use", port.id)));
            }
        }
        let load = planned.needs.unwrap_or_default();
        let host = match (side, self.room()) {
            // The scheduler: the host with room and the most free RAM.
            (Side::New, Some(rooms)) => {
                let fits = rooms.into_iter().filter(|(_, free)| load.fits_in(free));
                match fits.max_by_key(|(_, free)| free.ram_mib) {
                    Some((host, _)) => host,
                    None => {
                        self.counters.no_valid_host += 1;
                        HostName::default()
                    }
                }
            }
            (Side::New, None) => {
                self.placed += 1;
                self.new_hosts[self.placed % self.new_hosts.len()].clone()
            }
            (Side::Old, _) => record.host.clone(),
        };
        let id = self.id("srv");
        for port in &record.ports {
            self.ports.insert(port.id.clone(), Port { device_id: id.clone(), nova_owned: false });
        }
        if let Some(volume) = &root {
            self.volumes.insert(volume.clone(), Vol { status: "in-use".into(), attached_to: Some(id.clone().into()) });
        }
        // Nova's scheduler takes no disabled host, even a forced one.
        let no_host = side == Side::Old && self.disabled.contains(&host) || host.is_empty();
        let fails = no_host || side == Side::New && self.faults.bad_new_host.as_deref() == Some(host.as_str());
        self.servers.insert(
            id.clone().into(),
            Srv {
                id: id.clone().into(),
                side,
                host,
                status: "BUILD".into(),
                task: Some("spawning".into()),
                fault: None,
                source_of: Some(record.id.clone()),
                root,
                root_delete_on_termination: false,
                load,
                given_ports: record.ports.iter().map(|p| p.id.clone()).collect(),
            },
        );
        let builds = self.servers.values().filter(|s| s.side == Side::New && s.status == "BUILD").count();
        self.counters.max_new_builds = self.counters.max_new_builds.max(builds);
        self.after(BOOT, Event::Status { id: id.into(), status: if fails { "ERROR" } else { "ACTIVE" } });
        Ok(())
    }

    /// No data loss going back: a rebuild in the new region goes only
    /// while the server is still in the old region or a copy of its disk
    /// exists (a verified snapshot, the root volume it keeps).
    fn check_rebuild_copy(&mut self, plan: &Plan, planned: &ServerPlan, id: &str) {
        let mv = plan.server_move(planned);
        let in_old = self.servers.contains_key(&mv.source)
            || self.rebuilds(Side::Old, &mv.source).any(|s| s.status == "ACTIVE" || s.status == "SHUTOFF");
        let names = [mv.snapshot_name.clone(), mv.back_snapshot_name()];
        let copy = match mv.strategy {
            Strategy::Snapshot => {
                self.images.values().any(|i| names.contains(&i.name) && i.status == "active" && i.checksum.is_some())
            }
            Strategy::Volume => self.servers.get(id).is_some_and(|s| !s.root_delete_on_termination),
            Strategy::Redeploy | Strategy::Wait => false,
        };
        if !in_old && !copy {
            self.violations.push(format!("rebuild {id} of {} deleted without a copy", mv.source));
        }
    }

    /// No data loss: the source goes only once its copy exists and
    /// nothing attached to it goes with it.
    fn check_copy(&mut self, plan: &Plan, planned: &ServerPlan) {
        let mv = plan.server_move(planned);
        let copy = match mv.strategy {
            Strategy::Snapshot => {
                self.images.values().any(|i| i.name == mv.snapshot_name && i.status == "active" && i.checksum.is_some())
            }
            Strategy::Volume => self.servers.get(&mv.source).is_some_and(|s| !s.root_delete_on_termination),
            Strategy::Redeploy => {
                self.rebuilds(Side::New, &mv.source).any(|s| s.status == "ACTIVE" || s.status == "SHUTOFF")
            }
            Strategy::Wait => false,
        };
        let attached = mv
            .data_volumes
            .iter()
            .any(|v| self.volumes.get(v).is_some_and(|v| v.attached_to.as_deref() == Some(&mv.source)))
            || mv.ports.iter().any(|p| self.ports.get(p).is_some_and(|p| p.device_id == mv.source));
        if !copy || attached {
            self.violations
                .push(format!("{} deleted without its copy (copy: {copy}, still attached: {attached})", mv.source));
        }
    }
}
