/*!
Each action, safe to repeat: a state the action wants that is already
there is success (a 409 for a stop of a stopped server, a 404 for a delete
of what is gone), and a create first looks for what an earlier attempt
made (an image by its name, a server by its metadata, see [`super::boot`]).
*/

use std::collections::BTreeMap;

use cutover_cloud::{Error as CloudError, RegionClient};
use cutover_core::machine::{Action, Side};
use cutover_core::plan::{Plan, ServerPlan};

use super::boot;
use super::driver::{OpenStackDriver, META_MIGRATION, META_SOURCE};
use super::errors::failed;
use crate::driver::DriverError;

pub(super) async fn execute(
    d: &OpenStackDriver,
    plan: &Plan,
    planned: &ServerPlan,
    action: &Action,
) -> Result<(), DriverError> {
    match action {
        Action::StopServer { side, server } => {
            ok_if(d.region(*side).stop_server(server).await, CloudError::is_conflict)
        }
        Action::StartServer { side, server } => {
            ok_if(d.region(*side).start_server(server).await, CloudError::is_conflict)
        }
        Action::CreateImage { side, server, name } => create_image(d, plan, *side, server, name).await,
        Action::DeleteImage { image } => ok_if(d.old.delete_image(image).await, CloudError::is_not_found),
        Action::KeepRootVolume { side, server, volume } => {
            let region = d.region(*side);
            if !region.can_keep_root_volume() {
                return Err(DriverError::refused(format!(
                    "{} offers compute {} : a root volume's delete_on_termination can be changed from 2.85 only, \
                     so strategy volume cannot keep it there (plan snapshot instead)",
                    region.region(),
                    region.compute_versions()
                )));
            }
            region.set_delete_on_termination(server, volume, false).await.map_err(failed)
        }
        Action::DeleteWithServer { side, server, volume } => {
            d.region(*side).set_delete_on_termination(server, volume, true).await.map_err(failed)
        }
        Action::DetachVolume { side, server, volume } => {
            ok_if(d.region(*side).detach_volume(server, volume).await, CloudError::is_not_found)
        }
        Action::AttachVolume { side, server, volume } => attach_volume(d.region(*side), server, volume).await,
        Action::ReleasePort { port } => d.old.set_port_device(port, "", "").await.map_err(failed),
        Action::ClaimPort { side, port, server } => claim_port(d, *side, port, server).await,
        Action::DeleteServer { side, server } => {
            ok_if(d.region(*side).delete_server(server).await, CloudError::is_not_found)
        }
        Action::BootServer { side, source } => boot::boot(d, plan, planned, *side, source).await,
        Action::AddFloatingIp { side, server, address } => add_floating_ip(d.region(*side), server, address).await,
        Action::SetTags { side, server, tags } => d.region(*side).set_server_tags(server, tags).await.map_err(failed),
    }
}

/// Success, or an error that `done` says means the wanted state is there.
fn ok_if(result: Result<(), CloudError>, done: fn(&CloudError) -> bool) -> Result<(), DriverError> {
    match result {
        Err(e) if !done(&e) => Err(failed(e)),
        _ => Ok(()),
    }
}

/// `createImage` in the server's region; Glance, shared, is asked through
/// the old region's connection.
async fn create_image(
    d: &OpenStackDriver,
    plan: &Plan,
    side: Side,
    server: &str,
    name: &str,
) -> Result<(), DriverError> {
    let images = d.old.images_with_property(META_MIGRATION, &plan.migration).await.map_err(failed)?;
    let made = images.iter().any(|i| i.name.as_deref() == Some(name) && !i.status.is_gone());
    if made {
        return Ok(());
    }
    let metadata = BTreeMap::from([
        (META_MIGRATION.to_string(), plan.migration.clone()),
        (META_SOURCE.to_string(), server.to_string()),
    ]);
    d.region(side).create_server_image(server, name, &metadata).await.map(drop).map_err(failed)
}

/// A port given to `server` as Nova gives it at boot: device, owner
/// `compute:<its zone>`, bound to its host. Neutron is shared: the old
/// region's connection speaks to it.
async fn claim_port(d: &OpenStackDriver, side: Side, port: &str, server: &str) -> Result<(), DriverError> {
    let region = d.region(side);
    let Some(place) = region.server_place(server).await.map_err(failed)? else {
        return Err(DriverError::refused(format!(
            "{}: server {server} is gone: port {port} not given to it",
            region.region()
        )));
    };
    let owner = format!("compute:{}", place.zone.as_deref().unwrap_or("nova"));
    d.old.claim_port(port, server, &owner, place.host.as_deref()).await.map_err(failed)
}

async fn attach_volume(region: &RegionClient, server: &str, volume: &str) -> Result<(), DriverError> {
    if region.volume_attached(server, volume).await.map_err(failed)? {
        return Ok(());
    }
    match region.attach_volume(server, volume).await {
        Ok(()) => Ok(()),
        // An attach whose answer was lost: it is there now.
        Err(e) => match region.volume_attached(server, volume).await {
            Ok(true) => Ok(()),
            _ => Err(failed(e)),
        },
    }
}

async fn add_floating_ip(region: &RegionClient, server: &str, address: &str) -> Result<(), DriverError> {
    let Err(e) = region.add_floating_ip(server, address).await else { return Ok(()) };
    let on_server = region
        .pool_addresses()
        .await
        .ok()
        .flatten()
        .is_some_and(|all| all.iter().any(|a| a.address == address && a.instance_id.as_deref() == Some(server)));
    if on_server {
        Ok(())
    } else {
        Err(failed(e))
    }
}
