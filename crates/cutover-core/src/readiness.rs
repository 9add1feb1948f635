/*!
Whether the new region has what a move needs, checked before the move's
first destructive step: the flavor (and access to a private one), the
server group, the key pair and image a redeploy boots with, and the
project's Nova quota there (Nova quotas are per region). A server that
fails a check is held untouched with the reason; the others go on.
*/

use std::collections::{BTreeMap, BTreeSet};

use crate::id::{FlavorId, ImageId, ProjectId, RegionName, UserId};
use crate::machine::Strategy;
use crate::model::ImageStatus;
use crate::plan::ServerPlan;
use crate::room::Load;

/// What the new region offers, as far as it was read; a part not read
/// (`None`) is not checked: Nova decides, and a refusal is turned back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offer {
    pub region: RegionName,
    /// Flavors by id: public, or the projects given access.
    pub flavors: Option<BTreeMap<FlavorId, FlavorAccess>>,
    /// Server groups by (project, name).
    pub groups: Option<BTreeSet<(ProjectId, String)>>,
    /// Key pairs by (user, name): what a redeploy's boot copies for its
    /// owner's key name.
    pub keypairs: Option<BTreeSet<(UserId, String)>>,
    /// Images by id, with their status (Glance is shared by both regions).
    pub images: Option<BTreeMap<ImageId, ImageStatus>>,
    /// What each project may still start there; a project not listed is
    /// not checked.
    pub quotas: BTreeMap<ProjectId, Headroom>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlavorAccess {
    pub public: bool,
    pub projects: BTreeSet<ProjectId>,
}

/// A project's quota left in a region: instances, cores and RAM (MiB);
/// `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Headroom {
    pub instances: Option<i64>,
    pub cores: Option<i64>,
    pub ram_mib: Option<i64>,
}

impl Headroom {
    /// Left of `limit` (Nova's -1: none) once `in_use` is taken.
    pub fn left(limit: i64, in_use: i64) -> Option<i64> {
        (limit >= 0).then(|| limit - in_use)
    }

    /// Takes one server of `load`, or says which quota it exceeds.
    fn take(&mut self, load: Load) -> Result<(), String> {
        let wanted = [
            (&mut self.instances, 1, "instances"),
            (&mut self.cores, load.vcpus as i64, "cores"),
            (&mut self.ram_mib, load.ram_mib as i64, "MiB of RAM"),
        ];
        let short: Vec<String> = wanted
            .iter()
            .filter_map(|(left, want, what)| left.filter(|left| left < want).map(|left| format!("{left} {what} left")))
            .collect();
        if !short.is_empty() {
            return Err(short.join(", "));
        }
        for (left, want, _) in wanted {
            if let Some(left) = left {
                *left -= want;
            }
        }
        Ok(())
    }
}

impl Offer {
    /// Takes `planned`'s share of its project's quota as its move starts,
    /// or says why there is none left.
    pub fn take_quota(&mut self, planned: &ServerPlan) -> Result<(), String> {
        if planned.strategy == Strategy::Wait {
            return Ok(());
        }
        let record = &planned.server;
        let Some(headroom) = self.quotas.get_mut(&record.project_id) else { return Ok(()) };
        headroom.take(planned.needs.unwrap_or_default()).map_err(|short| {
            format!(
                "project {}'s Nova quota in {} is used up ({short}); raise it there (cutover sync copies the old region's)",
                record.project_id, self.region
            )
        })
    }

