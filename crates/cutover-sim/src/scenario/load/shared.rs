/*!
Loads the records every region shares: Neutron networks, subnets, security
groups, floating IPs and routers, Glance images, Cinder volume types and volumes.
*/

use std::collections::BTreeMap;

use super::{invalid, unknown, LoadError, Loader, Names};
use crate::model::image::{synthetic_data, Image, ImageStatus};
use crate::model::network::{ipv4, parse_cidr, FloatingIp, Network, Router, SecurityGroup, SecurityGroupRule, Subnet};
use crate::model::volume::{Volume, VolumeType};
use crate::model::World;
use crate::scenario::{Scenario, VolumeTypeSpec};

impl Loader {
    pub(super) fn network(&mut self, s: &Scenario) -> Result<(), LoadError> {
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
            let project = self.names.project(&f.project, &ctx)?;
            let fip = FloatingIp::unassociated(self.w.new_uuid(), f.address.clone(), network_id, project, now);
            self.names.floating_ips.insert(fip.floating_ip_address.clone(), fip.id.clone());
            self.w.network.insert_floating_ip(fip);
        }
        self.routers(s)
    }

    /// Routers with their gateway and subnet interfaces, loaded before the
    /// servers so that their floating IP associations find a router.
    fn routers(&mut self, s: &Scenario) -> Result<(), LoadError> {
        let now = self.w.now;
        for r in &s.routers {
            let ctx = format!("router {}", r.name);
            let router = Router {
                id: self.w.new_uuid(),
                name: r.name.clone(),
                project_id: self.names.project(r.project.as_deref().unwrap_or("admin"), &ctx)?,
                admin_state_up: true,
                description: String::new(),
                gateway: None,
                created_at: now,
                updated_at: now,
                revision_number: 1,
            };
            let id = router.id.clone();
            self.w.network.routers.insert(id.clone(), router);
            if let Some(net) = &r.external_network {
                let network_id = Names::get(&self.names.networks, "network", net, &ctx)?;
                if !self.w.network.networks.get(&network_id).is_some_and(|n| n.external) {
                    return Err(invalid(&ctx, format!("network '{net}' is not external")));
                }
                self.w.set_router_gateway(&id, &network_id, true, None).map_err(|e| invalid(&ctx, e.to_string()))?;
            }
            for name in &r.interfaces {
                let subnet = self.w.network.subnets.values().find(|sn| &sn.name == name).map(|sn| sn.id.clone());
                let subnet = subnet.ok_or_else(|| unknown("subnet", name, &ctx))?;
                self.w.add_router_subnet(&id, &subnet).map_err(|e| invalid(&ctx, e.to_string()))?;
            }
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

    pub(super) fn images(&mut self, s: &Scenario) -> Result<(), LoadError> {
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

    pub(super) fn volumes(&mut self, s: &Scenario) -> Result<(), LoadError> {
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
                .map(|img| img.volume_image_metadata())
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
}
