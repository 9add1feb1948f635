/*!
The batched observation: per region and resource kind one listing (paged),
whatever the number of servers: both regions' servers (`all_tenants`; the
rebuilds found by their metadata, as Nova cannot filter on it), cutover's
snapshots (Glance filters on the `cutover_migration` property), volumes,
the plan's ports by id, and nova-network addresses. A kind whose listing
failed for now stays unknown for every server (`Absent` means listed and
not there); one refused for good fails the observation.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_cloud::compute::server_states::WatchedServer;
use cutover_cloud::image::ImageState;
use cutover_core::id::{PortId, ServerId, VolumeId};
use cutover_core::machine::{ImageView, Observation, PortView, Seen, ServerView, Strategy, VolumeView};
use cutover_core::model::{ImageStatus, PoolAddress, Port, Volume};
use cutover_core::plan::{Plan, ServerPlan};
use tracing::warn;

use super::driver::{OpenStackDriver, META_MIGRATION, META_RESTORED_FROM, META_SOURCE};
use super::errors::failed;
use crate::driver::DriverError;

/// What one round of listings found; `None` for a listing that failed or
/// was not needed.
struct Listings {
    old_servers: Option<Vec<WatchedServer>>,
    new_servers: Option<Vec<WatchedServer>>,
    images: Option<Vec<ImageState>>,
    volumes: Option<Vec<Volume>>,
    ports: Option<Vec<Port>>,
    /// Each region's nova-network addresses (a Neutron region has none):
    /// (old, new).
    addresses: Option<(Vec<PoolAddress>, Vec<PoolAddress>)>,
    /// Whether each region can change an attached volume's
    /// `delete_on_termination` (2.85+).
    old_changes_deletion: bool,
    new_changes_deletion: bool,
}

pub(super) async fn observe(
    d: &OpenStackDriver,
    plan: &Plan,
    servers: &[&ServerPlan],
) -> Result<BTreeMap<ServerId, Observation>, DriverError> {
    let listings = list(d, plan, servers).await?;
    Ok(servers.iter().map(|s| (s.server.id.clone(), observation(plan, s, &listings))).collect())
}

/// A listing's result, or `None` (logged) when it failed for now. One
/// refused for good (a 4xx: an endpoint that does not serve it, a missing
/// permission) fails the round instead: the moves needing it would wait
/// for ever.
fn kept<T>(what: &str, result: Result<T, cutover_cloud::Error>) -> Result<Option<T>, DriverError> {
    match result.map_err(failed) {
        Ok(listed) => Ok(Some(listed)),
        Err(mut e) if e.permanent => {
            e.message = format!("observing {what}: {}", e.message);
            Err(e)
        }
        Err(e) => {
            warn!("observing {what}: {}", e.message);
            Ok(None)
        }
    }
}

async fn list(d: &OpenStackDriver, plan: &Plan, servers: &[&ServerPlan]) -> Result<Listings, DriverError> {
    let moves: Vec<_> = servers.iter().map(|s| plan.server_move(s)).collect();
    let snapshots = moves.iter().any(|m| m.strategy == Strategy::Snapshot);
    let volumes = moves.iter().any(|m| m.root_volume.is_some() || !m.data_volumes.is_empty());
    let port_ids: Vec<PortId> =
        moves.iter().flat_map(|m| m.ports.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    let floating = moves.iter().any(|m| !m.floating_addresses.is_empty());
    let (old_servers, new_servers, images, volumes, ports, old_addresses, new_addresses) = tokio::join!(
        d.old.server_statuses(&[]),
        d.new.server_statuses(&[]),
        async {
            match snapshots {
                true => d.old.images_with_property(META_MIGRATION, &plan.migration).await.map(Some),
                false => Ok(None),
            }
        },
        async {
            match volumes {
                true => d.old.volumes().await.map(Some),
                false => Ok(None),
            }
        },
        async {
            match port_ids.is_empty() {
                false => d.old.ports_with_ids(&port_ids).await.map(Some),
                true => Ok(None),
            }
        },
        async {
            match floating {
                true => d.old.pool_addresses().await,
                false => Ok(None),
            }
        },
        async {
            match floating {
                true => d.new.pool_addresses().await,
                false => Ok(None),
            }
        },
    );
    // Without either region's servers no step can decide anything: say
    // why rather than hand back an empty observation.
    let (old_servers, new_servers) = match (old_servers, new_servers) {
        (Err(e), Err(_)) => return Err(failed(e)),
        (old, new) => (kept("old servers", old)?, kept("new servers", new)?),
    };
    let addresses = match (kept("old addresses", old_addresses)?, kept("new addresses", new_addresses)?) {
        (Some(old), Some(new)) => Some((old.unwrap_or_default(), new.unwrap_or_default())),
        _ => None,
    };
    Ok(Listings {
        old_servers,
        new_servers,
        images: kept("snapshots", images)?.flatten(),
        volumes: kept("volumes", volumes)?.flatten(),
        ports: kept("ports", ports)?.flatten(),
        addresses,
        old_changes_deletion: d.old.can_keep_root_volume(),
        new_changes_deletion: d.new.can_keep_root_volume(),
    })
}

fn view(s: &WatchedServer) -> ServerView {
    ServerView {
        id: s.id.clone(),
        status: s.status,
        task_state: s.task_state.clone(),
        fault: s.fault.clone(),
        tags: s.tags.clone(),
    }
}

/// The first server `matches` picks from a listing, as last seen.
fn find(listing: &Option<Vec<WatchedServer>>, matches: impl Fn(&WatchedServer) -> bool) -> Seen<ServerView> {
    match listing {
        None => Seen::Unknown,
        Some(servers) => servers.iter().find(|s| matches(s)).map_or(Seen::Absent, |s| Seen::Present(view(s))),
    }
}

fn tagged(s: &WatchedServer, plan: &Plan, key: &str, source: &str) -> bool {
    s.metadata.get(META_MIGRATION) == Some(&plan.migration) && s.metadata.get(key).map(String::as_str) == Some(source)
}

/// Of several images with the snapshot's name, the one furthest along: an
/// active one, else one in progress, else a failed one (to be deleted).
fn snapshot(images: &[ImageState], name: &str) -> Option<ImageView> {
    let rank = |i: &ImageState| match i.status {
        ImageStatus::Active => 0,
        gone if gone.is_gone() => 2,
        _ => 1,
    };
    images.iter().filter(|i| i.name.as_deref() == Some(name)).min_by_key(|i| rank(i)).map(|i| ImageView {
        id: i.id.clone(),
        status: i.status,
        size: i.size,
        checksum: i.checksum.clone(),
    })
}

/// `delete_on_termination` of the root volume on the first server
/// `matches` picks from a listing (2.3+ shows it).
fn root_delete_flag(
    listing: &Option<Vec<WatchedServer>>,
    root: Option<&VolumeId>,
    matches: impl Fn(&WatchedServer) -> bool,
) -> Seen<bool> {
    match (listing, root) {
        (Some(servers), Some(root)) => servers
            .iter()
            .find(|s| matches(s))
            .and_then(|s| s.volumes.iter().find(|(v, _)| v == root))
            .and_then(|(_, delete)| *delete)
            .map_or(Seen::Unknown, Seen::Present),
        _ => Seen::Unknown,
    }
}

/// Where each of the server's nova-network addresses is. The same address
/// exists in both regions (sync recreated it): on the server that leaves
/// in one, on its rebuild in the other while a `redeploy` keeps its source
/// (or a move back its server in the new region). A step asks about the
/// rebuild, so a rebuild holding the address comes first: the server
/// restored in the old region (a rollback, a move back), then the target
/// in the new one.
fn floating(
    wanted: &[String],
    old: &[PoolAddress],
    new: &[PoolAddress],
    restored: &Seen<ServerView>,
    target: &Seen<ServerView>,
) -> BTreeMap<String, Option<ServerId>> {
    let on = |a: &PoolAddress| a.instance_id.clone().filter(|i| !i.is_empty());
    let rebuilds = [(old, restored.present()), (new, target.present())];
    wanted
        .iter()
        .filter(|address| old.iter().chain(new).any(|a| &a.address == *address))
        .map(|address| {
            let in_rebuild = rebuilds.iter().find_map(|(listing, rebuild)| {
                let rebuild = rebuild.as_ref()?;
                listing.iter().find(|a| &a.address == address && on(a).as_deref() == Some(rebuild.id.as_str()))
            });
            let any = || old.iter().chain(new).filter(|a| &a.address == address).find_map(on);
            (address.clone(), in_rebuild.and_then(on).or_else(any))
        })
        .collect()
}

fn observation(plan: &Plan, planned: &ServerPlan, l: &Listings) -> Observation {
    let m = plan.server_move(planned);
    let id = m.source.as_str();
    let source = find(&l.old_servers, |s| s.id == id);
    let is_target = |s: &WatchedServer| tagged(s, plan, META_SOURCE, id);
    let root_delete_on_termination = root_delete_flag(&l.old_servers, m.root_volume.as_ref(), |s| s.id == id);
    let target_root_delete_on_termination = root_delete_flag(&l.new_servers, m.root_volume.as_ref(), is_target);
    let delete_on_termination = [(&l.old_servers, l.old_changes_deletion), (&l.new_servers, l.new_changes_deletion)]
        .into_iter()
        .flat_map(|(listing, changes)| listing.iter().flatten().map(move |s| (s, changes)))
        .filter(|(s, _)| s.id == id || is_target(s) || tagged(s, plan, META_RESTORED_FROM, id))
        .map(|(s, changes)| {
            let flags = s.volumes.iter().map(|(volume, delete)| (volume.clone(), delete.filter(|_| changes))).collect();
            (s.id.clone(), flags)
        })
        .collect();
    let image_named = |name: &str| match &l.images {
        Some(images) => snapshot(images, name).map_or(Seen::Absent, Seen::Present),
        None => Seen::Unknown,
    };
    let wanted: BTreeSet<&VolumeId> = m.root_volume.iter().chain(&m.data_volumes).collect();
    let volumes = l
        .volumes
        .iter()
        .flatten()
        .filter(|v| wanted.contains(&v.id))
        .map(|v| (v.id.clone(), VolumeView { status: v.status, attached_to: v.attached_to.clone() }))
        .collect();
    let ports = l
        .ports
        .iter()
        .flatten()
        .filter(|p| m.ports.contains(&p.id))
        .map(|p| (p.id.clone(), PortView { device_id: p.device_id.clone() }))
        .collect();
    let target = find(&l.new_servers, is_target);
    let restored = find(&l.old_servers, |s| tagged(s, plan, META_RESTORED_FROM, id));
    let floating_ips = match &l.addresses {
        Some((old, new)) => floating(&m.floating_addresses, old, new, &restored, &target),
        None => BTreeMap::new(),
    };
    Observation {
        source,
        target,
        restored,
        image: image_named(&m.snapshot_name),
        back_image: image_named(&m.back_snapshot_name()),
        root_delete_on_termination,
        target_root_delete_on_termination,
        delete_on_termination,
        volumes,
        ports,
        floating_ips,
        // The engine knows which of its boots were refused, not the clouds.
        refused: None,
    }
}