    /// What the region lacks that `planned`'s move needs, if anything.
    pub fn lacks(&self, planned: &ServerPlan) -> Result<(), String> {
        let record = &planned.server;
        if planned.strategy == Strategy::Wait {
            return Ok(());
        }
        let region = &self.region;
        let sync = "(cutover sync copies it)";
        if let Some(flavors) = &self.flavors {
            match flavors.get(&record.flavor_id) {
                None => return Err(format!("flavor {} does not exist in {region} {sync}", record.flavor_id)),
                Some(f) if !f.public && !f.projects.contains(&record.project_id) => {
                    return Err(format!(
                        "flavor {} of {region} is private and project {} has no access to it {sync}",
                        record.flavor_id, record.project_id
                    ))
                }
                Some(_) => {}
            }
        }
        if let (Some(groups), Some(group)) = (&self.groups, &record.server_group) {
            if !groups.contains(&(record.project_id.clone(), group.name.clone())) {
                return Err(format!(
                    "server group {} of project {} does not exist in {region} {sync}",
                    group.name, record.project_id
                ));
            }
        }
        if planned.strategy != Strategy::Redeploy {
            return Ok(());
        }
        if let (Some(keypairs), Some(key)) = (&self.keypairs, &record.key_name) {
            if !keypairs.contains(&(record.user_id.clone(), key.clone())) {
                return Err(format!(
                    "key pair {key} of user {} does not exist in {region}, and a redeploy boots with it {sync}",
                    record.user_id
                ));
            }
        }
        if let (Some(images), Some(image)) = (&self.images, &record.image_id) {
            match images.get(image) {
                Some(ImageStatus::Active) => {}
                Some(status) => return Err(format!("image {image}, which a redeploy boots, is {status}")),
                None => return Err(format!("image {image}, which a redeploy boots, no longer exists")),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{GroupRef, ServerRecord};

    fn planned(strategy: Strategy) -> ServerPlan {
        let record: ServerRecord = serde_json::from_value(serde_json::json!({
            "id": "s1", "name": "web-1", "project_id": "p1", "user_id": "u1", "host": "old-1",
            "availability_zone": null, "status": "ACTIVE", "flavor_id": "f1", "image_id": "img-1",
            "key_name": "bob-key", "user_data": null, "metadata": {}, "tags": [], "description": null,
            "server_group": null, "security_groups": [], "ports": [], "fixed_networks": [], "volumes": [],
            "floating_ips": [], "config_drive": false, "ephemeral_gib": 0, "swap_mib": 0
        }))
        .unwrap();
        ServerPlan {
            strategy,
            why: String::new(),
            warnings: Vec::new(),
            server: record,
            needs: Some(Load { vcpus: 2, ram_mib: 2048, disk_gib: 20 }),
            after_deadline: None,
        }
    }

    fn offer() -> Offer {
        let access = FlavorAccess { public: true, projects: BTreeSet::new() };
        Offer {
            region: "RegionTwo".into(),
            flavors: Some(BTreeMap::from([("f1".into(), access)])),
            groups: Some(BTreeSet::from([("p1".into(), "web-ha".into())])),
            keypairs: Some(BTreeSet::from([("u1".into(), "bob-key".into())])),
            images: Some(BTreeMap::from([("img-1".into(), ImageStatus::Active)])),
            quotas: BTreeMap::new(),
        }
    }

    #[test]
    fn a_region_with_everything_lacks_nothing_nor_does_one_read_nothing_of() {
        assert_eq!(offer().lacks(&planned(Strategy::Redeploy)), Ok(()));
        assert_eq!(Offer::default().lacks(&planned(Strategy::Redeploy)), Ok(()));
    }

    #[test]
    fn each_missing_part_names_itself() {
        let mut no_flavor = offer();
        no_flavor.flavors.as_mut().unwrap().clear();
        let why = no_flavor.lacks(&planned(Strategy::Snapshot)).unwrap_err();
        assert!(why.starts_with("flavor f1 does not exist in RegionTwo"), "{why}");

        let mut private = offer();
        private.flavors.as_mut().unwrap().get_mut("f1").unwrap().public = false;
        let why = private.lacks(&planned(Strategy::Snapshot)).unwrap_err();
        assert!(why.contains("private and project p1 has no access"), "{why}");

        let mut grouped = planned(Strategy::Snapshot);
        grouped.server.server_group = Some(GroupRef { id: "g-old".into(), name: "db-ha".into() });
        let why = offer().lacks(&grouped).unwrap_err();
        assert!(why.starts_with("server group db-ha of project p1 does not exist"), "{why}");

        let mut keyless = offer();
        keyless.keypairs.as_mut().unwrap().clear();
        assert_eq!(keyless.lacks(&planned(Strategy::Snapshot)), Ok(()), "a snapshot boots without the key");
        let why = keyless.lacks(&planned(Strategy::Redeploy)).unwrap_err();
        assert!(why.starts_with("key pair bob-key of user u1 does not exist"), "{why}");

        let mut imageless = offer();
        imageless.images.as_mut().unwrap().insert("img-1".into(), ImageStatus::Deactivated);
        let why = imageless.lacks(&planned(Strategy::Redeploy)).unwrap_err();
        assert_eq!(why, "image img-1, which a redeploy boots, is deactivated");
    }

    #[test]
    fn quota_is_taken_move_by_move_until_it_is_used_up() {
        let mut offer = offer();
        let headroom = Headroom { instances: Headroom::left(10, 8), cores: Headroom::left(-1, 50), ram_mib: None };
        offer.quotas.insert("p1".into(), headroom);
        let server = planned(Strategy::Snapshot);
        assert_eq!(offer.take_quota(&server), Ok(()));
        assert_eq!(offer.take_quota(&server), Ok(()));
        let why = offer.take_quota(&server).unwrap_err();
        assert!(why.starts_with("project p1's Nova quota in RegionTwo is used up (0 instances left)"), "{why}");
        let wait = ServerPlan { strategy: Strategy::Wait, ..server };
        assert_eq!(offer.take_quota(&wait), Ok(()), "a wait server takes nothing");
    }
}
