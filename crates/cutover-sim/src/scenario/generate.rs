/*!
Generated scenarios: N old hosts holding M varied servers (image- and
volume-booted, user and Nova ports, floating IPs, data volumes, some shut
off) and K new-region hosts, deterministic for a seed.
*/

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::model::network::ipv4;

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub hosts: usize,
    pub servers: usize,
    /// New-region hosts; `None` gives as many as needed to hold every server.
    pub new_hosts: Option<usize>,
    pub networking: Networking,
    pub seed: u64,
}

const FLAVORS: [(&str, &str, u32, u64, u64); 4] = [
    ("1", "m1.tiny", 1, 512, 1),
    ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80),
];

/// Capacity of one generated host.
const HOST_VCPUS: u32 = 64;
const HOST_RAM_MB: u64 = 262_144;
const HOST_DISK_GB: u64 = 8_000;

/// Floating IPs come from 172.16.0.0/12.
const PUBLIC_BASE: u32 = 0xac10_0000;

pub fn generate(opts: &GenerateOptions) -> Scenario {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut s = Scenario { seed: opts.seed, ..Scenario::default() };
    let project_count = (opts.servers / 25).clamp(2, 500);
    let projects: Vec<String> = (1..=project_count).map(|i| format!("project-{i:03}")).collect();
    add_identity(&mut s, &projects);
    s.images = vec![
        image("cirros", BTreeMap::new()),
        image("ubuntu-24.04", BTreeMap::new()),
        image("windows-2022", BTreeMap::from([("os_type".into(), "windows".into())])),
    ];
    s.regions = regions(opts, &projects);
    if opts.networking == Networking::Neutron {
        add_neutron_networks(&mut s, &projects);
    }

    let host_names: Vec<String> = (1..=opts.hosts.max(1)).map(|i| format!("old-{i:04}")).collect();
    let mut fleet = Fleet {
        networking: opts.networking,
        projects: &projects,
        used: vec![(0, 0, 0); host_names.len()],
        volume_no: 0,
        fip_next: 0,
        fixed_next: BTreeMap::new(),
    };
    for n in 0..opts.servers {
        let server = fleet.server(&mut rng, &mut s, &host_names, n);
        s.regions[0].servers.push(server);
    }
    let (used, fip_next) = (fleet.used, fleet.fip_next);
    let total = used.iter().fold((0u64, 0u64, 0u64), |a, u| (a.0 + u.0, a.1 + u.1, a.2 + u.2));
    for (name, (c, r, d)) in host_names.iter().zip(used) {
        s.regions[0].hosts.push(host(name, c, r, d));
    }
    if opts.networking == Networking::NovaNetwork && fip_next > 0 {
        let bits = 32 - (fip_next + 16).next_power_of_two().trailing_zeros();
        s.regions[0].floating_ip_pools.push(FloatingPoolSpec {
            name: "public".into(),
            ip_range: format!("{}/{bits}", ipv4(PUBLIC_BASE)),
            interface: "eth0".into(),
        });
    }
    s.regions[1].hosts = new_hosts(opts, total);
    s
}

/// The admin and one member user per project.
fn add_identity(s: &mut Scenario, projects: &[String]) {
    s.projects = projects
        .iter()
        .map(|p| ProjectSpec { name: p.clone(), id: None, domain: default_domain(), description: String::new() })
        .collect();
    s.users.push(UserSpec {
        name: "admin".into(),
        id: None,
        password: "secret".into(),
        domain: default_domain(),
        project: Some("admin".into()),
        roles: BTreeMap::from([("admin".into(), vec!["admin".into()])]),
    });
    for p in projects {
        s.users.push(UserSpec {
            name: format!("{p}-user"),
            id: None,
            password: "secret".into(),
            domain: default_domain(),
            project: Some(p.clone()),
            roles: BTreeMap::from([(p.clone(), vec!["member".into()])]),
        });
    }
}

/// The old region and an empty new one beside it.
fn regions(opts: &GenerateOptions, projects: &[String]) -> Vec<RegionSpec> {
    let old = old_region(opts, projects);
    let mut new = RegionSpec { name: "RegionTwo".into(), ..old_region(opts, projects) };
    new.hosts.clear();
    new.servers.clear();
    new.keypairs.clear();
    new.server_groups.clear();
    new.floating_ip_pools.clear();
    new.flavors.clear();
    // A new Nova speaks current microversions even where networking is
    // still nova-network; that Nova is the highest release that has it.
    new.max_microversion = if opts.networking == Networking::NovaNetwork { "2.35".into() } else { "2.96".into() };
    vec![old, new]
}

