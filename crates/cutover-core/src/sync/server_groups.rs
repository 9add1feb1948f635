/*!
Server groups: per project, a group of the same name, policy and rules in
the new region. A group's id and its creating user cannot be kept (Nova
gives a new id and the requesting user), so the groups of both regions are
paired by project and name: [`pairs`] is how a later step (a moved server
joins its group) finds the new id. Names that are not unique in a project
cannot be paired and are reported. Members are not copied: servers join
their group when they move.
*/

use std::collections::BTreeMap;
use std::convert::Infallible;

use super::{Decision, Entry, Kind, Outcome};
use crate::id::{ProjectId, ServerGroupId};
use crate::model::ServerGroup;

/// The old group, to create in its project (the caller's token must be
/// scoped to `project_id`).
pub type GroupDecision = Decision<ServerGroup, Infallible>;

/// What the new region's Nova can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewRegion {
    /// `rules` (2.64).
    pub rules: bool,
    /// `soft-affinity` and `soft-anti-affinity` (2.15).
    pub soft_policies: bool,
}

/// How the report names a group: `acme/web-ha` (project name, or id).
pub fn label(group: &ServerGroup, project_names: &BTreeMap<ProjectId, String>) -> String {
    let project = group.project_id.as_deref().unwrap_or("?");
    format!("{}/{}", project_names.get(project).map_or(project, String::as_str), group.name)
}

fn key(group: &ServerGroup) -> Option<(&str, &str)> {
    Some((group.project_id.as_deref()?, group.name.as_str()))
}

/// Groups by (project, name).
fn by_key(groups: &[ServerGroup]) -> BTreeMap<(&str, &str), Vec<&ServerGroup>> {
    let mut map: BTreeMap<(&str, &str), Vec<&ServerGroup>> = BTreeMap::new();
    for g in groups {
        if let Some(k) = key(g) {
            map.entry(k).or_default().push(g);
        }
    }
    map
}

/// Old group id → new group id, for every group whose (project, name) is
/// unique in both regions.
pub fn pairs(old: &[ServerGroup], new: &[ServerGroup]) -> BTreeMap<ServerGroupId, ServerGroupId> {
    let (old, new) = (by_key(old), by_key(new));
    old.iter()
        .filter_map(|(k, o)| match (o.as_slice(), new.get(k).map(Vec::as_slice)) {
            ([o], Some([n])) => Some((o.id.clone(), n.id.clone())),
            _ => None,
        })
        .collect()
}

/// Groups whose project the old region does not name (a Nova below 2.13):
/// skipped, as a group can only be created in its own project.
pub fn unowned(old: &[ServerGroup], old_version: &str) -> Vec<Entry> {
    old.iter()
        .filter(|g| g.project_id.is_none())
        .map(|g| {
            let reason = format!(
                "the old region's Nova ({old_version}) does not say which project owns group {}: 2.13 needed",
                g.id
            );
            Entry::new(Kind::ServerGroup, format!("?/{}", g.name), Outcome::Skipped, reason)
        })
        .collect()
}

/// Per owned old group: create, equal or different; then the new region's
/// groups the old one lacks, as different.
pub fn diff(
    old: &[ServerGroup],
    new: &[ServerGroup],
    can: NewRegion,
    project_names: &BTreeMap<ProjectId, String>,
) -> Vec<GroupDecision> {
    let (old_keys, new_keys) = (by_key(old), by_key(new));
    let mut decisions = Vec::new();
    for group in old.iter().filter(|g| g.project_id.is_some()) {
        let name = label(group, project_names);
        let k = key(group).unwrap_or_default();
        let twins = old_keys.get(&k).map_or(0, Vec::len);
        let decision = if twins > 1 {
            Decision::Different {
                name,
                reason: format!("{twins} groups of this name in the project in the old region: cannot be paired"),
            }
        } else {
            match new_keys.get(&k).map(Vec::as_slice).unwrap_or_default() {
                [] => create(group, name, can),
                [existing] => compare(group, existing, name),
                many => Decision::Different {
                    name,
                    reason: format!("{} groups of this name in the project in the new region", many.len()),
                },
            }
        };
        decisions.push(decision);
    }
    for n in new.iter().filter(|n| key(n).is_some_and(|k| !old_keys.contains_key(&k))) {
        decisions.push(Decision::Different { name: label(n, project_names), reason: "only in new region".into() });
    }
    decisions
}

