/*!
The rebuild record of every server of a region, in batches: one paged
`servers/detail` (all projects) at the best microversion up to 2.96, joined
with listings read once each — flavors (a flavor is named, not given by id,
from 2.47), Cinder volumes (device of each attachment), server groups
(members), and either Neutron's ports (`device_owner` `compute:*`) and
floating IPs, or nova-network's fixed networks and floating addresses.
No call per server, and no scan of a listing per server: the listings are
keyed once ([`Index`]), so the join grows linearly with the region.
*/

use std::collections::{BTreeSet, HashMap};

use cutover_core::microversion::Microversion;
use cutover_core::model::{Flavor, FloatingIp, Image, Network, PoolAddress, Port, ServerGroup, ServerStatus, Volume};
use cutover_core::plan::inventory::ObservedServer;
use cutover_core::plan::{
    FixedIp, FixedNetworkRecord, FloatingIpRecord, GroupRef, PortRecord, ServerRecord, VolumeRecord,
};

use super::servers::WireServer;
use crate::error::Result;
use crate::region::RegionClient;

/// The highest microversion the records are read at. 2.3 brings user data,
/// `delete_on_termination` and the root device name, 2.19 descriptions,
/// 2.26 tags, 2.47 the flavor by name; nothing above changes these fields.
pub const RECORDS_MAX: Microversion = Microversion::new(2, 96);

/// How the region's servers are networked, with the listings to join.
pub enum NetworkListings {
    Neutron {
        ports: Vec<Port>,
        floating_ips: Vec<FloatingIp>,
    },
    /// `os-networks`, and the bulk floating address listing (admin).
    NovaNetwork {
        networks: Vec<Network>,
        floating: Vec<PoolAddress>,
    },
}

/// The listings a record is joined from, each read once for all servers.
pub struct Listings<'a> {
    pub flavors: &'a [Flavor],
    pub images: &'a [Image],
    pub volumes: &'a [Volume],
    pub groups: &'a [ServerGroup],
    pub network: &'a NetworkListings,
}

impl RegionClient {
    /// The microversion [`RegionClient::server_records`] reads at.
    pub fn records_version(&self) -> Microversion {
        let range = self.compute_versions();
        range.max.min(RECORDS_MAX).max(range.min)
    }

    /// Every server of every project, with its rebuild record.
    pub async fn server_records(&self, listings: &Listings<'_>) -> Result<Vec<ObservedServer>> {
        let wire = self.server_details(self.records_version()).await?;
        let region = self.region().to_string();
        let index = Index::new(listings);
        Ok(wire.into_iter().map(|(status, s)| observed(status, s, &index, &region)).collect())
    }
}

/// The listings keyed by what each server's record looks up: built once,
/// so a record costs the same whatever the region's size.
struct Index<'a> {
    flavor_by_id: HashMap<&'a str, &'a Flavor>,
    flavor_by_name: HashMap<&'a str, &'a Flavor>,
    image: HashMap<&'a str, &'a Image>,
    volume: HashMap<&'a str, &'a Volume>,
    /// A server's group: the first listed that has it as a member.
    group_of: HashMap<&'a str, &'a ServerGroup>,
    network: NetworkIndex<'a>,
}

enum NetworkIndex<'a> {
    Neutron {
        /// Ports by device (`compute:*` owners only), in listing order.
        ports_of: HashMap<&'a str, Vec<&'a Port>>,
        /// Floating IPs by port, with their place in the listing.
        floating_of: HashMap<&'a str, Vec<(usize, &'a FloatingIp)>>,
    },
    NovaNetwork {
        network_by_label: HashMap<&'a str, &'a str>,
        floating_of: HashMap<&'a str, Vec<&'a PoolAddress>>,
    },
}

