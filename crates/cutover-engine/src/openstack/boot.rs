/*!
`BootServer`: the rebuild, found first (new region: metadata
`cutover_source`; old region after a failed move: `cutover_restored_from`),
else booted in the source's project with a token scoped to it, carrying
what the source had: name, flavor (same id: sync copied flavors), image or
root volume, its ports (Neutron) or fixed addresses (nova-network), user
data, metadata, tags, description, zone (in the new region after the
plan's zone map), server group (the booting
region's, found by name in the project), security groups and config drive.

The keypair: Nova looks `key_name` up among the *booting* user's keys, so
cutover's user holds the owner's public key under the original name for
the boot ([`super::keys`]); when it has another key of its own under that
name, a copy with a per-move name is used instead and reported. The
original name is also kept in the metadata (`cutover_key_name`).
*/

use cutover_cloud::compute::boot::{BootDisk, BootRequest, Nic};
use cutover_cloud::compute::server_states::exact_name_regex;
use cutover_cloud::{Error as CloudError, RegionClient};
use cutover_core::id::ServerGroupId;
use cutover_core::machine::{BootSource, Side, Strategy};
use cutover_core::plan::{Plan, ServerPlan};
use cutover_journal::Ledger;
use std::sync::Arc;
use tracing::warn;

use super::keys::{Held, PublicKey, CLASH_PREFIX};

use super::driver::{
    OpenStackDriver, META_KEY_NAME, META_MIGRATION, META_ORIGINAL_USER, META_RESTORED_FROM, META_SOURCE,
};
use super::errors::failed;
use crate::driver::DriverError;

/// The metadata key that ties a rebuild on `side` to its source.
fn marker(side: Side) -> &'static str {
    match side {
        Side::New => META_SOURCE,
        Side::Old => META_RESTORED_FROM,
    }
}

pub(super) async fn boot(
    d: &OpenStackDriver,
    plan: &Plan,
    planned: &ServerPlan,
    side: Side,
    source: &BootSource,
) -> Result<(), DriverError> {
    let region = d.region(side);
    let record = &planned.server;
    let key_copy = plan.snapshot_name(&record.id);
    if booted(region, plan, planned, side).await? {
        return forget_key(region, &key_copy).await;
    }
    let mut request = request(d, plan, planned, side, source).await?;
    let key = match &record.key_name {
        Some(name) => hold_key(d, plan, planned, region, name).await?,
        None => KeyUse::None,
    };
    request.key_name = key.name(record.key_name.as_deref(), &key_copy);
    let version = BootRequest::version(region);
    let dropped = request.dropped(version);
    if !dropped.is_empty() {
        warn!(server = %record.id, region = region.region(), "compute {version} cannot keep {}", dropped.join(", "));
    }
    // Whatever came of it, the key is given back before anything returns.
    let sent = async {
        let scoped = d.grants.acquire(&d.old, &record.project_id, region.region()).await?;
        let booted = scoped.boot_server(&request).await;
        drop(scoped);
        Ok::<_, CloudError>((booted, d.grants.release(&d.old, &record.project_id).await))
    }
    .await;
    match (&key, &record.key_name) {
        (KeyUse::Original(ledger), Some(name)) => d.keys.release(ledger, region, name).await?,
        (KeyUse::Copy, _) => forget_key(region, &key_copy).await?,
        _ => {}
    }
    let (booted, released) = sent.map_err(failed)?;
    if let Err(e) = booted {
        return Err(match held_by_deleted(region, &e).await {
            Some(why) => DriverError::temporary(why).caused_by(e),
            None => failed(e),
        });
    }
    if let Err(e) = released {
        warn!(project = %record.project_id, "revoking role cutover: {e} (the sweep at the end retries)");
    }
    Ok(())
}

/// Whether the rebuild exists already (an earlier attempt whose answer
/// was lost): a listing narrowed by project and name, then the metadata.
async fn booted(region: &RegionClient, plan: &Plan, planned: &ServerPlan, side: Side) -> Result<bool, DriverError> {
    let record = &planned.server;
    let name = exact_name_regex(&record.name);
    let found = region.server_statuses(&[("project_id", &record.project_id), ("name", &name)]).await.map_err(failed)?;
    Ok(found.iter().any(|s| {
        s.metadata.get(META_MIGRATION) == Some(&plan.migration)
            && s.metadata.get(marker(side)).map(String::as_str) == Some(record.id.as_str())
    }))
}

