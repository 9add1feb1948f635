/*!
What the new region offers the planned moves ([`Offer`]): its flavors and
who may use them, its server groups, the key pairs and images redeploys
boot with, each project's quota left. A part that cannot be read is left
unknown (not checked); Nova then decides, and a refusal is turned back.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_core::id::{FlavorId, ImageId, ProjectId, UserId};
use cutover_core::machine::Strategy;
use cutover_core::model::ImageStatus;
use cutover_core::plan::Plan;
use cutover_core::readiness::{FlavorAccess, Headroom, Offer};

use super::driver::OpenStackDriver;

pub(super) async fn offer(d: &OpenStackDriver, plan: &Plan) -> Offer {
    let moving: Vec<_> = plan.servers().map(|(_, s)| s).filter(|s| s.strategy != Strategy::Wait).collect();
    let redeploys = || moving.iter().filter(|s| s.strategy == Strategy::Redeploy).map(|s| &s.server);
    let users: BTreeSet<&str> = redeploys().filter(|r| r.key_name.is_some()).map(|r| r.user_id.as_str()).collect();
    let images: BTreeSet<&str> = redeploys().filter_map(|r| r.image_id.as_deref()).collect();
    let projects: BTreeSet<&str> = moving.iter().map(|s| s.server.project_id.as_str()).collect();
    let (flavors, groups, keypairs, images, quotas) =
        tokio::join!(flavors(d), groups(d), keypairs(d, &users), self::images(d, &images), quotas(d, &projects));
    Offer { region: plan.clouds.new_region.clone(), flavors, groups, keypairs, images, quotas }
}

/// Logs a part that could not be read: it goes unchecked.
fn known<T>(what: &str, read: cutover_cloud::Result<T>) -> Option<T> {
    read.map_err(|e| tracing::warn!("reading the new region's {what} failed, not checked before each move: {e}")).ok()
}

async fn flavors(d: &OpenStackDriver) -> Option<BTreeMap<FlavorId, FlavorAccess>> {
    let flavors = known("flavors", d.new.flavors().await)?;
    Some(flavors.into_iter().map(|f| (f.id, FlavorAccess { public: f.is_public, projects: f.access })).collect())
}

async fn groups(d: &OpenStackDriver) -> Option<BTreeSet<(ProjectId, String)>> {
    let groups = known("server groups", d.new.server_groups().await)?;
    // Below 2.13 a group shows no owner: nothing to check it by.
    let owned: Option<Vec<(ProjectId, String)>> = groups.into_iter().map(|g| Some((g.project_id?, g.name))).collect();
    Some(owned?.into_iter().collect())
}

async fn keypairs(d: &OpenStackDriver, users: &BTreeSet<&str>) -> Option<BTreeSet<(UserId, String)>> {
    if users.is_empty() || !d.new.keypairs_for_users() {
        return None;
    }
    let own = d.new.scope().user_id;
    let mut found = BTreeSet::new();
    for user in users {
        for key in known("key pairs", d.new.keypairs(Some(user), &own).await)? {
            found.insert((key.user_id, key.name));
        }
    }
    Some(found)
}

async fn images(d: &OpenStackDriver, ids: &BTreeSet<&str>) -> Option<BTreeMap<ImageId, ImageStatus>> {
    let mut found = BTreeMap::new();
    for id in ids {
        if let Some(image) = known("images", d.new.image(id).await)? {
            found.insert(image.id, image.status);
        }
    }
    Some(found)
}

async fn quotas(d: &OpenStackDriver, projects: &BTreeSet<&str>) -> BTreeMap<ProjectId, Headroom> {
    let mut found = BTreeMap::new();
    for project in projects {
        let Some(usage) = known("quotas", d.new.quota_usage(project).await) else { continue };
        let left = |key: &str| usage.get(key).and_then(|(limit, used)| Headroom::left(*limit, *used));
        let headroom = Headroom { instances: left("instances"), cores: left("cores"), ram_mib: left("ram") };
        found.insert((*project).into(), headroom);
    }
    found
}
