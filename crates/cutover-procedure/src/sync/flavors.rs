/*!
Flavors: read both regions, diff, then create (with specs and access) or
bring specs, access and description level.
*/

use cutover_cloud::{Error, RegionClient};
use cutover_core::model::Flavor;
use cutover_core::sync::flavors::{self, Descriptions, FlavorDecision};
use cutover_core::sync::{Decision, Entry, Kind};

use super::kind::{carry_out, SyncCtx};

pub async fn sync(cx: &SyncCtx) -> Vec<Entry> {
    let (old, new) = tokio::join!(cx.old.flavors(), cx.new.flavors());
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => return vec![Entry::unreadable(Kind::Flavor, e)],
    };
    let descriptions =
        Descriptions { old_tells: cx.old.flavor_descriptions(), new_takes: cx.new.flavor_descriptions() };
    let decisions = flavors::diff(&old, &new, descriptions);
    carry_out(Kind::Flavor, decisions, cx.dry_run, async |d| apply(&cx.new, d).await).await
}

async fn apply(new: &RegionClient, decision: &FlavorDecision) -> Result<(), Error> {
    match decision {
        Decision::Create { create, .. } => create_whole(new, &create.flavor).await,
        Decision::Update { update, .. } => {
            if let Some(description) = &update.description {
                new.update_flavor_description(&update.id, description.as_deref()).await?;
            }
            if !update.set_specs.is_empty() {
                new.set_flavor_extra_specs(&update.id, &update.set_specs).await?;
            }
            for project in &update.add_access {
                new.add_flavor_access(&update.id, project).await?;
            }
            Ok(())
        }
        Decision::Equal { .. } | Decision::Different { .. } | Decision::Fail { .. } | Decision::Waiting { .. } => {
            Ok(())
        }
    }
}

/// A POST is not retried: after a failed create the flavor is looked up,
/// and one that is there with the same sizes (the create went through
/// after all) is filled in like a new one.
async fn create_whole(new: &RegionClient, flavor: &Flavor) -> Result<(), Error> {
    if let Err(e) = new.create_flavor(flavor).await {
        let there = new.flavors().await.ok().and_then(|all| all.into_iter().find(|f| f.id == flavor.id));
        let made_it = there.is_some_and(|f| {
            (f.name.as_str(), f.vcpus, f.ram_mib, f.disk_gib, f.is_public)
                == (flavor.name.as_str(), flavor.vcpus, flavor.ram_mib, flavor.disk_gib, flavor.is_public)
        });
        if !made_it {
            return Err(e);
        }
    }
    if !flavor.extra_specs.is_empty() {
        new.set_flavor_extra_specs(&flavor.id, &flavor.extra_specs).await?;
    }
    if !flavor.is_public {
        for project in &flavor.access {
            new.add_flavor_access(&flavor.id, project).await?;
        }
    }
    Ok(())
}