async fn request(
    d: &OpenStackDriver,
    plan: &Plan,
    planned: &ServerPlan,
    side: Side,
    source: &BootSource,
) -> Result<BootRequest, DriverError> {
    let record = &planned.server;
    let mut metadata = record.metadata.clone();
    metadata.insert(META_MIGRATION.into(), plan.migration.clone());
    metadata.insert(marker(side).into(), record.id.to_string());
    metadata.insert(META_ORIGINAL_USER.into(), record.user_id.to_string());
    if let Some(key) = &record.key_name {
        metadata.insert(META_KEY_NAME.into(), key.clone());
    }
    let nics = if !record.ports.is_empty() {
        record.ports.iter().map(|p| Nic::Port(p.id.clone())).collect()
    } else {
        fixed_nics(d, planned, side).await?
    };
    // Neutron ports carry their security groups; nova-network servers name theirs.
    let security_groups = if record.ports.is_empty() { record.security_groups.clone() } else { Vec::new() };
    Ok(BootRequest {
        name: record.name.clone(),
        flavor_id: record.flavor_id.clone(),
        disk: Some(match source {
            BootSource::Image { id } => BootDisk::Image(id.clone()),
            BootSource::Volume { id } => BootDisk::Volume(id.clone()),
        }),
        nics,
        key_name: None,
        user_data: record.user_data.clone(),
        metadata,
        tags: record.tags.clone(),
        description: record.description.clone(),
        // The plan's zone map says where a zone the new region lacks goes.
        availability_zone: match side {
            Side::New => plan.new_zone(record),
            Side::Old => record.availability_zone.clone(),
        },
        group: group(d, planned, side).await?,
        security_groups,
        config_drive: record.config_drive,
    })
}

/// nova-network: each fixed address on the booting region's network of
/// the same label (the new region's networks have their own ids).
async fn fixed_nics(d: &OpenStackDriver, planned: &ServerPlan, side: Side) -> Result<Vec<Nic>, DriverError> {
    let fixed = &planned.server.fixed_networks;
    if fixed.is_empty() || side == Side::Old {
        return Ok(fixed.iter().map(|f| Nic::Fixed { network: f.network_id.clone(), ip: f.ip.clone() }).collect());
    }
    let (old, new) = tokio::try_join!(d.old.fixed_networks(), d.new.fixed_networks()).map_err(failed)?;
    fixed
        .iter()
        .map(|f| {
            let label = old.iter().find(|n| n.id == f.network_id).map(|n| n.name.as_str());
            let network = new.iter().find(|n| Some(n.name.as_str()) == label).ok_or_else(|| {
                DriverError::refused(format!(
                    "{}: no nova-network network labelled like {}'s network {} (create it before moving servers)",
                    d.new.region(),
                    d.old.region(),
                    f.network_id
                ))
            })?;
            Ok(Nic::Fixed { network: network.id.clone(), ip: f.ip.clone() })
        })
        .collect()
}

/// nova-network keeps a deleted server's fixed IP associated with it for a
/// while (until nova-dhcpbridge hears the DHCP release `force_dhcp_release`
/// sends, else `fixed_ip_disassociate_timeout`, 600 s by default), and a
/// boot asking for it meanwhile is refused with Nova's `FixedIpAlreadyInUse`
/// (400) naming that server: the address of a source just deleted, or of a
/// failed rebuild. Refused for now, not for good: the reason, when the
/// holder is gone.
async fn held_by_deleted(region: &RegionClient, e: &CloudError) -> Option<String> {
    let CloudError::Call(call) = e else { return None };
    if call.status.map(|s| s.as_u16()) != Some(400) {
        return None;
    }
    let (_, rest) = call.message.split_once("Fixed IP address ")?;
    let (ip, holder) = rest.split_once(" is already in use on instance ")?;
    // The message may come wrapped in the body's JSON: the id is what follows.
    let holder: String = holder.chars().take_while(|c| c.is_ascii_hexdigit() || *c == '-').collect();
    if holder.is_empty() || region.server_exists(&holder).await.ok()? {
        return None;
    }
    Some(format!(
        "{}: fixed IP {ip} is still held by deleted server {holder}; nova-network frees it once the DHCP release \
         is heard (force_dhcp_release) or after fixed_ip_disassociate_timeout: retrying",
        region.region()
    ))
}

