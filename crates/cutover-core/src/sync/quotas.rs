/*!
Nova quotas: per project, and per user where a user has settings of their
own. Quotas always exist (a project without settings has the defaults), so
sync only updates: it sets in the new region each limit whose value differs
from the old region's, comparing effective values. Only keys both regions
showed are compared: each side is read at its own microversion, which
drops the nova-network keys from 2.36 and the injected-file keys from 2.57.
*/

use std::collections::BTreeMap;

use super::Decision;
use crate::id::{ProjectId, UserId};
use crate::model::QuotaSet;

/// Nova keeps these per project even when set with a `user_id`
/// (`quota_get_per_project_resources`): never part of a user's update.
pub const PER_PROJECT: [&str; 2] = ["fixed_ips", "floating_ips"];

/// Limits to set on a project, or on one user in it (`?user_id=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub project_id: ProjectId,
    pub user_id: Option<UserId>,
    pub limits: BTreeMap<String, i64>,
}

/// Quotas are never created: the create payload is `()`.
pub type QuotaDecision = Decision<(), Update>;

/// The limits of `new` to set so that it shows what `old` shows, over the
/// keys both show (`skip`: keys left out, e.g. [`PER_PROJECT`] for users).
fn differing(old: &QuotaSet, new: &QuotaSet, skip: &[&str]) -> BTreeMap<String, i64> {
    old.limits
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .filter_map(|(k, v)| match new.limits.get(k) {
            Some(n) if n != v => Some((k.clone(), *v)),
            _ => None,
        })
        .collect()
}

fn decide(name: String, old: &QuotaSet, new: &QuotaSet, skip: &[&str]) -> QuotaDecision {
    let limits = differing(old, new, skip);
    if limits.is_empty() {
        return Decision::Equal { name };
    }
    let detail = limits
        .iter()
        .map(|(k, v)| format!("{k} {} -> {v}", new.limits.get(k).map_or("?".to_string(), i64::to_string)))
        .collect::<Vec<_>>()
        .join(", ");
    let update = Update { project_id: new.project_id.clone(), user_id: new.user_id.clone(), limits };
    Decision::Update { name, update, detail: format!("set {detail}"), remains: None }
}

/// A project's quotas: `name` is how the report names the project.
pub fn diff_project(name: &str, old: &QuotaSet, new: &QuotaSet) -> QuotaDecision {
    decide(name.to_string(), old, new, &[])
}

/// Whether a user's view differs from their project's: they have settings
/// of their own (a setting equal to the project's is invisible, and
/// harmless).
pub fn has_own_settings(user: &QuotaSet, project: &QuotaSet) -> bool {
    !differing(user, project, &PER_PROJECT).is_empty()
}

/// One user's quotas in a project: `old_user` and `new_user` are the
/// `?user_id=` views, the new one read (or, in a dry run, predicted with
/// [`predict_user_view`]) after the project's own update.
pub fn diff_user(name: &str, old_user: &QuotaSet, new_user: &QuotaSet) -> QuotaDecision {
    decide(name.to_string(), old_user, new_user, &PER_PROJECT)
}

/// What a user's view in the new region will be once `planned` is applied
/// to their project: limits the user has set themselves stay, the others
/// follow the project.
pub fn predict_user_view(new_project: &QuotaSet, planned: Option<&Update>, new_user: &QuotaSet) -> QuotaSet {
    let mut view = new_user.clone();
    if let Some(update) = planned {
        for (key, value) in &update.limits {
            let own = new_user.limits.get(key) != new_project.limits.get(key);
            if !own || PER_PROJECT.contains(&key.as_str()) {
                view.limits.insert(key.clone(), *value);
            }
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(project: &str, user: Option<&str>, limits: &[(&str, i64)]) -> QuotaSet {
        QuotaSet {
            project_id: project.into(),
            user_id: user.map(Into::into),
            limits: limits.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn differing_limits_are_set_and_equal_ones_left() {
        let old = set("p", None, &[("cores", 40), ("instances", 20), ("ram", 81920)]);
        let new = set("p", None, &[("cores", 100), ("instances", 20), ("ram", -1)]);
        let d = diff_project("acme", &old, &new);
        let Decision::Update { update, detail, remains: None, .. } = &d else { panic!("{d:?}") };
        assert_eq!(update.limits, BTreeMap::from([("cores".into(), 40), ("ram".into(), 81920)]));
        assert_eq!(update.user_id, None);
        assert_eq!(detail, "set cores 100 -> 40, ram -1 -> 81920");
        assert_eq!(diff_project("acme", &old, &old), Decision::Equal { name: "acme".into() });
    }

    #[test]
    fn only_keys_both_regions_show_are_compared() {
        // The old region below 2.36 shows floating_ips; the new one at 2.57 does not.
        let old = set("p", None, &[("cores", 20), ("floating_ips", 5), ("injected_files", 3)]);
        let new = set("p", None, &[("cores", 20)]);
        assert_eq!(diff_project("p", &old, &new), Decision::Equal { name: "p".into() });
        // Both below 2.36: copied.
        let new = set("p", None, &[("cores", 20), ("floating_ips", 10), ("injected_files", 3)]);
        let Decision::Update { update, .. } = diff_project("p", &old, &new) else { panic!() };
        assert_eq!(update.limits, BTreeMap::from([("floating_ips".into(), 5)]));
    }

    #[test]
    fn a_users_own_settings_are_copied_but_not_per_project_keys() {
        let project = set("p", None, &[("cores", 40), ("floating_ips", 10)]);
        let user = set("p", Some("u"), &[("cores", 8), ("floating_ips", 10)]);
        assert!(has_own_settings(&user, &project));
        assert!(!has_own_settings(&project, &project));
        let new_user = set("p", Some("u"), &[("cores", 40), ("floating_ips", 3)]);
        let d = diff_user("acme / alice", &user, &new_user);
        let Decision::Update { update, .. } = &d else { panic!("{d:?}") };
        assert_eq!(update.user_id.as_deref(), Some("u"));
        assert_eq!(update.limits, BTreeMap::from([("cores".into(), 8)]));
    }

    #[test]
    fn a_dry_run_predicts_what_the_project_update_does_to_a_user() {
        let new_project = set("p", None, &[("cores", 100), ("ram", 100)]);
        // The user has their own ram in the new region; cores follow the project.
        let new_user = set("p", Some("u"), &[("cores", 100), ("ram", 7)]);
        let planned = Update {
            project_id: "p".into(),
            user_id: None,
            limits: BTreeMap::from([("cores".into(), 40), ("ram".into(), 50)]),
        };
        let view = predict_user_view(&new_project, Some(&planned), &new_user);
        assert_eq!(view.limits, BTreeMap::from([("cores".into(), 40), ("ram".into(), 7)]));
        assert_eq!(predict_user_view(&new_project, None, &new_user), new_user);
    }
}
