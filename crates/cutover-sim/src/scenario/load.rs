/*!
Turns a [`Scenario`] into a [`World`]: identity and catalog first, then each
Nova region, the shared Glance/Neutron/Cinder records, and finally the
servers with their ports, volumes and floating IPs wired together.
*/

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::*;
use crate::model::compute::{
    Aggregate, BlockDevice, ComputeRegion, ComputeService, FixedNetwork, Flavor, Host, Keypair, Microversion, Nic,
    PowerState, Server, ServerGroup, ServerPort, VmState,
};
use crate::model::identity::{Domain, Endpoint, Project, Region, Role, Scope, Service, User};
use crate::model::image::{synthetic_data, Image, ImageStatus};
use crate::model::network::{ipv4, parse_cidr, FixedIp, FloatingIp, Network, SecurityGroup, SecurityGroupRule, Subnet};
use crate::model::volume::{Volume, VolumeAttachment, VolumeType};
use crate::model::World;
use crate::service::{urls, ServiceKind};

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

    fn identity(&mut self, s: &Scenario) -> Result<(), LoadError> {
        let mut domains = vec![DomainSpec { name: "Default".into(), id: Some("default".into()) }];
        domains.extend(s.domains.iter().filter(|d| d.name != "Default").cloned());
        for d in &domains {
            let id = self.id_or_new(&d.id);
            self.names.domains.insert(d.name.clone(), id.clone());
            let domain = Domain { id: id.clone(), name: d.name.clone(), description: String::new(), enabled: true };
            self.w.identity.domains.insert(id, domain);
        }
        let mut roles: Vec<String> = ["admin", "member", "reader", "service"].map(String::from).to_vec();
        roles.extend(s.roles.iter().cloned());
        for name in roles.into_iter().collect::<BTreeSet<_>>() {
            let id = self.w.new_hex_id();
            self.w.identity.roles.insert(id.clone(), Role { id, name });
        }
        let mut projects = s.projects.clone();
        for required in ["admin", "service"] {
            if !projects.iter().any(|p| p.name == required) {
                projects.push(ProjectSpec {
                    name: required.into(),
                    id: None,
                    domain: default_domain(),
                    description: String::new(),
                });
            }
        }
        for p in &projects {
            let domain_id = Names::get(&self.names.domains, "domain", &p.domain, &format!("project {}", p.name))?;
            let id = self.id_or_new(&p.id);
            self.names.projects.insert(p.name.clone(), id.clone());
            let project = Project {
                id: id.clone(),
                name: p.name.clone(),
                domain_id,
                description: p.description.clone(),
                enabled: true,
            };
            self.w.identity.projects.insert(id, project);
        }
        for u in &s.users {
            let ctx = format!("user {}", u.name);
            let domain_id = Names::get(&self.names.domains, "domain", &u.domain, &ctx)?;
            let id = self.id_or_new(&u.id);
            self.names.users.insert(u.name.clone(), id.clone());
            let default_project_id = u.project.as_deref().map(|p| self.names.project(p, &ctx)).transpose()?;
            let user = User {
                id: id.clone(),
                name: u.name.clone(),
                domain_id,
                password: u.password.clone(),
                enabled: true,
                email: None,
                default_project_id,
            };
            self.w.identity.users.insert(id.clone(), user);
            for (project, roles) in &u.roles {
                let project_id = self.names.project(project, &ctx)?;
                for role in roles {
                    let role_id = self
                        .w
                        .identity
                        .role_by_name(role)
                        .map(|r| r.id.clone())
                        .ok_or_else(|| unknown("role", role, &ctx))?;
                    self.w.identity.assign(&id, &role_id, Scope::Project(project_id.clone()));
                }
            }
        }
        Ok(())
    }

    /// Keystone's catalog: identity, image and block storage in every
    /// region, compute per region at its own URL, network where Neutron is.
    fn catalog(&mut self, s: &Scenario) {
        let base = self.w.base_url.clone();
        let service = |w: &mut World, kind: &str, name: &str| {
            let id = w.new_hex_id();
            let svc = Service {
                id: id.clone(),
                kind: kind.into(),
                name: name.into(),
                description: String::new(),
                enabled: true,
            };
            w.identity.services.insert(id.clone(), svc);
            id
        };
        let identity = service(&mut self.w, "identity", "keystone");
        let compute = service(&mut self.w, "compute", "nova");
        let image = service(&mut self.w, "image", "glance");
        let network = service(&mut self.w, "network", "neutron");
        let block = service(&mut self.w, ServiceKind::Volume.catalog_entry().0, "cinder");
        let volumev3 = service(&mut self.w, "volumev3", "cinderv3");
        for region in &s.regions {
            let r = region.name.clone();
            self.w
                .identity
                .regions
                .insert(r.clone(), Region { id: r.clone(), description: String::new(), parent_region_id: None });
            let mut entries = vec![
                (identity.clone(), urls::identity(&base)),
                (compute.clone(), urls::compute(&base, &r)),
                (image.clone(), urls::image(&base)),
                (block.clone(), urls::volume(&base)),
                (volumev3.clone(), urls::volume(&base)),
            ];
            if region.networking == Networking::Neutron {
                entries.push((network.clone(), urls::network(&base)));
            }
            for (service_id, url) in entries {
                for interface in ["public", "internal", "admin"] {
                    let id = self.w.new_hex_id();
                    let e = Endpoint {
                        id: id.clone(),
                        service_id: service_id.clone(),
                        region_id: Some(r.clone()),
                        interface: interface.into(),
                        url: url.clone(),
                        enabled: true,
                    };
                    self.w.identity.endpoints.insert(id, e);
                }
            }
        }
    }

    fn region(&mut self, spec: &RegionSpec) -> Result<(), LoadError> {
        let ctx = format!("region {}", spec.name);
        let max = Microversion::parse(&spec.max_microversion)
            .ok_or_else(|| invalid(&ctx, format!("max_microversion '{}' is not like 2.53", spec.max_microversion)))?;
        let mut region = ComputeRegion {
            name: spec.name.clone(),
            networking: spec.networking,
            min_version: Some(Microversion::new(2, 1)),
            max_version: Some(max),
            default_az: spec.default_az.clone(),
            quota_defaults: spec.quota_defaults.clone().unwrap_or_default(),
            failing_hosts: spec.failing_hosts.iter().cloned().collect(),
            ..ComputeRegion::default()
        };
        let now = self.w.now;
        for binary in &spec.control_services {
            let id = region.next_int_id();
            let svc = ComputeService {
                id,
                uuid: self.w.new_uuid(),
                binary: binary.clone(),
                host: "controller".into(),
                zone: "internal".into(),
                disabled: false,
                disabled_reason: None,
                up: true,
                forced_down: false,
                updated_at: now,
            };
            region.services.insert(id, svc);
        }
        for (i, h) in spec.hosts.iter().enumerate() {
            if region.hosts.contains_key(&h.name) {
                return Err(invalid(&ctx, format!("host '{}' listed twice", h.name)));
            }
            let id = region.next_int_id();
            let host = Host {
                name: h.name.clone(),
                hypervisor_id: id,
                hypervisor_uuid: self.w.new_uuid(),
                vcpus: h.vcpus,
                memory_mb: h.memory_mb,
                local_gb: h.disk_gb,
                host_ip: ipv4(0x0a00_0000 + i as u32 + 10),
                availability_zone: None,
            };
            let svc = ComputeService {
                id,
                uuid: self.w.new_uuid(),
                binary: "nova-compute".into(),
                host: h.name.clone(),
                zone: spec.default_az.clone(),
                disabled: h.disabled,
                disabled_reason: h.disabled_reason.clone(),
                up: !h.down,
                forced_down: false,
                updated_at: now,
            };
            region.hosts.insert(h.name.clone(), host);
            region.services.insert(id, svc);
        }
        for a in &spec.aggregates {
            if let Some(h) = a.hosts.iter().find(|h| !region.hosts.contains_key(*h)) {
                return Err(unknown("host", h, format!("{ctx}, aggregate {}", a.name)));
            }
            let id = region.next_int_id();
            let mut metadata = a.metadata.clone();
            if let Some(az) = &a.availability_zone {
                metadata.insert("availability_zone".into(), az.clone());
            }
            let agg = Aggregate {
                id,
                uuid: self.w.new_uuid(),
                name: a.name.clone(),
                availability_zone: a.availability_zone.clone(),
                hosts: a.hosts.iter().cloned().collect(),
                metadata,
                created_at: now,
                updated_at: None,
            };
            region.aggregates.insert(id, agg);
        }
        let zones: Vec<(String, String)> = region.hosts.keys().map(|h| (h.clone(), region.host_zone(h))).collect();
        for (host, zone) in zones {
            if let Some(svc) = region.services.values_mut().find(|s| s.host == host) {
                svc.zone = zone.clone();
            }
            if let Some(h) = region.hosts.get_mut(&host) {
                h.availability_zone = Some(zone);
            }
        }
        for f in &spec.flavors {
            let access = f.access.iter().map(|p| self.names.project(p, &ctx)).collect::<Result<_, _>>()?;
            let flavor = Flavor {
                id: f.id.clone(),
                name: f.name.clone(),
                vcpus: f.vcpus,
                ram_mb: f.ram_mb,
                disk_gb: f.disk_gb,
                ephemeral_gb: f.ephemeral_gb,
                swap_mb: f.swap_mb,
                rxtx_factor: 1.0,
                is_public: f.is_public,
                disabled: false,
                description: f.description.clone(),
                extra_specs: f.extra_specs.clone(),
                access,
            };
            region.flavors.insert(f.id.clone(), flavor);
        }
        for k in &spec.keypairs {
            let user_id = self.names.user(&k.user, &ctx)?;
            let id = region.next_int_id();
            let kp = Keypair {
                name: k.name.clone(),
                user_id: user_id.clone(),
                fingerprint: fingerprint(&k.public_key),
                public_key: k.public_key.clone(),
                kind: "ssh".into(),
                created_at: now,
                id,
            };
            region.keypairs.insert((user_id, k.name.clone()), kp);
        }
        for (project, quota) in &spec.quotas {
            region.quotas.insert(self.names.project(project, &ctx)?, quota.clone());
        }
        for g in &spec.server_groups {
            let group = ServerGroup {
                id: self.w.new_uuid(),
                name: g.name.clone(),
                project_id: self.names.project(&g.project, &ctx)?,
                user_id: self.names.user(&g.user, &ctx)?,
                policy: g.policy.clone(),
                rules: BTreeMap::new(),
                members: Vec::new(),
            };
            region.server_groups.insert(group.id.clone(), group);
        }
        for n in &spec.fixed_networks {
            let (first, _, _) = parse_cidr(&n.cidr).ok_or_else(|| invalid(&ctx, format!("bad CIDR '{}'", n.cidr)))?;
            let net = FixedNetwork {
                id: self.w.new_uuid(),
                label: n.label.clone(),
                cidr: n.cidr.clone(),
                gateway: ipv4(first + 1),
                project_id: n.project.as_deref().map(|p| self.names.project(p, &ctx)).transpose()?,
            };
            region.fixed_networks.insert(net.id.clone(), net);
        }
        for pool in &spec.floating_ip_pools {
            let addresses = crate::model::compute::floating_range(&pool.ip_range)
                .map_err(|e| invalid(&ctx, format!("bad ip_range '{}': {e}", pool.ip_range)))?;
            region
                .add_floating_ips(&addresses, &pool.name, &pool.interface)
                .map_err(|a| invalid(&ctx, format!("floating IP {a} is in two pools")))?;
        }
        for fip in region.floating_ips.values() {
            self.names.nova_floating_ips.insert((spec.name.clone(), fip.address.clone()), fip.id);
        }
        if self.w.compute.insert(spec.name.clone(), region).is_some() {
            return Err(invalid(ctx, "region listed twice"));
        }
        Ok(())
    }

    fn network(&mut self, s: &Scenario) -> Result<(), LoadError> {
        let now = self.w.now;
        let admin = self.names.project("admin", "networks")?;
        for n in &s.networks {
            let ctx = format!("network {}", n.name);
            let project_id =
                n.project.as_deref().map(|p| self.names.project(p, &ctx)).transpose()?.unwrap_or(admin.clone());
            let net = Network {
                id: self.w.new_uuid(),
                name: n.name.clone(),
                project_id: project_id.clone(),
                shared: n.shared,
                external: n.external,
                admin_state_up: true,
                mtu: 1500,
                provider_network_type: Some(
                    if n.external || n.physical_network.is_some() { "flat" } else { "vxlan" }.into(),
                ),
                provider_physical_network: n.physical_network.clone().or_else(|| n.external.then(|| "public".into())),
                provider_segmentation_id: None,
                description: String::new(),
                availability_zones: vec!["nova".into()],
                created_at: now,
                updated_at: now,
                revision_number: 1,
            };
            for sn in &n.subnets {
                let (first, _, _) =
                    parse_cidr(&sn.cidr).ok_or_else(|| invalid(&ctx, format!("bad CIDR '{}'", sn.cidr)))?;
                let gateway_ip = sn.gateway_ip.clone().unwrap_or_else(|| ipv4(first + 1));
                let subnet = Subnet {
                    id: self.w.new_uuid(),
                    name: sn.name.clone(),
                    network_id: net.id.clone(),
                    project_id: project_id.clone(),
                    cidr: sn.cidr.clone(),
                    ip_version: 4,
                    allocation_pools: Subnet::default_pool(&sn.cidr, Some(&gateway_ip)),
                    gateway_ip: Some(gateway_ip),
                    enable_dhcp: true,
                    dns_nameservers: Vec::new(),
                    description: String::new(),
                    created_at: now,
                    updated_at: now,
                    revision_number: 0,
                };
                self.w.network.subnets.insert(subnet.id.clone(), subnet);
            }
            self.names.networks.insert(n.name.clone(), net.id.clone());
            self.w.network.networks.insert(net.id.clone(), net);
        }
        let projects: Vec<String> = self.w.identity.projects.keys().cloned().collect();
        for project in projects {
            self.security_group(&project, "default", "Default security group", &[]);
        }
        for g in &s.security_groups {
            let project = self.names.project(&g.project, &format!("security group {}", g.name))?;
            self.security_group(&project, &g.name, &g.description, &g.tcp_ports);
        }
        for f in &s.floating_ips {
            let ctx = format!("floating IP {}", f.address);
            let network_id = Names::get(&self.names.networks, "network", &f.network, &ctx)?;
            let fip = FloatingIp {
                id: self.w.new_uuid(),
                floating_ip_address: f.address.clone(),
                floating_network_id: network_id,
                project_id: self.names.project(&f.project, &ctx)?,
                port_id: None,
                fixed_ip_address: None,
                router_id: None,
                status: "DOWN".into(),
                description: String::new(),
                created_at: now,
                updated_at: now,
                revision_number: 0,
            };
            self.names.floating_ips.insert(fip.floating_ip_address.clone(), fip.id.clone());
            self.w.network.insert_floating_ip(fip);
        }
        Ok(())
    }

    fn security_group(&mut self, project_id: &str, name: &str, description: &str, tcp_ports: &[u16]) {
        let now = self.w.now;
        let id = self.w.new_uuid();
        let mut rules = Vec::new();
        let mut rule = |w: &mut World, direction: &str, port: Option<u16>, remote_group: Option<String>| {
            rules.push(SecurityGroupRule {
                id: w.new_uuid(),
                security_group_id: id.clone(),
                project_id: project_id.to_string(),
                direction: direction.into(),
                ethertype: "IPv4".into(),
                protocol: port.map(|_| "tcp".into()),
                port_range_min: port,
                port_range_max: port,
                remote_ip_prefix: port.map(|_| "0.0.0.0/0".into()),
                remote_group_id: remote_group,
                description: String::new(),
            });
        };
        rule(&mut self.w, "egress", None, None);
        if name == "default" {
            rule(&mut self.w, "ingress", None, Some(id.clone()));
        }
        for p in tcp_ports {
            rule(&mut self.w, "ingress", Some(*p), None);
        }
        let group = SecurityGroup {
            id: id.clone(),
            name: name.into(),
            project_id: project_id.into(),
            description: description.into(),
            stateful: true,
            rules,
            created_at: now,
            updated_at: now,
            revision_number: 1,
        };
        self.names.security_groups.insert((project_id.to_string(), name.to_string()), id.clone());
        self.w.network.security_groups.insert(id, group);
    }

    fn images(&mut self, s: &Scenario) -> Result<(), LoadError> {
        let admin = self.names.project("admin", "images")?;
        for i in &s.images {
            let ctx = format!("image {}", i.name);
            let owner = i.owner.as_deref().map(|p| self.names.project(p, &ctx)).transpose()?.unwrap_or(admin.clone());
            let id = i.id.clone().unwrap_or_else(|| self.w.new_uuid());
            let mut image = Image::new(id.clone(), Some(i.name.clone()), Some(owner), self.w.now);
            image.visibility = i.visibility.clone();
            image.disk_format = Some(i.disk_format.clone());
            image.container_format = Some(i.container_format.clone());
            image.min_disk = i.min_disk;
            image.min_ram = i.min_ram;
            image.properties = i.properties.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
            image.set_data(synthetic_data(&id, i.size as usize));
            image.virtual_size = image.size;
            image.status = ImageStatus::Active;
            self.names.images.insert(i.name.clone(), id.clone());
            self.w.image.images.insert(id, image);
        }
        Ok(())
    }

    fn volumes(&mut self, s: &Scenario) -> Result<(), LoadError> {
        let mut types = vec![VolumeTypeSpec { name: "__DEFAULT__".into(), extra_specs: BTreeMap::new() }];
        types.extend(s.volume_types.iter().cloned());
        for t in types {
            let vt = VolumeType {
                id: self.w.new_uuid(),
                name: t.name,
                description: None,
                is_public: true,
                extra_specs: t.extra_specs,
            };
            self.w.volume.types.insert(vt.id.clone(), vt);
        }
        for v in &s.volumes {
            let ctx = format!("volume {}", v.name);
            let source_image_id =
                v.image.as_deref().map(|i| Names::get(&self.names.images, "image", i, &ctx)).transpose()?;
            let image_metadata = source_image_id
                .as_ref()
                .and_then(|i| self.w.image.images.get(i))
                .map(|img| {
                    let mut m = BTreeMap::new();
                    m.insert("image_id".to_string(), img.id.clone());
                    m.insert("image_name".to_string(), img.name.clone().unwrap_or_default());
                    m.insert("checksum".to_string(), img.checksum.clone().unwrap_or_default());
                    m
                })
                .unwrap_or_default();
            let volume = Volume {
                id: self.w.new_uuid(),
                name: Some(v.name.clone()),
                description: None,
                project_id: self.names.project(&v.project, &ctx)?,
                user_id: self.names.user(&v.user, &ctx)?,
                size_gb: v.size_gb,
                status: "available".into(),
                volume_type: v.volume_type.clone().unwrap_or_else(|| "__DEFAULT__".into()),
                bootable: source_image_id.is_some(),
                multiattach: false,
                availability_zone: "nova".into(),
                attachments: Vec::new(),
                source_image_id,
                image_metadata,
                metadata: BTreeMap::new(),
                created_at: self.w.now,
                updated_at: Some(self.w.now),
            };
            if self.names.volumes.insert(v.name.clone(), volume.id.clone()).is_some() {
                return Err(invalid(ctx, "volume name used twice"));
            }
            self.w.volume.volumes.insert(volume.id.clone(), volume);
        }
        Ok(())
    }

    fn server(&mut self, region_name: &str, s: &ServerSpec) -> Result<(), LoadError> {
        let ctx = format!("region {region_name}, server {}", s.name);
        let project_id = self.names.project(&s.project, &ctx)?;
        let user_id = self.names.user(&s.user, &ctx)?;
        let now = self.w.now;
        let id = self.w.new_uuid();
        let region = &self.w.compute[region_name];
        if !region.hosts.contains_key(&s.host) {
            return Err(unknown("host", &s.host, &ctx));
        }
        let flavor = region
            .flavors
            .values()
            .find(|f| f.id == s.flavor || f.name == s.flavor)
            .ok_or_else(|| unknown("flavor", &s.flavor, &ctx))?
            .id
            .clone();
        let group = match &s.server_group {
            Some(g) => Some(
                region
                    .server_groups
                    .values()
                    .find(|sg| &sg.name == g)
                    .ok_or_else(|| unknown("server group", g, &ctx))?
                    .id
                    .clone(),
            ),
            None => None,
        };
        if let Some(k) = &s.key_name {
            if !region.keypairs.contains_key(&(user_id.clone(), k.clone())) {
                return Err(unknown("keypair", k, &ctx));
            }
        }
        let networking = region.networking;
        let zone = region.host_zone(&s.host);
        let mut server = Server::new(id.clone(), s.name.clone(), project_id.clone(), user_id.clone(), flavor, now);
        server.key_name = s.key_name.clone();
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
        (server.vm_state, server.power_state) = match s.status.as_str() {
            "ACTIVE" => (VmState::Active, PowerState::Running),
            "SHUTOFF" => (VmState::Stopped, PowerState::Shutdown),
            "ERROR" => (VmState::Error, PowerState::NoState),
            other => return Err(invalid(&ctx, format!("status '{other}' is not ACTIVE, SHUTOFF or ERROR"))),
        };
        server.task_state = None;
        match (&s.image, &s.boot_volume) {
            (Some(image), None) => {
                server.image_id = Some(Names::get(&self.names.images, "image", image, &ctx)?);
            }
            (None, Some(volume)) => {
                let bdm =
                    self.attach(&id, &s.host, volume, Some(0), "/dev/vda", s.boot_volume_delete_on_termination, &ctx)?;
                server.block_devices.push(bdm);
            }
            _ => return Err(invalid(&ctx, "give exactly one of image and boot_volume")),
        }
        for (i, v) in s.volumes.iter().enumerate() {
            let device = format!("/dev/vd{}", (b'b' + i as u8) as char);
            let bdm = self.attach(&id, &s.host, &v.volume, None, &device, v.delete_on_termination, &ctx)?;
            server.block_devices.push(bdm);
        }
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
            let fip = self
                .names
                .floating_ips
                .get(address)
                .and_then(|id| self.w.network.floating_ips.get_mut(id))
                .ok_or_else(|| unknown("floating IP", address, ctx))?;
            if fip.port_id.is_some() {
                return Err(invalid(ctx, format!("floating IP {address} is already associated")));
            }
            fip.port_id = Some(port_id.clone());
            fip.fixed_ip_address = Some(ip.clone());
            fip.status = "ACTIVE".into();
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
        region.fixed_ips_in_use.insert(ip.clone());
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

/// Nova's fingerprint of a public key; for text that is not a valid
/// OpenSSH key (which a scenario may hold), the MD5 of the text.
pub(crate) fn fingerprint(public_key: &str) -> String {
    use md5::Digest as _;
    if let Some(f) = crate::model::compute::keypair_fingerprint(public_key) {
        return f;
    }
    let digest = md5::Md5::digest(public_key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}
