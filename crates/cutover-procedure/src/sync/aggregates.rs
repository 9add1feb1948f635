/*!
Aggregates and availability zones: both regions and the new region's
compute hosts read, then each aggregate created or brought level with the
hosts the operator's host map gives. Also reading the host map, and its
template for `--print-host-map`.
*/

use cutover_cloud::{Error, RegionClient};
use cutover_core::id::HostName;
use cutover_core::sync::aggregates::{self, AggregateDecision, Create};
use cutover_core::sync::{Decision, Entry, Kind};

use super::kind::{carry_out, SyncCtx};

pub async fn sync(cx: &SyncCtx) -> Vec<Entry> {
    let (old, new, hosts) = tokio::join!(cx.old.aggregates(), cx.new.aggregates(), cx.new.compute_service_hosts());
    let (old, new, hosts) = match (old, new, hosts) {
        (Ok(old), Ok(new), Ok(hosts)) => (old, new, hosts),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return vec![Entry::unreadable(Kind::Aggregate, e)],
    };
    let host_map = cx.host_map.clone().unwrap_or_default();
    if cx.host_map.is_none() && old.iter().any(|a| !a.hosts.is_empty()) {
        tracing::warn!("no host map: aggregates get no hosts (--print-host-map writes a template; use --host-map)");
    }
    let decisions = aggregates::diff(&old, &new, &host_map, &hosts);
    carry_out(Kind::Aggregate, decisions, cx.dry_run, async |d| apply(&cx.new, d).await).await
}

async fn apply(new: &RegionClient, decision: &AggregateDecision) -> Result<(), Error> {
    match decision {
        Decision::Create { create, .. } => create_whole(new, create).await,
        Decision::Update { update, .. } => {
            if !update.set_metadata.is_empty() {
                new.set_aggregate_metadata(update.id, &update.set_metadata).await?;
            }
            for host in &update.add_hosts {
                new.add_aggregate_host(update.id, host).await?;
            }
            Ok(())
        }
        Decision::Equal { .. } | Decision::Different { .. } | Decision::Fail { .. } | Decision::Waiting { .. } => {
            Ok(())
        }
    }
}

/// A POST is not retried: after a failed create, an aggregate of that name
/// found in the new region (the create went through) is filled in.
async fn create_whole(new: &RegionClient, create: &Create) -> Result<(), Error> {
    let id = match new.create_aggregate(&create.name, create.availability_zone.as_deref()).await {
        Ok(made) => made.id,
        Err(e) => match new.aggregates().await.ok().and_then(|all| all.into_iter().find(|a| a.name == create.name)) {
            Some(there) if there.availability_zone == create.availability_zone => there.id,
            _ => return Err(e),
        },
    };
    if !create.metadata.is_empty() {
        new.set_aggregate_metadata(id, &create.metadata).await?;
    }
    for host in &create.hosts {
        new.add_aggregate_host(id, host).await?;
    }
    Ok(())
}

/// `cutover sync --print-host-map`: the old region's compute hosts paired
/// in order with the new region's.
pub async fn host_map_template(cx: &SyncCtx) -> Result<String, Error> {
    let (old, new) = tokio::join!(cx.old.compute_service_hosts(), cx.new.compute_service_hosts());
    let (old, new): (Vec<HostName>, Vec<HostName>) = (old?.into_iter().collect(), new?.into_iter().collect());
    Ok(aggregates::host_map_template(&old, &new))
}