fn describe(group: &ServerGroup) -> String {
    match group.max_server_per_host {
        Some(max) => format!("policy {}, max_server_per_host {max}", group.policy),
        None => format!("policy {}", group.policy),
    }
}

fn create(group: &ServerGroup, name: String, can: NewRegion) -> GroupDecision {
    if group.max_server_per_host.is_some() && !can.rules {
        let reason = "has rules, which the new region's Nova (below 2.64) cannot set".to_string();
        return Decision::Different { name, reason };
    }
    if group.policy.starts_with("soft-") && !can.soft_policies {
        let reason = format!("policy {} needs 2.15 in the new region", group.policy);
        return Decision::Different { name, reason };
    }
    Decision::Create { name, create: group.clone(), detail: format!("{}; old id {}", describe(group), group.id) }
}

fn compare(old: &ServerGroup, new: &ServerGroup, name: String) -> GroupDecision {
    if old.policy == new.policy && old.max_server_per_host == new.max_server_per_host {
        Decision::Equal { name }
    } else {
        Decision::Different {
            name,
            reason: format!("{} in new region (id {}), {} in old", describe(new), new.id, describe(old)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, project: &str, name: &str, policy: &str, max: Option<u64>) -> ServerGroup {
        ServerGroup {
            id: id.into(),
            name: name.into(),
            project_id: Some(project.into()),
            user_id: Some("u".into()),
            policy: policy.into(),
            max_server_per_host: max,
            members: vec!["s1".into()],
        }
    }

    const MODERN: NewRegion = NewRegion { rules: true, soft_policies: true };

    #[test]
    fn groups_pair_by_project_and_name() {
        let names = BTreeMap::from([("p1".into(), "acme".to_string())]);
        let old = [
            group("o1", "p1", "web", "anti-affinity", Some(2)),
            group("o2", "p2", "web", "affinity", None),
            group("o3", "p1", "db", "affinity", None),
        ];
        let new = [group("n1", "p1", "web", "anti-affinity", Some(2)), group("n3", "p1", "db", "anti-affinity", None)];
        let d = diff(&old, &new, MODERN, &names);
        assert_eq!(d[0], Decision::Equal { name: "acme/web".into() });
        assert!(
            matches!(&d[1], Decision::Create { name, detail, .. } if name == "p2/web" && detail == "policy affinity; old id o2")
        );
        assert!(
            matches!(&d[2], Decision::Different { reason, .. } if reason.contains("policy anti-affinity in new region (id n3)"))
        );
        assert_eq!(pairs(&old, &new), BTreeMap::from([("o1".into(), "n1".into()), ("o3".into(), "n3".into())]));
    }

    #[test]
    fn names_not_unique_in_a_project_are_reported() {
        let old = [group("o1", "p", "g", "affinity", None), group("o2", "p", "g", "affinity", None)];
        let d = diff(&old, &[], MODERN, &BTreeMap::new());
        assert!(d
            .iter()
            .all(|d| matches!(d, Decision::Different { reason, .. } if reason.contains("cannot be paired"))));
        let new = [group("n1", "p", "h", "affinity", None), group("n2", "p", "h", "affinity", None)];
        let d = diff(&[group("o", "p", "h", "affinity", None)], &new, MODERN, &BTreeMap::new());
        assert!(matches!(&d[0], Decision::Different { reason, .. } if reason.starts_with("2 groups")));
        assert_eq!(d.len(), 1, "the new ones have an old namesake: not 'only in new region'");
        assert!(pairs(&old, &new).is_empty());
    }

    #[test]
    fn what_the_new_nova_cannot_express_is_different() {
        let old = [group("o1", "p", "a", "anti-affinity", Some(3)), group("o2", "p", "b", "soft-affinity", None)];
        let d = diff(&old, &[], NewRegion { rules: false, soft_policies: false }, &BTreeMap::new());
        assert!(matches!(&d[0], Decision::Different { reason, .. } if reason.contains("2.64")));
        assert!(matches!(&d[1], Decision::Different { reason, .. } if reason.contains("2.15")));
    }

    #[test]
    fn groups_without_owner_are_skipped() {
        let mut g = group("o", "p", "g", "affinity", None);
        g.project_id = None;
        let entries = unowned(std::slice::from_ref(&g), "2.1");
        assert_eq!((entries[0].outcome, entries[0].name.as_str()), (Outcome::Skipped, "?/g"));
        assert!(diff(&[g], &[], MODERN, &BTreeMap::new()).is_empty());
    }
}
