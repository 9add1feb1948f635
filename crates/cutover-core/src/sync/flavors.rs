/*!
Flavors: the same id, name, sizes and visibility in the new region (servers
and plans refer to flavors by id), with the old region's extra specs,
project access and description. A flavor's sizes cannot change in Nova, so
a same-id flavor with other sizes is reported, never replaced.
*/

use std::collections::{BTreeMap, BTreeSet};

use super::{list, Decision};
use crate::id::{FlavorId, ProjectId};
use crate::model::Flavor;

/// What each region can say about descriptions (Nova shows them from 2.55).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptions {
    /// The old region's flavors were read at 2.55 or later.
    pub old_tells: bool,
    /// The new region accepts descriptions (2.55 or later).
    pub new_takes: bool,
}

/// A flavor to create: the old one, its description kept only when both
/// regions speak of descriptions.
#[derive(Debug, Clone, PartialEq)]
pub struct Create {
    pub flavor: Flavor,
}

/// What to change on an existing new-region flavor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub id: FlavorId,
    /// `Some(d)`: set the description to `d` (`None` clears it).
    pub description: Option<Option<String>>,
    /// Keys to set (missing in the new region, or with another value).
    pub set_specs: BTreeMap<String, String>,
    /// Projects to give access to the private flavor.
    pub add_access: BTreeSet<ProjectId>,
}

pub type FlavorDecision = Decision<Create, Update>;

/// How the report names a flavor: `m1.small (id 2)`.
pub fn label(flavor: &Flavor) -> String {
    format!("{} (id {})", flavor.name, flavor.id)
}

/// Per old flavor: create, update, equal or different; then every flavor
/// only in the new region, as different.
pub fn diff(old: &[Flavor], new: &[Flavor], descriptions: Descriptions) -> Vec<FlavorDecision> {
    let mut decisions: Vec<FlavorDecision> = old.iter().map(|o| decide(o, new, descriptions)).collect();
    for n in new.iter().filter(|n| !old.iter().any(|o| o.id == n.id)) {
        decisions.push(Decision::Different { name: label(n), reason: "only in new region".into() });
    }
    decisions
}

fn decide(old: &Flavor, new: &[Flavor], descriptions: Descriptions) -> FlavorDecision {
    let name = label(old);
    let Some(existing) = new.iter().find(|n| n.id == old.id) else {
        if let Some(taken) = new.iter().find(|n| n.name == old.name) {
            return Decision::Different {
                name,
                reason: format!("name taken in new region by flavor id {} (Nova refuses duplicate names)", taken.id),
            };
        }
        let mut flavor = old.clone();
        if !(descriptions.old_tells && descriptions.new_takes) {
            flavor.description = None;
        }
        let detail = create_detail(&flavor);
        return Decision::Create { name, create: Create { flavor }, detail };
    };
    let fixed = immutable_differences(old, existing);
    if !fixed.is_empty() {
        return Decision::Different {
            name,
            reason: format!("same id, other {} (flavors cannot change)", fixed.join(", ")),
        };
    }
    let mut update = Update { id: old.id.clone(), ..Update::default() };
    let mut done = Vec::new();
    let mut remains = Vec::new();
    if descriptions.old_tells && descriptions.new_takes && old.description != existing.description {
        update.description = Some(old.description.clone());
        done.push("description".to_string());
    }
    update.set_specs = old
        .extra_specs
        .iter()
        .filter(|(k, v)| existing.extra_specs.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !update.set_specs.is_empty() {
        done.push(format!("extra specs {}", list(update.set_specs.keys())));
    }
    let only_new: Vec<&String> = existing.extra_specs.keys().filter(|k| !old.extra_specs.contains_key(*k)).collect();
    if !only_new.is_empty() {
        remains.push(format!("extra specs only in new region: {}", list(only_new)));
    }
    if !old.is_public {
        update.add_access = old.access.difference(&existing.access).cloned().collect();
        if !update.add_access.is_empty() {
            done.push(format!("access for {}", list(&update.add_access)));
        }
        let extra: Vec<&ProjectId> = existing.access.difference(&old.access).collect();
        if !extra.is_empty() {
            remains.push(format!("access only in new region: {}", list(extra)));
        }
    }
    let remains = (!remains.is_empty()).then(|| remains.join("; "));
    match (done.is_empty(), remains) {
        (true, None) => Decision::Equal { name },
        (true, Some(reason)) => Decision::Different { name, reason },
        (false, remains) => Decision::Update { name, update, detail: format!("set {}", done.join(", ")), remains },
    }
}

/// Fields Nova never changes on a flavor, with both values.
fn immutable_differences(old: &Flavor, new: &Flavor) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field} {a} -> {b}"));
        }
    };
    check("name", old.name.clone(), new.name.clone());
    check("vcpus", old.vcpus.to_string(), new.vcpus.to_string());
    check("ram", old.ram_mib.to_string(), new.ram_mib.to_string());
    check("disk", old.disk_gib.to_string(), new.disk_gib.to_string());
    check("ephemeral", old.ephemeral_gib.to_string(), new.ephemeral_gib.to_string());
    check("swap", old.swap_mib.to_string(), new.swap_mib.to_string());
    check("rxtx_factor", old.rxtx_factor.to_string(), new.rxtx_factor.to_string());
    check("is_public", old.is_public.to_string(), new.is_public.to_string());
    out
}