/// The external network, and a network, subnet and router per project.
fn add_neutron_networks(s: &mut Scenario, projects: &[String]) {
    s.networks.push(NetworkSpec {
        name: "public".into(),
        project: None,
        shared: false,
        external: true,
        physical_network: None,
        subnets: vec![SubnetSpec { name: "public-subnet".into(), cidr: "172.16.0.0/12".into(), gateway_ip: None }],
    });
    for (i, p) in projects.iter().enumerate() {
        s.networks.push(NetworkSpec {
            name: format!("{p}-net"),
            project: Some(p.clone()),
            shared: false,
            external: false,
            physical_network: None,
            subnets: vec![SubnetSpec {
                name: format!("{p}-subnet"),
                cidr: format!("10.{}.{}.0/20", i / 16, (i % 16) * 16),
                gateway_ip: None,
            }],
        });
        // Floating IPs of the project's servers go through this router.
        s.routers.push(RouterSpec {
            name: format!("{p}-router"),
            project: Some(p.clone()),
            external_network: Some("public".into()),
            interfaces: vec![format!("{p}-subnet")],
        });
    }
}

/// The old region's servers as they are drawn, with what they use so far.
/// The draws keep one order (flavor, server, volumes, floating IP, port)
/// so that a seed always gives the same scenario.
struct Fleet<'a> {
    networking: Networking,
    projects: &'a [String],
    /// vCPUs, RAM and disk used on each old host.
    used: Vec<(u64, u64, u64)>,
    volume_no: usize,
    fip_next: u32,
    /// The next fixed address per project (nova-network).
    fixed_next: BTreeMap<String, u32>,
}

impl Fleet<'_> {
    /// Server `n`, on host `n` modulo the hosts, in project `n` modulo the
    /// projects; its volumes and floating IP are added to `s`.
    fn server(&mut self, rng: &mut StdRng, s: &mut Scenario, host_names: &[String], n: usize) -> ServerSpec {
        let h = n % host_names.len();
        let p = &self.projects[n % self.projects.len()];
        let (flavor_id, _, vcpus, ram, disk) = FLAVORS[rng.random_range(0..FLAVORS.len())];
        let used = self.used[h];
        self.used[h] = (used.0 + vcpus as u64, used.1 + ram, used.2 + disk);
        let mut server = ServerSpec {
            name: format!("vm-{n:06}"),
            project: p.clone(),
            user: format!("{p}-user"),
            host: host_names[h].clone(),
            flavor: flavor_id.into(),
            image: Some(s.images[rng.random_range(0..s.images.len())].name.clone()),
            boot_volume: None,
            boot_volume_delete_on_termination: rng.random_bool(0.5),
            key_name: Some(format!("{p}-key")),
            user_data: rng.random_bool(0.3).then(|| "#cloud-config\npackages: [nginx]\n".into()),
            metadata: BTreeMap::from([("role".into(), ["web", "db", "cache", "batch"][n % 4].into())]),
            tags: if rng.random_bool(0.3) { vec!["prod".into()] } else { Vec::new() },
            description: None,
            availability_zone: None,
            server_group: None,
            security_groups: vec!["default".into()],
            status: if rng.random_bool(0.15) { "SHUTOFF".into() } else { "ACTIVE".into() },
            nics: Vec::new(),
            volumes: Vec::new(),
            config_drive: rng.random_bool(0.05),
            personality: Vec::new(),
        };
        self.add_volumes(rng, &mut s.volumes, &mut server, disk);
        let nic = self.nic(rng, &mut s.floating_ips, p);
        server.nics.push(nic);
        server
    }

    /// A boot volume for one server in five, a data volume for about one
    /// in seven.
    fn add_volumes(&mut self, rng: &mut StdRng, volumes: &mut Vec<VolumeSpec>, server: &mut ServerSpec, disk: u64) {
        if rng.random_bool(0.2) {
            self.volume_no += 1;
            let name = format!("boot-{:06}", self.volume_no);
            volumes.push(VolumeSpec {
                name: name.clone(),
                project: server.project.clone(),
                user: server.user.clone(),
                size_gb: disk.max(10),
                image: server.image.take(),
                volume_type: None,
            });
            server.boot_volume = Some(name);
        }
        if rng.random_bool(0.15) {
            self.volume_no += 1;
            let name = format!("data-{:06}", self.volume_no);
            volumes.push(VolumeSpec {
                name: name.clone(),
                project: server.project.clone(),
                user: server.user.clone(),
                size_gb: 50,
                image: None,
                volume_type: None,
            });
            server.volumes.push(AttachedVolumeSpec { volume: name, delete_on_termination: false });
        }
    }

    /// The server's one NIC on its project's network, with a floating IP
    /// for one server in four.
    fn nic(&mut self, rng: &mut StdRng, floating_ips: &mut Vec<FloatingIpSpec>, p: &str) -> NicSpec {
        let floating = rng.random_bool(0.25).then(|| {
            self.fip_next += 1;
            ipv4(PUBLIC_BASE + 10 + self.fip_next)
        });
        match self.networking {
            Networking::Neutron => {
                if let Some(address) = &floating {
                    floating_ips.push(FloatingIpSpec {
                        address: address.clone(),
                        network: "public".into(),
                        project: p.to_string(),
                    });
                }
                NicSpec {
                    network: format!("{p}-net"),
                    fixed_ip: None,
                    mac: None,
                    user_port: rng.random_bool(0.2),
                    floating_ip: floating,
                }
            }
            Networking::NovaNetwork => {
                let next = self.fixed_next.entry(p.to_string()).or_insert(2);
                let i = self.projects.iter().position(|x| x == p).unwrap_or(0) as u32;
                let ip = ipv4(0x0a00_0000 + (i << 12) + *next);
                *next += 1;
                NicSpec {
                    network: format!("{p}-net"),
                    fixed_ip: Some(ip),
                    mac: None,
                    user_port: false,
                    floating_ip: floating,
                }
            }
        }
    }
}