impl<'a> Index<'a> {
    fn new(l: &Listings<'a>) -> Index<'a> {
        // Collected back to front: where a listing has two entries for one
        // key, the first listed wins, as a search from the front found it.
        Index {
            flavor_by_id: l.flavors.iter().rev().map(|f| (f.id.as_str(), f)).collect(),
            flavor_by_name: l.flavors.iter().rev().map(|f| (f.name.as_str(), f)).collect(),
            image: l.images.iter().rev().map(|i| (i.id.as_str(), i)).collect(),
            volume: l.volumes.iter().rev().map(|v| (v.id.as_str(), v)).collect(),
            group_of: l.groups.iter().rev().flat_map(|g| g.members.iter().map(move |m| (m.as_str(), g))).collect(),
            network: NetworkIndex::new(l.network),
        }
    }
}

impl<'a> NetworkIndex<'a> {
    fn new(listings: &'a NetworkListings) -> NetworkIndex<'a> {
        match listings {
            NetworkListings::Neutron { ports, floating_ips } => {
                let mut ports_of: HashMap<&str, Vec<&Port>> = HashMap::new();
                for p in ports.iter().filter(|p| p.device_owner.starts_with("compute:")) {
                    ports_of.entry(p.device_id.as_str()).or_default().push(p);
                }
                let mut floating_of: HashMap<&str, Vec<(usize, &FloatingIp)>> = HashMap::new();
                for (i, f) in floating_ips.iter().enumerate() {
                    if let Some(port) = &f.port_id {
                        floating_of.entry(port.as_str()).or_default().push((i, f));
                    }
                }
                NetworkIndex::Neutron { ports_of, floating_of }
            }
            NetworkListings::NovaNetwork { networks, floating } => {
                // Where two networks share a label, the last listed wins, as it always did.
                let network_by_label = networks.iter().map(|n| (n.name.as_str(), n.id.as_str())).collect();
                let mut floating_of: HashMap<&str, Vec<&PoolAddress>> = HashMap::new();
                for a in floating {
                    if let Some(server) = &a.instance_id {
                        floating_of.entry(server.as_str()).or_default().push(a);
                    }
                }
                NetworkIndex::NovaNetwork { network_by_label, floating_of }
            }
        }
    }
}

/// One server's record from Nova's answer and the region's listings. Kept
/// whole: it is one struct filled field by field, each from its source.
fn observed(status: ServerStatus, s: WireServer, l: &Index<'_>, region: &str) -> ObservedServer {
    let sizes_embedded = s.flavor.sizes();
    let flavor = match (&s.flavor.id, &s.flavor.original_name) {
        (Some(id), _) => l.flavor_by_id.get(id.as_str()).copied(),
        (None, Some(name)) => l.flavor_by_name.get(name.as_str()).copied(),
        (None, None) => None,
    };
    let problem = flavor.is_none().then(|| {
        let named = s.flavor.original_name.clone().or_else(|| s.flavor.id.clone()).unwrap_or_default();
        format!("its flavor {named} no longer exists in {region}: sync cannot copy it")
    });
    let sizes = sizes_embedded.or_else(|| {
        flavor.map(|f| cutover_core::model::FlavorSizes {
            vcpus: f.vcpus,
            ram_mib: f.ram_mib,
            disk_gib: f.disk_gib,
            ephemeral_gib: f.ephemeral_gib,
            swap_mib: f.swap_mib,
        })
    });
    let flavor_id = flavor.map(|f| f.id.clone()).or_else(|| s.flavor.id.clone().map(Into::into)).unwrap_or_default();
    let image_id = s.image.get("id").and_then(|id| id.as_str()).filter(|id| !id.is_empty()).map(str::to_string);
    let volumes = volumes(&s, image_id.is_none(), &l.volume);
    let (ports, fixed_networks, floating_ips) = match &l.network {
        NetworkIndex::Neutron { ports_of, floating_of } => {
            let ports = neutron_ports(&s, ports_of.get(s.id.as_str()).map_or(&[], Vec::as_slice));
            let mut floating: Vec<&(usize, &FloatingIp)> =
                ports.iter().flat_map(|own| floating_of.get(own.id.as_str()).into_iter().flatten()).collect();
            floating.sort_by_key(|(i, _)| *i);
            let floating = floating
                .into_iter()
                .map(|(_, f)| FloatingIpRecord {
                    address: f.address.clone(),
                    id: Some(f.id.clone()),
                    port_id: f.port_id.clone(),
                })
                .collect();
            (ports, Vec::new(), floating)
        }
        NetworkIndex::NovaNetwork { network_by_label, floating_of } => {
            let pool = floating_of.get(s.id.as_str()).map_or(&[][..], Vec::as_slice);
            (Vec::new(), fixed_networks(&s, network_by_label), nova_floating(&s, pool))
        }
    };
    let os_type = match &image_id {
        Some(image) => l.image.get(image.as_str()).and_then(|i| i.os_type.clone()),
        None => volumes
            .iter()
            .find(|v| v.boot_index == Some(0))
            .and_then(|root| l.volume.get(root.id.as_str()))
            .and_then(|v| v.os_type.clone()),
    };
    let mut security_groups: Vec<String> = Vec::new();
    for g in &s.security_groups {
        if !security_groups.contains(&g.name) {
            security_groups.push(g.name.clone());
        }
    }
    let server_group = l.group_of.get(s.id.as_str()).map(|g| GroupRef { id: g.id.clone(), name: g.name.clone() });
    let config_drive = match &s.config_drive {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::String(text) => matches!(text.to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        _ => false,
    };
    let record = ServerRecord {
        host: s.host.clone().unwrap_or_default().into(),
        availability_zone: s.availability_zone.clone().filter(|z| !z.is_empty()),
        status,
        flavor_id,
        image_id: image_id.map(Into::into),
        key_name: s.key_name.clone(),
        user_data: s.user_data.clone(),
        metadata: s.metadata.clone(),
        tags: s.tags.clone(),
        description: s.description.clone(),
        server_group,
        security_groups,
        ports,
        fixed_networks,
        volumes,
        floating_ips,
        config_drive,
        ephemeral_gib: sizes.map_or(0, |z| z.ephemeral_gib),
        swap_mib: sizes.map_or(0, |z| z.swap_mib),
        id: s.id.into(),
        name: s.name,
        project_id: s.tenant_id.into(),
        user_id: s.user_id.into(),
    };
    ObservedServer { record, task_state: s.task_state, sizes, os_type, problem }
}

/// The attached volumes with their devices (from Cinder's attachments).
/// Nova's API shows no boot index: the root of a boot-from-volume server
/// (boot index 0) is the volume at its root device name (2.3+), or, below
/// 2.3, at the first device name.
fn volumes(s: &WireServer, volume_backed: bool, cinder: &HashMap<&str, &Volume>) -> Vec<VolumeRecord> {
    let device_of = |id: &str| {
        cinder.get(id).and_then(|v| v.attachments.iter().find(|a| a.server_id == s.id)).and_then(|a| a.device.clone())
    };
    let mut records: Vec<VolumeRecord> = s
        .volumes
        .iter()
        .map(|v| VolumeRecord {
            id: v.id.clone().into(),
            device: device_of(&v.id),
            boot_index: None,
            // Below 2.3 Nova does not say; a volume attached later defaults to false.
            delete_on_termination: v.delete_on_termination.unwrap_or(false),
        })
        .collect();
    if volume_backed {
        let root_device = s.root_device_name.clone().or_else(|| records.iter().filter_map(|v| v.device.clone()).min());
        if let Some(root) = records.iter_mut().find(|v| v.device.is_some() && v.device == root_device) {
            root.boot_index = Some(0);
        }
    }
    records
}

/// The server's ports (`own`: its `compute:*` ports), in the order its
/// addresses show their MACs.
fn neutron_ports(s: &WireServer, own: &[&Port]) -> Vec<PortRecord> {
    let macs: Vec<&str> = s.addresses.iter().flat_map(|(_, a)| a.iter().filter_map(|a| a.mac.as_deref())).collect();
    let mut own = own.to_vec();
    own.sort_by_key(|p| {
        (macs.iter().position(|m| m.eq_ignore_ascii_case(&p.mac_address)).unwrap_or(usize::MAX), p.id.clone())
    });
    own.into_iter()
        .map(|p| PortRecord {
            id: p.id.clone(),
            network_id: p.network_id.clone(),
            mac: p.mac_address.clone(),
            fixed_ips: p
                .fixed_ips
                .iter()
                .enumerate()
                .map(|(i, ip)| FixedIp { subnet_id: p.subnet_ids.get(i).cloned().unwrap_or_default(), ip: ip.clone() })
                .collect(),
            security_group_ids: p.security_group_ids.clone(),
        })
        .collect()
}

/// nova-network: the fixed addresses in the server's order, each with the
/// id of the network its label names.
fn fixed_networks(s: &WireServer, by_label: &HashMap<&str, &str>) -> Vec<FixedNetworkRecord> {
    s.addresses
        .iter()
        .flat_map(|(label, entries)| {
            let network_id = by_label.get(label.as_str()).map_or(label.clone(), |id| id.to_string());
            entries.iter().filter(|a| a.kind.as_deref().is_none_or(|k| k == "fixed")).map(move |a| FixedNetworkRecord {
                network_id: network_id.clone().into(),
                ip: a.addr.clone(),
                mac: a.mac.clone(),
            })
        })
        .collect()
}

/// nova-network: the floating addresses associated with the server, from
/// the bulk listing (`pool`: those it lists for the server) and from its
/// addresses (Nova's cache).
fn nova_floating(s: &WireServer, pool: &[&PoolAddress]) -> Vec<FloatingIpRecord> {
    let bulk = pool.iter().map(|a| a.address.clone());
    let cached = s
        .addresses
        .iter()
        .flat_map(|(_, a)| a.iter())
        .filter(|a| a.kind.as_deref() == Some("floating"))
        .map(|a| a.addr.clone());
    let addresses: BTreeSet<String> = bulk.chain(cached).collect();
    addresses.into_iter().map(|address| FloatingIpRecord { address, id: None, port_id: None }).collect()
}