fn create_detail(flavor: &Flavor) -> String {
    let mut parts = vec![format!("{} vcpus, {} MiB, {} GiB", flavor.vcpus, flavor.ram_mib, flavor.disk_gib)];
    if !flavor.extra_specs.is_empty() {
        parts.push(format!("extra specs {}", list(flavor.extra_specs.keys())));
    }
    if !flavor.is_public {
        parts.push(format!(
            "private, access {}",
            if flavor.access.is_empty() { "none".into() } else { list(&flavor.access) }
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Descriptions = Descriptions { old_tells: true, new_takes: true };

    fn flavor(id: &str, name: &str) -> Flavor {
        Flavor::public(id, name, 2, 2048, 20)
    }

    fn private(id: &str, name: &str, access: &[&str], specs: &[(&str, &str)]) -> Flavor {
        let mut f = flavor(id, name);
        f.is_public = false;
        f.access = access.iter().map(|&s| s.into()).collect();
        f.extra_specs = specs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        f
    }

    #[test]
    fn a_missing_flavor_is_created_whole() {
        let mut old = private("7", "gold", &["p1"], &[("hw:cpu_policy", "dedicated")]);
        old.description = Some("pinned".into());
        let d = diff(std::slice::from_ref(&old), &[], BOTH);
        let [Decision::Create { name, create, detail }] = d.as_slice() else { panic!("{d:?}") };
        assert_eq!(name, "gold (id 7)");
        assert_eq!(create.flavor, old);
        assert_eq!(detail, "2 vcpus, 2048 MiB, 20 GiB; extra specs hw:cpu_policy; private, access p1");
    }

    #[test]
    fn descriptions_are_not_clobbered_where_a_side_cannot_tell() {
        let mut old = flavor("1", "a");
        old.description = Some("x".into());
        let old_only = Descriptions { old_tells: true, new_takes: false };
        let d = diff(std::slice::from_ref(&old), &[], old_only);
        let Decision::Create { create, .. } = &d[0] else { panic!() };
        assert_eq!(create.flavor.description, None);
        // The old side read below 2.55: whatever the new side has stays.
        let mut new = old.clone();
        new.description = Some("set by hand".into());
        old.description = None;
        let blind = Descriptions { old_tells: false, new_takes: true };
        assert_eq!(diff(&[old.clone()], &[new.clone()], blind), vec![Decision::Equal { name: "a (id 1)".into() }]);
        let d = diff(&[old], &[new], BOTH);
        let Decision::Update { update, detail, remains: None, .. } = &d[0] else { panic!("{d:?}") };
        assert_eq!((update.description.clone(), detail.as_str()), (Some(None), "set description"));
    }

    #[test]
    fn the_same_flavor_is_equal() {
        let f = private("7", "gold", &["p1", "p2"], &[("k", "v")]);
        assert_eq!(
            diff(std::slice::from_ref(&f), std::slice::from_ref(&f), BOTH),
            vec![Decision::Equal { name: "gold (id 7)".into() }]
        );
    }

    #[test]
    fn missing_specs_and_access_are_added_and_new_only_ones_kept_and_reported() {
        let old = private("7", "gold", &["p1", "p2"], &[("a", "1"), ("b", "2")]);
        let new = private("7", "gold", &["p2", "p3"], &[("a", "0"), ("c", "3")]);
        let d = diff(&[old], &[new], BOTH);
        let [Decision::Update { update, detail, remains: Some(rest), .. }] = d.as_slice() else { panic!("{d:?}") };
        assert_eq!(update.set_specs, BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]));
        assert_eq!(update.add_access, BTreeSet::from(["p1".into()]));
        assert_eq!(detail, "set extra specs a, b, access for p1");
        assert_eq!(rest, "extra specs only in new region: c; access only in new region: p3");
    }

    #[test]
    fn only_new_keys_alone_are_different() {
        let old = flavor("1", "a");
        let mut new = old.clone();
        new.extra_specs.insert("x".into(), "y".into());
        let d = diff(&[old], &[new], BOTH);
        assert_eq!(
            d,
            vec![Decision::Different { name: "a (id 1)".into(), reason: "extra specs only in new region: x".into() }]
        );
    }

    #[test]
    fn other_sizes_under_the_same_id_are_different() {
        let old = flavor("1", "a");
        let mut new = old.clone();
        new.ram_mib = 4096;
        new.is_public = false;
        let d = diff(&[old], &[new], BOTH);
        let [Decision::Different { reason, .. }] = d.as_slice() else { panic!("{d:?}") };
        assert_eq!(reason, "same id, other ram 2048 -> 4096, is_public true -> false (flavors cannot change)");
    }

    #[test]
    fn a_name_taken_by_another_id_is_different() {
        let d = diff(&[flavor("1", "a")], &[flavor("99", "a")], BOTH);
        assert!(matches!(&d[0], Decision::Different { reason, .. } if reason.contains("flavor id 99")), "{d:?}");
    }

    #[test]
    fn flavors_only_in_the_new_region_are_reported_not_deleted() {
        let d = diff(&[], &[flavor("9", "extra")], BOTH);
        assert_eq!(d, vec![Decision::Different { name: "extra (id 9)".into(), reason: "only in new region".into() }]);
    }
}
