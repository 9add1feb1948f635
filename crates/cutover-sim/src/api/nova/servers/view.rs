/*!
The server JSON, as Nova's `views/servers.py` builds it: the basic body of
`GET /servers`, the full body of `/servers/detail` and `GET /servers/{id}`,
with each field appearing at the microversion (and for the role) Nova adds it.
*/

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::api::nova::Nova;
use crate::model::compute::{host_id, ComputeRegion, Networking, Nic, Server};
use crate::model::network::FloatingIp;
use crate::model::{iso_micros, iso_seconds, World};
use crate::service::urls;

/// Statuses for which Nova shows `progress`.
const PROGRESS_STATUSES: [&str; 6] = ["ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"];

/// Which parts of the full body to include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `GET /servers/detail`.
    Detail,
    /// `GET /servers/{id}` (adds `server_groups` at 2.71).
    Show,
    /// `PUT /servers/{id}` below 2.75: the core fields only.
    Update,
}

/// What rendering servers needs, built once per request.
pub struct ViewCtx<'a> {
    pub w: &'a World,
    pub region: &'a ComputeRegion,
    pub nova: &'a Nova,
    compute_url: String,
    bookmark_url: String,
    fips_by_port: HashMap<&'a str, Vec<&'a FloatingIp>>,
}

impl<'a> ViewCtx<'a> {
    pub fn new(w: &'a World, region: &'a ComputeRegion, nova: &'a Nova) -> ViewCtx<'a> {
        let compute_url = urls::compute(&w.base_url, &region.name);
        let bookmark_url = compute_url.trim_end_matches("/v2.1").to_string();
        let mut fips_by_port: HashMap<&str, Vec<&FloatingIp>> = HashMap::new();
        for fip in w.network.floating_ips.values() {
            if let Some(port) = &fip.port_id {
                fips_by_port.entry(port.as_str()).or_default().push(fip);
            }
        }
        ViewCtx { w, region, nova, compute_url, bookmark_url, fips_by_port }
    }

    pub fn compute_url(&self) -> &str {
        &self.compute_url
    }

    pub fn self_link(&self, id: &str) -> String {
        format!("{}/servers/{id}", self.compute_url)
    }

    pub fn links(&self, kind: &str, id: &str) -> Value {
        json!([
            {"rel": "self", "href": format!("{}/{kind}/{id}", self.compute_url)},
            {"rel": "bookmark", "href": format!("{}/{kind}/{id}", self.bookmark_url)},
        ])
    }

    fn bookmark(&self, kind: &str, id: &str) -> Value {
        json!([{"rel": "bookmark", "href": format!("{}/{kind}/{id}", self.bookmark_url)}])
    }

    /// `{id, name, links}`, the body of `GET /servers`.
    pub fn basic(&self, s: &Server) -> Value {
        json!({"id": s.id, "name": s.name, "links": self.links("servers", &s.id)})
    }

    /// The full server body in the given shape.
    pub fn full(&self, s: &Server, shape: Shape) -> Value {
        let nova = self.nova;
        let admin = nova.caller.is_admin();
        let status = s.status();
        let mut o = Map::new();
        o.insert("id".into(), json!(s.id));
        o.insert("name".into(), json!(s.name));
        o.insert("status".into(), json!(status));
        o.insert("tenant_id".into(), json!(s.project_id));
        o.insert("user_id".into(), json!(s.user_id));
        o.insert("metadata".into(), json!(s.metadata));
        o.insert("hostId".into(), json!(host_id(&s.project_id, s.host.as_deref())));
        o.insert("image".into(), self.image(s));
        o.insert("flavor".into(), self.flavor(s));
        o.insert("created".into(), json!(iso_seconds(&s.created)));
        o.insert("updated".into(), json!(iso_seconds(&s.updated)));
        o.insert("addresses".into(), self.addresses(s));
        o.insert("accessIPv4".into(), json!(s.access_ipv4));
        o.insert("accessIPv6".into(), json!(s.access_ipv6));
        o.insert("links".into(), self.links("servers", &s.id));
        o.insert("OS-DCF:diskConfig".into(), json!("MANUAL"));
        if PROGRESS_STATUSES.contains(&status) {
            o.insert("progress".into(), json!(0));
        }
        if nova.at_least(9) {
            o.insert("locked".into(), json!(s.locked));
        }
        if nova.at_least(19) {
            o.insert("description".into(), json!(s.description));
        }
        if nova.at_least(26) {
            o.insert("tags".into(), json!(s.tags));
        }
        if nova.at_least(63) {
            o.insert("trusted_image_certificates".into(), Value::Null);
        }
        if nova.at_least(73) {
            o.insert("locked_reason".into(), json!(s.locked_reason));
        }
        if nova.at_least(96) {
            o.insert("pinned_availability_zone".into(), json!(s.requested_az));
        }
        if let Some(f) = s.fault.as_ref().filter(|_| matches!(status, "ERROR" | "DELETED")) {
            let mut fault = json!({"code": f.code, "created": iso_seconds(&f.created), "message": f.message});
            // Nova hides a 500's traceback from non-admins.
            if admin || f.code != 500 {
                fault["details"] = json!(f.details);
            }
            o.insert("fault".into(), fault);
        }
        if shape == Shape::Update && !nova.at_least(75) {
            return Value::Object(o);
        }
        self.extended(s, shape, &mut o);
        Value::Object(o)
    }

    /// The fields Nova's former extensions add (AZ, usage, states, volumes,
    /// security groups, admin-only attributes, host status, groups).
    fn extended(&self, s: &Server, shape: Shape, o: &mut Map<String, Value>) {
        let nova = self.nova;
        let admin = nova.caller.is_admin();
        o.insert("OS-EXT-AZ:availability_zone".into(), json!(self.region.server_zone(s).unwrap_or_default()));
        o.insert("config_drive".into(), json!(if s.config_drive { "True" } else { "" }));
        o.insert("key_name".into(), json!(s.key_name));
        o.insert("OS-SRV-USG:launched_at".into(), json!(s.launched_at.as_ref().map(iso_micros)));
        o.insert("OS-SRV-USG:terminated_at".into(), json!(s.terminated_at.as_ref().map(iso_micros)));
        o.insert("OS-EXT-STS:task_state".into(), json!(s.task_state));
        o.insert("OS-EXT-STS:vm_state".into(), json!(s.vm_state.as_str()));
        o.insert("OS-EXT-STS:power_state".into(), json!(s.power_state as u8));
        let volumes: Vec<Value> = s
            .block_devices
            .iter()
            .map(|b| {
                if nova.at_least(3) {
                    json!({"id": b.volume_id, "delete_on_termination": b.delete_on_termination})
                } else {
                    json!({"id": b.volume_id})
                }
            })
            .collect();
        o.insert("os-extended-volumes:volumes_attached".into(), json!(volumes));
        let groups = self.security_groups(s);
        if !groups.is_empty() {
            o.insert("security_groups".into(), json!(groups.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()));
        }
        if admin {
            let host = s.host.as_deref();
            o.insert("OS-EXT-SRV-ATTR:host".into(), json!(host));
            o.insert("OS-EXT-SRV-ATTR:hypervisor_hostname".into(), json!(host));
            o.insert("OS-EXT-SRV-ATTR:instance_name".into(), json!(format!("instance-{:08x}", s.internal_id)));
            if nova.at_least(3) {
                o.insert("OS-EXT-SRV-ATTR:reservation_id".into(), json!(format!("r-{}", &s.id[..8.min(s.id.len())])));
                o.insert("OS-EXT-SRV-ATTR:launch_index".into(), json!(0));
                o.insert("OS-EXT-SRV-ATTR:kernel_id".into(), json!(""));
                o.insert("OS-EXT-SRV-ATTR:ramdisk_id".into(), json!(""));
                o.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(hostname(&s.name)));
                o.insert("OS-EXT-SRV-ATTR:root_device_name".into(), json!("/dev/vda"));
                o.insert("OS-EXT-SRV-ATTR:user_data".into(), json!(s.user_data));
            }
            if nova.at_least(16) {
                o.insert("host_status".into(), json!(self.host_status(host)));
            }
        }
        if shape == Shape::Show && nova.at_least(71) {
            let groups: Vec<&str> = s.server_group.iter().map(String::as_str).collect();
            o.insert("server_groups".into(), json!(groups));
        }
    }

