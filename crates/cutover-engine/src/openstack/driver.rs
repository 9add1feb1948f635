/*!
The real driver's connections: both regions of one cloud as admin
([`OpenStackDriver`]), the cutover metadata every rebuild carries, and
whether the two regions can be moved between at all.
*/

use cutover_cloud::{Error as CloudError, Profile, RegionClient, RetryPolicy};
use cutover_core::machine::Side;
use cutover_core::preflight::networking_mode;

use super::grants::Grants;
use super::keys::KeyCopies;

/// Metadata on every server cutover boots: the run it belongs to.
pub const META_MIGRATION: &str = "cutover_migration";
/// On a rebuild in the new region (and on the snapshot): the source's id.
pub const META_SOURCE: &str = "cutover_source";
/// On a rebuild in the old region after a failed move: the source's id.
pub const META_RESTORED_FROM: &str = "cutover_restored_from";
/// The source's owner, whom the rebuild cannot belong to.
pub const META_ORIGINAL_USER: &str = "cutover_original_user";
/// The keypair the source was booted with (the rebuild names it too,
/// unless cutover's user has another key under that name).
pub const META_KEY_NAME: &str = "cutover_key_name";

/// The real driver: both regions of one cloud.
pub struct OpenStackDriver {
    pub(super) old: RegionClient,
    pub(super) new: RegionClient,
    pub(super) grants: Grants,
    pub(super) keys: KeyCopies,
}

impl OpenStackDriver {
    /// Connects to both regions as the profile's (admin) user.
    pub async fn connect(
        profile: &Profile,
        old_region: &str,
        new_region: &str,
        retry: RetryPolicy,
    ) -> Result<OpenStackDriver, CloudError> {
        let (old, new) = tokio::try_join!(
            RegionClient::connect(profile, old_region, retry.clone()),
            RegionClient::connect(profile, new_region, retry.clone()),
        )?;
        Ok(OpenStackDriver::new(old, new, profile, retry))
    }

    /// A driver over connections already made (admin tokens).
    pub fn new(old: RegionClient, new: RegionClient, profile: &Profile, retry: RetryPolicy) -> OpenStackDriver {
        OpenStackDriver { old, new, grants: Grants::new(profile, retry), keys: KeyCopies::default() }
    }

    /// Why the plan cannot run between these regions, if it cannot: they
    /// differ in networking mode (nova-network and Neutron), which no
    /// strategy moves across yet. Asked before anything changes.
    pub async fn networking_mismatch(&self) -> Option<String> {
        let (old, new) = tokio::join!(self.old.compute_services(), self.new.compute_services());
        let mode = |region: &RegionClient,
                    services: cutover_cloud::Result<Vec<cutover_core::model::ComputeService>>| {
            let services = services.map_err(|e| e.to_string());
            networking_mode(&services, region.has_network()).ok()
        };
        match (mode(&self.old, old), mode(&self.new, new)) {
            (Some(old), Some(new)) if old != new => Some(format!(
                "{} runs {old} and {} runs {new}: cutover cannot move servers between networking modes; \
                 nothing was changed",
                self.old.region(),
                self.new.region()
            )),
            _ => None,
        }
    }

    pub(super) fn region(&self, side: Side) -> &RegionClient {
        match side {
            Side::Old => &self.old,
            Side::New => &self.new,
        }
    }
}
