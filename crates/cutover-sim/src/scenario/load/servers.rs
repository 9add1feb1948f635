/*!
Loads a region's servers, last: each wired to its boot and attached volumes,
its Neutron ports or nova-network addresses, and its floating IPs.
*/

use super::{invalid, unknown, LoadError, Loader, Names};
use crate::model::compute::{BlockDevice, ComputeRegion, Networking, Nic, PowerState, Server, ServerPort, VmState};
use crate::model::network::FixedIp;
use crate::model::volume::VolumeAttachment;
use crate::scenario::{NicSpec, ServerSpec};

impl Loader {
    pub(super) fn server(&mut self, region_name: &str, s: &ServerSpec) -> Result<(), LoadError> {
        let ctx = format!("region {region_name}, server {}", s.name);
        let project_id = self.names.project(&s.project, &ctx)?;
        let user_id = self.names.user(&s.user, &ctx)?;
        let now = self.w.now;
        let id = self.w.new_uuid();
        let region = &self.w.compute[region_name];
        if !region.hosts.contains_key(&s.host) {
            return Err(unknown("host", &s.host, &ctx));
        }
        let flavor = flavor_id(region, s, &ctx)?;
        let group = group_id(region, s, &ctx)?;
        let key_data = key_data(region, s, &user_id, &ctx)?;
        let networking = region.networking;
        let zone = region.host_zone(&s.host);
        let mut server = Server::new(id.clone(), s.name.clone(), project_id.clone(), user_id.clone(), flavor, now);
        server.key_name = s.key_name.clone();
        server.key_data = key_data;
        server.user_data = s.user_data.as_deref().map(base64);
        server.metadata = s.metadata.clone();
        server.tags = s.tags.iter().cloned().collect();
        server.description = s.description.clone();
        server.requested_az = s.availability_zone.clone();
        server.security_groups = s.security_groups.clone();
        server.server_group = group.clone();
        server.config_drive = s.config_drive;
        server.personality = s.personality.clone();
        server.launched_at = Some(now);
        server.host = Some(s.host.clone());
        (server.vm_state, server.power_state) = states(s, &ctx)?;
        server.task_state = None;
        self.disks(s, &mut server, &ctx)?;
        for nic in &s.nics {
            let nic = match networking {
                Networking::Neutron => self.neutron_nic(&zone, &server, nic, &ctx)?,
                Networking::NovaNetwork => self.nova_network_nic(region_name, &server, nic, &ctx)?,
            };
            server.nics.push(nic);
        }
        let region = self.w.compute.get_mut(region_name).expect("region exists");
        if let Some(g) = group.and_then(|g| region.server_groups.get_mut(&g)) {
            g.members.push(id.clone());
        }
        region.insert_server(server);
        Ok(())
    }