    /// `UP`, `DOWN`, `MAINTENANCE` (service disabled) or `""` without a host.
    fn host_status(&self, host: Option<&str>) -> &'static str {
        let Some(host) = host else { return "" };
        match self.region.service_of_host(host, "nova-compute") {
            None => "UNKNOWN",
            Some(svc) if svc.forced_down || !svc.up => "DOWN",
            Some(svc) if svc.disabled => "MAINTENANCE",
            Some(_) => "UP",
        }
    }

    /// The image reference; Nova gives an empty string for a server booted
    /// from a volume.
    fn image(&self, s: &Server) -> Value {
        match &s.image_id {
            Some(id) => json!({"id": id, "links": self.bookmark("images", id)}),
            None => json!(""),
        }
    }

    /// Flavor id and link, or from 2.47 the flavor's values embedded.
    fn flavor(&self, s: &Server) -> Value {
        let flavor = self.region.flavors.get(&s.flavor_id);
        if !self.nova.at_least(47) {
            return json!({"id": s.flavor_id, "links": self.bookmark("flavors", &s.flavor_id)});
        }
        match flavor {
            Some(f) => json!({
                "vcpus": f.vcpus, "ram": f.ram_mb, "disk": f.disk_gb, "ephemeral": f.ephemeral_gb,
                "swap": f.swap_mb, "original_name": f.name, "extra_specs": f.extra_specs,
            }),
            None => json!({"vcpus": 0, "ram": 0, "disk": 0, "ephemeral": 0, "swap": 0,
                "original_name": s.flavor_id, "extra_specs": {}}),
        }
    }

    /// The server's security groups by name, each once. With Neutron,
    /// Nova asks for those of the server's ports, so a server without a
    /// port shows none (realcloud: a boot with `networks: none` has no
    /// `security_groups` key); with nova-network, those asked at boot.
    fn security_groups(&self, s: &'a Server) -> Vec<&'a str> {
        let names: Vec<&str> = match self.region.networking {
            Networking::Neutron => self
                .w
                .network
                .ports_of_device(&s.id)
                .into_iter()
                .flat_map(|p| &p.security_groups)
                .filter_map(|id| self.w.network.security_groups.get(id))
                .map(|g| g.name.as_str())
                .collect(),
            Networking::NovaNetwork => s.security_groups.iter().map(String::as_str).collect(),
        };
        let mut once: Vec<&str> = Vec::new();
        for name in names {
            if !once.contains(&name) {
                once.push(name);
            }
        }
        once
    }

    /// Addresses per network label: fixed ones from the port (or the
    /// nova-network lease), then the floating IPs Neutron maps to the port.
    fn addresses(&self, s: &Server) -> Value {
        let mut by_label: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for nic in &s.nics {
            let (label, entries) = match &nic.port_id {
                Some(port_id) => match self.neutron_addresses(nic, port_id) {
                    Some(found) => found,
                    // A port deleted behind Nova's back leaves the cache.
                    None => continue,
                },
                None => (nic.network_name.clone(), nova_network_addresses(nic)),
            };
            by_label.entry(label).or_default().extend(entries);
        }
        json!(by_label)
    }

    fn neutron_addresses(&self, nic: &Nic, port_id: &str) -> Option<(String, Vec<Value>)> {
        let port = self.w.network.ports.get(port_id)?;
        let label = self.w.network.networks.get(&port.network_id).map_or(nic.network_name.clone(), |n| n.name.clone());
        let mac = &port.mac_address;
        let mut out: Vec<Value> = port.fixed_ips.iter().map(|ip| address(&ip.ip_address, "fixed", mac)).collect();
        for fip in self.fips_by_port.get(port_id).into_iter().flatten() {
            out.push(address(&fip.floating_ip_address, "floating", mac));
        }
        Some((label, out))
    }
}

fn nova_network_addresses(nic: &Nic) -> Vec<Value> {
    let fixed = nic.fixed_ips.iter().map(|ip| address(ip, "fixed", &nic.mac_address));
    let floating = nic.floating_ips.iter().map(|ip| address(ip, "floating", &nic.mac_address));
    fixed.chain(floating).collect()
}

fn address(addr: &str, kind: &str, mac: &str) -> Value {
    let version = if addr.contains(':') { 6 } else { 4 };
    json!({"version": version, "addr": addr, "OS-EXT-IPS:type": kind, "OS-EXT-IPS-MAC:mac_addr": mac})
}

/// The guest hostname Nova derives from the display name
/// (`utils.sanitize_hostname`): lower case, spaces and underscores to dashes,
/// other characters dropped, at most 63 characters.
pub fn hostname(name: &str) -> String {
    let mapped: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '_' { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    let trimmed = mapped.trim_matches(|c| c == '-' || c == '.');
    let short: String = trimmed.chars().take(63).collect();
    if short.is_empty() {
        "server".into()
    } else {
        short
    }
}