/// The new region's hosts: as asked, or enough to hold every server (by
/// its scarcest resource) plus one.
fn new_hosts(opts: &GenerateOptions, total: (u64, u64, u64)) -> Vec<HostSpec> {
    let needed = [total.0.div_ceil(HOST_VCPUS as u64), total.1.div_ceil(HOST_RAM_MB), total.2.div_ceil(HOST_DISK_GB)]
        .into_iter()
        .max()
        .unwrap_or(1)
        .max(1) as usize
        + 1;
    let new_hosts = opts.new_hosts.unwrap_or(needed);
    (1..=new_hosts)
        .map(|i| HostSpec {
            name: format!("new-{i:04}"),
            vcpus: HOST_VCPUS,
            memory_mb: HOST_RAM_MB,
            disk_gb: HOST_DISK_GB,
            disabled: false,
            disabled_reason: None,
            down: false,
        })
        .collect()
}

/// An old host, sized to hold what it runs with some room to spare.
fn host(name: &str, vcpus: u64, ram: u64, disk: u64) -> HostSpec {
    HostSpec {
        name: name.into(),
        vcpus: (vcpus as u32).max(HOST_VCPUS),
        memory_mb: ram.max(HOST_RAM_MB),
        disk_gb: disk.max(HOST_DISK_GB),
        disabled: false,
        disabled_reason: None,
        down: false,
    }
}

/// A well-formed ed25519 public key (Nova validates imported keys), its
/// 32 key bytes made of `seed`.
fn ed25519_key(seed: &str) -> String {
    use base64::Engine as _;
    let mut blob = b"\0\0\0\x0bssh-ed25519\0\0\0\x20".to_vec();
    blob.extend(seed.bytes().chain(std::iter::repeat(b'.')).take(32));
    format!("ssh-ed25519 {}", base64::engine::general_purpose::STANDARD.encode(blob))
}

fn image(name: &str, properties: BTreeMap<String, String>) -> ImageSpec {
    ImageSpec {
        name: name.into(),
        id: None,
        owner: None,
        visibility: "public".into(),
        disk_format: "qcow2".into(),
        container_format: "bare".into(),
        size: 4096,
        min_disk: 0,
        min_ram: 0,
        properties,
    }
}

fn old_region(opts: &GenerateOptions, projects: &[String]) -> RegionSpec {
    let nova_network = opts.networking == Networking::NovaNetwork;
    RegionSpec {
        name: "RegionOne".into(),
        networking: opts.networking,
        max_microversion: if nova_network { "2.1".into() } else { "2.96".into() },
        default_az: "nova".into(),
        control_services: vec!["nova-conductor".into(), "nova-scheduler".into(), "nova-consoleauth".into()],
        hosts: Vec::new(),
        aggregates: Vec::new(),
        flavors: FLAVORS
            .iter()
            .map(|&(id, name, vcpus, ram_mb, disk_gb)| FlavorSpec {
                id: id.into(),
                name: name.into(),
                vcpus,
                ram_mb,
                disk_gb,
                ephemeral_gb: 0,
                swap_mb: 0,
                is_public: true,
                description: None,
                extra_specs: BTreeMap::from([("hw:cpu_policy".into(), "shared".into())]),
                access: Vec::new(),
            })
            .collect(),
        keypairs: projects
            .iter()
            .map(|p| KeypairSpec {
                name: format!("{p}-key"),
                user: format!("{p}-user"),
                public_key: format!("{} {p}-user@example", ed25519_key(p)),
            })
            .collect(),
        quota_defaults: Some(crate::model::compute::QuotaSet {
            instances: -1,
            cores: -1,
            ram: -1,
            ..Default::default()
        }),
        quotas: BTreeMap::new(),
        server_groups: Vec::new(),
        fixed_networks: if nova_network {
            projects
                .iter()
                .enumerate()
                .map(|(i, p)| FixedNetworkSpec {
                    label: format!("{p}-net"),
                    cidr: format!("{}/20", ipv4(0x0a00_0000 + ((i as u32) << 12))),
                    project: Some(p.clone()),
                })
                .collect()
        } else {
            Vec::new()
        },
        floating_ip_pools: Vec::new(),
        servers: Vec::new(),
        failing_hosts: Vec::new(),
    }
}