    /// The server's root disk (an image, or a boot volume attached as
    /// `/dev/vda`) and its data volumes from `/dev/vdb` on.
    fn disks(&mut self, s: &ServerSpec, server: &mut Server, ctx: &str) -> Result<(), LoadError> {
        let id = server.id.clone();
        match (&s.image, &s.boot_volume) {
            (Some(image), None) => {
                server.image_id = Some(Names::get(&self.names.images, "image", image, ctx)?);
            }
            (None, Some(volume)) => {
                let bdm =
                    self.attach(&id, &s.host, volume, Some(0), "/dev/vda", s.boot_volume_delete_on_termination, ctx)?;
                server.block_devices.push(bdm);
            }
            _ => return Err(invalid(ctx, "give exactly one of image and boot_volume")),
        }
        for (i, v) in s.volumes.iter().enumerate() {
            let device = format!("/dev/vd{}", (b'b' + i as u8) as char);
            let bdm = self.attach(&id, &s.host, &v.volume, None, &device, v.delete_on_termination, ctx)?;
            server.block_devices.push(bdm);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn attach(
        &mut self,
        server_id: &str,
        host: &str,
        volume: &str,
        boot_index: Option<i32>,
        device: &str,
        delete_on_termination: bool,
        ctx: &str,
    ) -> Result<BlockDevice, LoadError> {
        let volume_id = Names::get(&self.names.volumes, "volume", volume, ctx)?;
        let attachment_id = self.w.new_uuid();
        let now = self.w.now;
        let v = self.w.volume.volumes.get_mut(&volume_id).expect("named volumes exist");
        if !v.attachments.is_empty() {
            return Err(invalid(ctx, format!("volume '{volume}' is already attached")));
        }
        v.status = "in-use".into();
        v.attachments.push(VolumeAttachment {
            id: attachment_id.clone(),
            server_id: server_id.into(),
            host_name: Some(host.into()),
            device: device.into(),
            attached_at: now,
        });
        Ok(BlockDevice {
            volume_id,
            boot_index,
            device_name: device.into(),
            delete_on_termination,
            tag: None,
            attachment_id,
        })
    }

    fn neutron_nic(&mut self, zone: &str, server: &Server, nic: &NicSpec, ctx: &str) -> Result<Nic, LoadError> {
        let network_id = Names::get(&self.names.networks, "network", &nic.network, ctx)?;
        let subnet = self
            .w
            .network
            .subnets
            .values()
            .find(|s| s.network_id == network_id && nic.fixed_ip.as_ref().is_none_or(|ip| s.contains(ip)))
            .ok_or_else(|| invalid(ctx, format!("network '{}' has no subnet for the address", nic.network)))?
            .id
            .clone();
        let ip = match &nic.fixed_ip {
            Some(ip) => ip.clone(),
            None => self
                .w
                .network
                .free_ip(&subnet)
                .ok_or_else(|| invalid(ctx, format!("network '{}' is full", nic.network)))?,
        };
        let mac = match &nic.mac {
            Some(m) => m.clone(),
            None => self.w.network.new_mac(&network_id, &mut self.w.rng),
        };
        let groups: Vec<String> = server
            .security_groups
            .iter()
            .map(|name| {
                self.names
                    .security_groups
                    .get(&(server.project_id.clone(), name.clone()))
                    .cloned()
                    .ok_or_else(|| unknown("security group", name, ctx))
            })
            .collect::<Result<_, _>>()?;
        let port = ServerPort {
            id: self.w.new_uuid(),
            network_id: network_id.clone(),
            project_id: &server.project_id,
            mac_address: mac.clone(),
            fixed_ips: vec![FixedIp { subnet_id: subnet, ip_address: ip.clone() }],
            server_id: &server.id,
            zone,
            host: server.host.as_deref(),
            security_groups: groups,
            now: self.w.now,
        }
        .build();
        let port_id = port.id.clone();
        self.w.network.insert_port(port).map_err(|e| invalid(ctx, e.to_string()))?;
        if let Some(address) = &nic.floating_ip {
            self.associate_floating_ip(address, &port_id, &ip, &nic.network, ctx)?;
        }
        Ok(Nic {
            port_id: Some(port_id),
            network_name: nic.network.clone(),
            network_id,
            mac_address: mac,
            fixed_ips: vec![ip],
            floating_ips: Vec::new(),
            preserve_on_delete: nic.user_port,
            tag: None,
        })
    }

    /// Associates floating IP `address` with the port, through the router
    /// joining the port's network to the external one, as Neutron does.
    fn associate_floating_ip(
        &mut self,
        address: &str,
        port_id: &str,
        ip: &str,
        network: &str,
        ctx: &str,
    ) -> Result<(), LoadError> {
        let fip = self
            .names
            .floating_ips
            .get(address)
            .and_then(|id| self.w.network.floating_ips.get_mut(id))
            .ok_or_else(|| unknown("floating IP", address, ctx))?;
        if fip.port_id.is_some() {
            return Err(invalid(ctx, format!("floating IP {address} is already associated")));
        }
        let (fip_id, network_id) = (fip.id.clone(), fip.floating_network_id.clone());
        let router_id = self.w.network.fip_router(&network_id, port_id, ip).map_err(|_| {
            invalid(
                ctx,
                format!(
                    "floating IP {address}: no router joins network '{network}' to the external network (add one under `routers:`)"
                ),
            )
        })?;
        let fip = self.w.network.floating_ips.get_mut(&fip_id).ok_or_else(|| unknown("floating IP", address, ctx))?;
        fip.port_id = Some(port_id.to_string());
        fip.fixed_ip_address = Some(ip.to_string());
        fip.router_id = Some(router_id);
        fip.status = "ACTIVE".into();
        Ok(())
    }

    fn nova_network_nic(
        &mut self,
        region_name: &str,
        server: &Server,
        nic: &NicSpec,
        ctx: &str,
    ) -> Result<Nic, LoadError> {
        let mac = nic.mac.clone().unwrap_or_else(|| {
            let b: [u8; 3] = rand::Rng::random(&mut self.w.rng);
            format!("fa:16:3e:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
        });
        let region = self.w.compute.get_mut(region_name).expect("region exists");
        let net = region
            .fixed_networks
            .values()
            .find(|n| n.label == nic.network)
            .ok_or_else(|| unknown("fixed network", &nic.network, ctx))?
            .clone();
        let ip = match &nic.fixed_ip {
            Some(ip) => ip.clone(),
            None => {
                region.free_fixed_ip(&net.id).ok_or_else(|| invalid(ctx, format!("network '{}' is full", net.label)))?
            }
        };
        let mut floating = Vec::new();
        if let Some(address) = &nic.floating_ip {
            let fip = self
                .names
                .nova_floating_ips
                .get(&(region_name.to_string(), address.clone()))
                .and_then(|id| region.floating_ips.get_mut(id))
                .ok_or_else(|| unknown("floating IP", address, ctx))?;
            fip.project_id = Some(server.project_id.clone());
            fip.instance_id = Some(server.id.clone());
            fip.fixed_ip = Some(ip.clone());
            floating.push(address.clone());
        }
        region.fixed_ips_in_use.insert(ip.clone(), server.id.clone());
        Ok(Nic {
            port_id: None,
            network_id: net.id.clone(),
            network_name: net.label.clone(),
            mac_address: mac,
            fixed_ips: vec![ip],
            floating_ips: floating,
            preserve_on_delete: false,
            tag: None,
        })
    }
}

/// Nova stores user data base64-encoded.
pub(crate) fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The server's flavor id, by id or name.
fn flavor_id(region: &ComputeRegion, s: &ServerSpec, ctx: &str) -> Result<String, LoadError> {
    Ok(region
        .flavors
        .values()
        .find(|f| f.id == s.flavor || f.name == s.flavor)
        .ok_or_else(|| unknown("flavor", &s.flavor, ctx))?
        .id
        .clone())
}

/// The id of the server's group, by name.
fn group_id(region: &ComputeRegion, s: &ServerSpec, ctx: &str) -> Result<Option<String>, LoadError> {
    match &s.server_group {
        Some(g) => Ok(Some(
            region
                .server_groups
                .values()
                .find(|sg| &sg.name == g)
                .ok_or_else(|| unknown("server group", g, ctx))?
                .id
                .clone(),
        )),
        None => Ok(None),
    }
}

/// The public key of the server's key pair, among its user's.
fn key_data(region: &ComputeRegion, s: &ServerSpec, user_id: &str, ctx: &str) -> Result<Option<String>, LoadError> {
    match &s.key_name {
        Some(k) => match region.keypairs.get(&(user_id.to_string(), k.clone())) {
            Some(pair) => Ok(Some(pair.public_key.clone())),
            None => Err(unknown("keypair", k, ctx)),
        },
        None => Ok(None),
    }
}

/// The VM and power states of the scenario's `status`.
fn states(s: &ServerSpec, ctx: &str) -> Result<(VmState, PowerState), LoadError> {
    match s.status.as_str() {
        "ACTIVE" => Ok((VmState::Active, PowerState::Running)),
        "SHUTOFF" => Ok((VmState::Stopped, PowerState::Shutdown)),
        "ERROR" => Ok((VmState::Error, PowerState::NoState)),
        other => Err(invalid(ctx, format!("status '{other}' is not ACTIVE, SHUTOFF or ERROR"))),
    }
}