/// The booting region's server group: the old one itself, or in the new
/// region the one sync created with the same name in the same project.
async fn group(d: &OpenStackDriver, planned: &ServerPlan, side: Side) -> Result<Option<ServerGroupId>, DriverError> {
    let record = &planned.server;
    let Some(group) = &record.server_group else { return Ok(None) };
    if side == Side::Old {
        return Ok(Some(group.id.clone()));
    }
    let groups = d.new.server_groups().await.map_err(failed)?;
    let mut same =
        groups.iter().filter(|g| g.name == group.name && g.project_id.as_deref() == Some(record.project_id.as_str()));
    match (same.next(), same.next()) {
        (Some(found), None) => Ok(Some(found.id.clone())),
        (None, _) => Err(DriverError::refused(format!(
            "{}: no server group {} in project {} (cutover sync creates it)",
            d.new.region(),
            group.name,
            record.project_id
        ))),
        (Some(_), Some(_)) => Err(DriverError::refused(format!(
            "{}: server group name {} is used twice in project {}",
            d.new.region(),
            group.name,
            record.project_id
        ))),
    }
}

/// How a boot names the owner's key.
enum KeyUse {
    /// Without a key (the owner's cannot be read).
    None,
    /// Under its own name, held until the boot is sent.
    Original(Arc<Ledger>),
    /// A copy under the per-move name, deleted after the boot.
    Copy,
}

impl KeyUse {
    fn name(&self, original: Option<&str>, copy: &str) -> Option<String> {
        match self {
            KeyUse::None => None,
            KeyUse::Original(_) => original.map(str::to_string),
            KeyUse::Copy => Some(copy.to_string()),
        }
    }
}

/// Makes cutover's user hold the owner's key `name` for the boot: under
/// that name, or when its user has another key so named (or no run gave a
/// ledger to record the copy in), as a copy with the per-move name.
async fn hold_key(
    d: &OpenStackDriver,
    plan: &Plan,
    planned: &ServerPlan,
    region: &RegionClient,
    name: &str,
) -> Result<KeyUse, DriverError> {
    let record = &planned.server;
    let Some(key) = owner_key(region, planned, name).await? else { return Ok(KeyUse::None) };
    let clash_key = format!("{CLASH_PREFIX}{}", record.id);
    if let Some(ledger) = d.keys.ledger() {
        match d.keys.acquire(&ledger, region, name, &key).await? {
            Held::Original => {
                // An earlier boot's fallback is no longer what the server shows.
                if let Err(e) = ledger.remove_value(&clash_key) {
                    warn!(server = %record.id, "forgetting a key pair clash: {e}");
                }
                return Ok(KeyUse::Original(ledger));
            }
            Held::Clash(why) => {
                warn!(server = %record.id, "{why}");
                ledger.set_value(&clash_key, &why).map_err(failed_record)?;
            }
        }
    }
    let copy = plan.snapshot_name(&record.id);
    match region.import_own_keypair(&copy, &key.public_key, &key.kind).await {
        Ok(()) => Ok(KeyUse::Copy),
        // Left by an attempt that stopped before deleting it.
        Err(e) if e.is_conflict() => Ok(KeyUse::Copy),
        Err(e) => Err(failed(e)),
    }
}

fn failed_record(e: cutover_journal::Error) -> DriverError {
    DriverError::temporary(format!("recording a key pair clash: {e}")).caused_by(e)
}

/// The owner's public key `name`; `None` when it cannot be read, which
/// only a `redeploy` (a fresh first boot) cannot do without.
async fn owner_key(region: &RegionClient, planned: &ServerPlan, name: &str) -> Result<Option<PublicKey>, DriverError> {
    let record = &planned.server;
    let own = region.scope().user_id;
    let owner_key = match region.keypairs_for_users() {
        true => {
            region.keypairs(Some(&record.user_id), &own).await.map_err(failed)?.into_iter().find(|k| k.name == name)
        }
        false => None,
    };
    let Some(key) = owner_key else {
        let why = format!(
            "{}: keypair {name} of user {} cannot be read (gone, or compute below 2.10)",
            region.region(),
            record.user_id
        );
        if planned.strategy == Strategy::Redeploy {
            return Err(DriverError::refused(format!("{why}: a redeployed server would boot without its key")));
        }
        warn!(server = %record.id, "{why}: booting without it (the disk keeps its authorized keys)");
        return Ok(None);
    };
    Ok(Some(PublicKey { public_key: key.public_key, kind: key.kind }))
}

async fn forget_key(region: &RegionClient, copy: &str) -> Result<(), DriverError> {
    match region.delete_own_keypair(copy).await {
        Err(e) if !e.is_not_found() => Err(failed(e)),
        _ => Ok(()),
    }
}
