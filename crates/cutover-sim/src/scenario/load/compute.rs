/*!
Loads one Nova region: control services, hosts with their hypervisors and
services, aggregates and zones, flavors, keypairs, quotas, server groups and
the nova-network fixed networks and floating IP pools.
*/

use std::collections::BTreeMap;

use super::{invalid, unknown, LoadError, Loader};
use crate::model::compute::{
    Aggregate, ComputeRegion, ComputeService, FixedNetwork, Flavor, Host, Keypair, Microversion, Networking,
    ServerGroup,
};
use crate::model::network::{ipv4, parse_cidr};
use crate::scenario::RegionSpec;

impl Loader {
    pub(super) fn region(&mut self, spec: &RegionSpec) -> Result<(), LoadError> {
        let ctx = context(spec);
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
        self.services_and_hosts(spec, &mut region)?;
        self.aggregates(spec, &mut region)?;
        self.owned_records(spec, &mut region)?;
        self.nova_network(spec, &mut region)?;
        if self.w.compute.insert(spec.name.clone(), region).is_some() {
            return Err(invalid(ctx, "region listed twice"));
        }
        Ok(())
    }

    /// The control services (nova-network's binary where the region runs
    /// it) and each host with its hypervisor and nova-compute service.
    fn services_and_hosts(&mut self, spec: &RegionSpec, region: &mut ComputeRegion) -> Result<(), LoadError> {
        let (ctx, now) = (&context(spec), self.w.now);
        // A nova-network region runs the `nova-network` binary (here on the
        // controller, as without multi_host); clients tell the mode by it.
        let nova_network = (spec.networking == Networking::NovaNetwork
            && !spec.control_services.iter().any(|b| b == "nova-network"))
        .then(|| "nova-network".to_string());
        for binary in spec.control_services.iter().chain(nova_network.as_ref()) {
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
                return Err(invalid(ctx, format!("host '{}' listed twice", h.name)));
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
        Ok(())
    }

    /// Host aggregates, then each host's zone as its aggregates give it.
    fn aggregates(&mut self, spec: &RegionSpec, region: &mut ComputeRegion) -> Result<(), LoadError> {
        let (ctx, now) = (&context(spec), self.w.now);
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
        Ok(())
    }

    /// Flavors, key pairs, quotas and server groups: records naming the
    /// projects and users loaded before.
    fn owned_records(&mut self, spec: &RegionSpec, region: &mut ComputeRegion) -> Result<(), LoadError> {
        let (ctx, now) = (&context(spec), self.w.now);
        for f in &spec.flavors {
            let access = f.access.iter().map(|p| self.names.project(p, ctx)).collect::<Result<_, _>>()?;
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
            let user_id = self.names.user(&k.user, ctx)?;
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
            region.quotas.insert(self.names.project(project, ctx)?, quota.clone());
        }
        for g in &spec.server_groups {
            let group = ServerGroup {
                id: self.w.new_uuid(),
                name: g.name.clone(),
                project_id: self.names.project(&g.project, ctx)?,
                user_id: self.names.user(&g.user, ctx)?,
                policy: g.policy.clone(),
                rules: BTreeMap::new(),
                members: Vec::new(),
            };
            region.server_groups.insert(group.id.clone(), group);
        }
        Ok(())
    }

    /// nova-network's fixed networks and floating IP pools.
    fn nova_network(&mut self, spec: &RegionSpec, region: &mut ComputeRegion) -> Result<(), LoadError> {
        let ctx = &context(spec);
        for n in &spec.fixed_networks {
            let (first, _, _) = parse_cidr(&n.cidr).ok_or_else(|| invalid(ctx, format!("bad CIDR '{}'", n.cidr)))?;
            let net = FixedNetwork {
                id: self.w.new_uuid(),
                label: n.label.clone(),
                cidr: n.cidr.clone(),
                gateway: ipv4(first + 1),
                project_id: n.project.as_deref().map(|p| self.names.project(p, ctx)).transpose()?,
            };
            region.fixed_networks.insert(net.id.clone(), net);
        }
        for pool in &spec.floating_ip_pools {
            let addresses = crate::model::compute::floating_range(&pool.ip_range)
                .map_err(|e| invalid(ctx, format!("bad ip_range '{}': {e}", pool.ip_range)))?;
            region
                .add_floating_ips(&addresses, &pool.name, &pool.interface)
                .map_err(|a| invalid(ctx, format!("floating IP {a} is in two pools")))?;
        }
        for fip in region.floating_ips.values() {
            self.names.nova_floating_ips.insert((spec.name.clone(), fip.address.clone()), fip.id);
        }
        Ok(())
    }
}

/// How a load error names the region.
fn context(spec: &RegionSpec) -> String {
    format!("region {}", spec.name)
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
