/*!
The old hosts as the host machine sees them, in a few listings per round
whatever the number of hosts: both regions' `nova-compute` services,
hypervisors and aggregates, and the old region's servers grouped by host. A host that the
batch shows empty is asked about once more on its own (`host=` filter),
so "empty" never rests on one listing. And the new region's hosts with
their free room, for admission; a rejoined host put into its aggregates.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_cloud::compute::server_states::WatchedServer;
use cutover_core::id::HostName;
use cutover_core::machine::host::{HostObservation, ServiceView};
use cutover_core::machine::Seen;
use cutover_core::model::{Aggregate, ComputeService, Hypervisor};
use cutover_core::preflight::capacity::free;
use cutover_core::preflight::AllocationRatios;
use cutover_core::room::{HostRoom, Room};

use super::driver::OpenStackDriver;
use super::errors::failed;
use crate::driver::{DriverError, NewRegion};

/// The new region's enabled, up computes and the room each has free (at
/// Nova's default allocation ratios, as preflight counts it).
pub(super) async fn new_region(d: &OpenStackDriver) -> Result<NewRegion, DriverError> {
    let (services, hypervisors) = tokio::join!(d.new.compute_services(), d.new.hypervisors());
    let services = services.map_err(failed)?;
    let taking: Vec<&ComputeService> =
        services.iter().filter(|s| s.binary == "nova-compute" && s.enabled && s.up).collect();
    let rooms: Vec<HostRoom> = match hypervisors {
        Ok(hypervisors) => taking
            .iter()
            .filter_map(|s| {
                let free = free(hypervisor(&hypervisors, &s.host)?, AllocationRatios::default())?;
                Some(HostRoom { host: s.host.clone(), zone: s.zone.clone(), free })
            })
            .collect(),
        Err(e) => {
            tracing::warn!("listing the new region's hypervisors failed; moves paced by the limits alone: {e}");
            Vec::new()
        }
    };
    let room = (!rooms.is_empty()).then(|| Room::new(rooms));
    let enabled = services.iter().filter(|s| s.binary == "nova-compute" && s.enabled).map(|s| s.host.clone()).collect();
    Ok(NewRegion { hosts: taking.len(), enabled, room })
}

pub(super) async fn observe_hosts(
    d: &OpenStackDriver,
    hosts: &[&HostName],
) -> Result<BTreeMap<HostName, HostObservation>, DriverError> {
    let (old_services, old_servers, old_hypervisors, new_services, new_hypervisors, old_aggregates, new_aggregates) = tokio::join!(
        d.old.compute_services(),
        d.old.server_statuses(&[]),
        d.old.hypervisors(),
        d.new.compute_services(),
        d.new.hypervisors(),
        d.old.aggregates(),
        d.new.aggregates(),
    );
    let old_services = old_services.map_err(failed)?;
    let old_servers = old_servers.map_err(failed)?;
    let old_hypervisors = old_hypervisors.map_err(failed)?;
    let new_services = new_services.map_err(failed)?;
    let new_hypervisors = new_hypervisors.map_err(failed)?;
    let (old_aggregates, new_aggregates) = (old_aggregates.map_err(failed)?, new_aggregates.map_err(failed)?);
    let mut seen = BTreeMap::new();
    for &host in hosts {
        let mut obs = HostObservation {
            old_service: service(&old_services, host),
            new_service: service(&new_services, host),
            new_hypervisor: Seen::Present(hypervisor(&new_hypervisors, host).is_some()),
            old_aggregates: Seen::Present(holding(&old_aggregates, host)),
            new_aggregates: Seen::Present(holding(&new_aggregates, host)),
            ..HostObservation::default()
        };
        let on_host: Vec<&WatchedServer> =
            old_servers.iter().filter(|s| s.host.as_deref() == Some(host.as_str())).collect();
        let (mut listed, mut busy) = counts(on_host.iter().copied());
        let running = hypervisor(&old_hypervisors, host).and_then(|h| h.resources).map(|r| r.running_vms as u32);
        if listed == 0 && running == Some(0) {
            // The batch says empty: ask Nova about this host alone.
            let alone = d.old.server_statuses(&[("host", host.as_str())]).await.map_err(failed)?;
            (listed, busy) = counts(alone.iter());
        }
        obs.listed_servers = Seen::Present(listed);
        obs.busy_servers = Seen::Present(busy);
        obs.running_vms = running.map_or(Seen::Unknown, Seen::Present);
        seen.insert(host.clone(), obs);
    }
    Ok(seen)
}

/// Servers listed, and those of them with a task under way.
fn counts<'a>(servers: impl Iterator<Item = &'a WatchedServer>) -> (u32, u32) {
    servers.fold((0, 0), |(listed, busy), s| (listed + 1, busy + u32::from(s.task_state.is_some())))
}

fn service(services: &[ComputeService], host: &str) -> Seen<ServiceView> {
    services.iter().find(|s| s.binary == "nova-compute" && s.host == host).map_or(Seen::Absent, |s| {
        Seen::Present(ServiceView { enabled: s.enabled, up: s.up, disabled_reason: s.disabled_reason.clone() })
    })
}

/// The names of the aggregates listing `host`.
fn holding(aggregates: &[Aggregate], host: &str) -> BTreeSet<String> {
    aggregates.iter().filter(|a| a.hosts.contains(host)).map(|a| a.name.clone()).collect()
}

/// Adds `host` to the new region's aggregates named `names` it is not in
/// yet. Sync made them, by the old region's names; one missing is a
/// refusal for good, named.
pub(super) async fn join_aggregates(d: &OpenStackDriver, host: &str, names: &[String]) -> Result<(), DriverError> {
    let aggregates = d.new.aggregates().await.map_err(failed)?;
    for name in names {
        let mut same = aggregates.iter().filter(|a| a.name == *name);
        let aggregate = match (same.next(), same.next()) {
            (Some(one), None) => one,
            (None, _) => {
                return Err(DriverError::refused(format!(
                    "{}: no aggregate {name} for host {host} to join (cutover sync copies it)",
                    d.new.region()
                )))
            }
            (Some(_), Some(_)) => {
                return Err(DriverError::refused(format!("{}: aggregate name {name} is used twice", d.new.region())))
            }
        };
        if aggregate.hosts.contains(host) {
            continue;
        }
        match d.new.add_aggregate_host(aggregate.id, host).await {
            // Added meanwhile (an earlier attempt whose answer was lost).
            Err(e) if e.is_conflict() => {}
            other => other.map_err(failed)?,
        }
    }
    Ok(())
}

fn hypervisor<'a>(hypervisors: &'a [Hypervisor], host: &str) -> Option<&'a Hypervisor> {
    hypervisors.iter().find(|h| h.service_host.as_deref().unwrap_or(&h.hostname) == host)
}
