/*!
Host aggregates and availability zones: each old aggregate recreated by
name in the new region with its zone and metadata, holding the new hosts
the operator's host map pairs with its old hosts. The host map
(`old-host: new-host`, YAML) is the operator's: cutover writes a template
([`host_map_template`]) and never guesses a pairing. An old host mapped to
itself joins the new region later (redeployed by `cutover run`'s hand-off,
which puts it into these aggregates): its memberships wait for it.
*/

use std::collections::{BTreeMap, BTreeSet};

use super::{list, Decision};
use crate::id::HostName;
use crate::model::Aggregate;

/// The metadata key that makes an aggregate an availability zone.
pub const ZONE_KEY: &str = "availability_zone";

/// Old host -> new host; an old host mapped to nothing is listed with no
/// value (`old-3:`) and counts as unmapped.
pub type HostMap = BTreeMap<HostName, Option<HostName>>;

/// An aggregate to create, then fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Create {
    pub name: String,
    pub availability_zone: Option<String>,
    /// Metadata besides the zone, set after the create.
    pub metadata: BTreeMap<String, String>,
    pub hosts: BTreeSet<HostName>,
}

/// What to change on an existing new-region aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Update {
    /// The new region's id of the aggregate.
    pub id: u64,
    /// Keys to set (the zone among them, as `set_metadata` takes it).
    pub set_metadata: BTreeMap<String, String>,
    pub add_hosts: BTreeSet<HostName>,
}

pub type AggregateDecision = Decision<Create, Update>;

/// Per old aggregate: create, update, equal, different (unmapped hosts,
/// things only in the new region) or failed (a mapped host that is not a
/// compute host of the new region; nothing is done then). An aggregate
/// created while some of its hosts are unmapped gets a second, `different`
/// decision saying which. Then every aggregate only in the new region.
pub fn diff(
    old: &[Aggregate],
    new: &[Aggregate],
    host_map: &HostMap,
    new_compute_hosts: &BTreeSet<HostName>,
) -> Vec<AggregateDecision> {
    let mut decisions = Vec::new();
    for o in old {
        let name = o.name.clone();
        let mut mapped = BTreeSet::new();
        let mut unmapped = Vec::new();
        let mut unknown = Vec::new();
        let mut waiting = Vec::new();
        for host in &o.hosts {
            match host_map.get(host).cloned().flatten().filter(|h| !h.trim().is_empty()) {
                Some(h) if new_compute_hosts.contains(&h) => {
                    mapped.insert(h);
                }
                Some(h) if h == *host => waiting.push(h),
                Some(h) => unknown.push(format!("{h} (for {host})")),
                None => unmapped.push(host.clone()),
            }
        }
        if !unknown.is_empty() {
            let reason =
                format!("host map names hosts that are no nova-compute service of the new region: {}", list(unknown));
            decisions.push(Decision::Fail { name, reason });
            continue;
        }
        let unmapped_note =
            (!unmapped.is_empty()).then(|| format!("old hosts not in the host map: {}", list(&unmapped)));
        let metadata: BTreeMap<String, String> =
            o.metadata.iter().filter(|(k, _)| *k != ZONE_KEY).map(|(k, v)| (k.clone(), v.clone())).collect();
        let Some(existing) = new.iter().find(|n| n.name == o.name) else {
            let mut detail = Vec::new();
            if let Some(zone) = &o.availability_zone {
                detail.push(format!("zone {zone}"));
            }
            if !metadata.is_empty() {
                detail.push(format!("metadata {}", list(metadata.keys())));
            }
            if !mapped.is_empty() {
                detail.push(format!("hosts {}", list(&mapped)));
            }
            let create =
                Create { name: name.clone(), availability_zone: o.availability_zone.clone(), metadata, hosts: mapped };
            decisions.push(Decision::Create { name: name.clone(), create, detail: detail.join("; ") });
            if let Some(reason) = unmapped_note {
                decisions.push(Decision::Different { name: name.clone(), reason });
            }
            decisions.extend(wait_for(&name, &waiting));
            continue;
        };
        match (update(o, existing, mapped, unmapped_note), wait_for(&name, &waiting)) {
            // Nothing else to say: the aggregate is waiting, not equal.
            (Decision::Equal { .. }, Some(waits)) => decisions.push(waits),
            (decision, waits) => decisions.extend([decision].into_iter().chain(waits)),
        }
    }
    for n in new.iter().filter(|n| !old.iter().any(|o| o.name == n.name)) {
        decisions.push(Decision::Different { name: n.name.clone(), reason: "only in new region".into() });
    }
    decisions
}

/// The hosts mapped to themselves, not in the new region yet: they join it
/// later (their hand-off puts them into the aggregate).
fn wait_for(name: &str, waiting: &[HostName]) -> Option<AggregateDecision> {
    (!waiting.is_empty()).then(|| Decision::Waiting {
        name: name.to_string(),
        reason: format!("waiting for {} to join the new region (mapped to itself: joins later)", list(waiting)),
    })
}

fn update(
    old: &Aggregate,
    existing: &Aggregate,
    mapped: BTreeSet<HostName>,
    unmapped: Option<String>,
) -> AggregateDecision {
    let name = old.name.clone();
    let mut wanted = old.metadata.clone();
    if let Some(zone) = &old.availability_zone {
        wanted.insert(ZONE_KEY.to_string(), zone.clone());
    }
    let set_metadata: BTreeMap<String, String> = wanted
        .iter()
        .filter(|(k, v)| existing.metadata.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let add_hosts: BTreeSet<HostName> = mapped.difference(&existing.hosts).cloned().collect();
    let mut done = Vec::new();
    if !set_metadata.is_empty() {
        done.push(format!("metadata {}", list(set_metadata.keys())));
    }
    if !add_hosts.is_empty() {
        done.push(format!("hosts {}", list(&add_hosts)));
    }
    let mut remains: Vec<String> = unmapped.into_iter().collect();
    let extra_keys: Vec<&String> = existing.metadata.keys().filter(|k| !wanted.contains_key(*k)).collect();
    if !extra_keys.is_empty() {
        remains.push(format!("metadata only in new region: {}", list(extra_keys)));
    }
    let extra_hosts: Vec<&HostName> = existing.hosts.difference(&mapped).collect();
    if !extra_hosts.is_empty() {
        remains.push(format!("hosts only in new region: {}", list(extra_hosts)));
    }
    let remains = (!remains.is_empty()).then(|| remains.join("; "));
    match (done.is_empty(), remains) {
        (true, None) => Decision::Equal { name },
        (true, Some(reason)) => Decision::Different { name, reason },
        (false, remains) => Decision::Update {
            name,
            update: Update { id: existing.id, set_metadata, add_hosts },
            detail: format!("set {}", done.join(", ")),
            remains,
        },
    }
}

/// A starting host map: the old hosts in order, each paired with the new
/// host at the same position, the rest left empty for the operator.
pub fn host_map_template(old_hosts: &[HostName], new_hosts: &[HostName]) -> String {
    let mut text = String::from(
        "# cutover host map: old host -> new host, for the aggregates' hosts.\n\
         # Paired in order as a start: check every line. An old host with no\n\
         # value has no new host yet; aggregates holding it are reported.\n",
    );
    for (i, old) in old_hosts.iter().enumerate() {
        match new_hosts.get(i) {
            Some(new) => text += &format!("{}: {}\n", yaml_scalar(old), yaml_scalar(new)),
            None => text += &format!("{}:\n", yaml_scalar(old)),
        }
    }
    text
}

/// A host name as a YAML scalar: plain when it is a plain name, else
/// double-quoted.
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(text.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "null");
    if plain {
        return text.to_string();
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(id: u64, name: &str, zone: Option<&str>, hosts: &[&str], meta: &[(&str, &str)]) -> Aggregate {
        let mut metadata: BTreeMap<String, String> = meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if let Some(z) = zone {
            metadata.insert(ZONE_KEY.into(), z.into());
        }
        Aggregate {
            id,
            name: name.into(),
            availability_zone: zone.map(String::from),
            hosts: hosts.iter().map(|&h| h.into()).collect(),
            metadata,
        }
    }

    fn map(pairs: &[(&str, Option<&str>)]) -> HostMap {
        pairs.iter().map(|&(o, n)| (o.into(), n.map(HostName::from))).collect()
    }

    fn hosts(names: &[&str]) -> BTreeSet<HostName> {
        names.iter().map(|&h| h.into()).collect()
    }

    #[test]
    fn a_missing_aggregate_is_created_with_its_mapped_hosts() {
        let old = agg(5, "fast", Some("az-fast"), &["old-3"], &[("ssd", "true")]);
        let d = diff(&[old], &[], &map(&[("old-3", Some("new-2"))]), &hosts(&["new-1", "new-2"]));
        let [Decision::Create { create, detail, .. }] = d.as_slice() else { panic!("{d:?}") };
        assert_eq!(create.availability_zone.as_deref(), Some("az-fast"));
        assert_eq!(create.metadata, BTreeMap::from([("ssd".into(), "true".into())]));
        assert_eq!(create.hosts, hosts(&["new-2"]));
        assert_eq!(detail, "zone az-fast; metadata ssd; hosts new-2");
    }

    #[test]
    fn unmapped_hosts_are_reported_beside_the_create() {
        let old = agg(5, "fast", None, &["old-2", "old-3"], &[]);
        let d = diff(&[old], &[], &map(&[("old-2", Some("new-1")), ("old-3", None)]), &hosts(&["new-1"]));
        assert!(matches!(&d[0], Decision::Create { create, .. } if create.hosts == hosts(&["new-1"])), "{d:?}");
        assert_eq!(
            d[1],
            Decision::Different { name: "fast".into(), reason: "old hosts not in the host map: old-3".into() }
        );
    }

    #[test]
    fn a_mapped_host_that_is_no_new_compute_host_fails_the_aggregate() {
        let old = agg(5, "fast", None, &["old-3"], &[]);
        let d = diff(&[old], &[], &map(&[("old-3", Some("nope"))]), &hosts(&["new-1"]));
        let [Decision::Fail { reason, .. }] = d.as_slice() else { panic!("{d:?}") };
        assert!(reason.ends_with("nope (for old-3)"), "{reason}");
    }

    #[test]
    fn an_existing_aggregate_gets_what_it_lacks_and_keeps_the_rest() {
        let old = agg(5, "fast", Some("az-fast"), &["old-3"], &[("ssd", "true")]);
        let new = agg(9, "fast", None, &["new-1"], &[("extra", "x")]);
        let d =
            diff(std::slice::from_ref(&old), &[new], &map(&[("old-3", Some("new-2"))]), &hosts(&["new-1", "new-2"]));
        let [Decision::Update { update, detail, remains: Some(rest), .. }] = d.as_slice() else { panic!("{d:?}") };
        assert_eq!(update.id, 9);
        assert_eq!(
            update.set_metadata,
            BTreeMap::from([(ZONE_KEY.into(), "az-fast".into()), ("ssd".into(), "true".into())])
        );
        assert_eq!(update.add_hosts, hosts(&["new-2"]));
        assert_eq!(detail, "set metadata availability_zone, ssd, hosts new-2");
        assert_eq!(rest, "metadata only in new region: extra; hosts only in new region: new-1");
        let same = agg(9, "fast", Some("az-fast"), &["new-2"], &[("ssd", "true")]);
        let d = diff(&[old], &[same], &map(&[("old-3", Some("new-2"))]), &hosts(&["new-2"]));
        assert_eq!(d, vec![Decision::Equal { name: "fast".into() }]);
    }

    #[test]
    fn a_host_mapped_to_itself_is_waited_for_not_a_difference() {
        let old = agg(5, "fast", Some("az-fast"), &["old-2", "old-3"], &[]);
        let host_map = map(&[("old-2", Some("new-2")), ("old-3", Some("old-3"))]);
        let d = diff(std::slice::from_ref(&old), &[], &host_map, &hosts(&["new-2"]));
        let [Decision::Create { create, .. }, Decision::Waiting { reason, .. }] = d.as_slice() else { panic!("{d:?}") };
        assert_eq!(create.hosts, hosts(&["new-2"]), "old-3 is no compute host there yet");
        assert_eq!(reason, "waiting for old-3 to join the new region (mapped to itself: joins later)");
        // Level otherwise: only waiting.
        let there = agg(9, "fast", Some("az-fast"), &["new-2"], &[]);
        let d = diff(std::slice::from_ref(&old), std::slice::from_ref(&there), &host_map, &hosts(&["new-2"]));
        assert!(matches!(d.as_slice(), [Decision::Waiting { .. }]), "{d:?}");
        // Joined and in it: equal.
        let joined = agg(9, "fast", Some("az-fast"), &["new-2", "old-3"], &[]);
        let d = diff(&[old], &[joined], &host_map, &hosts(&["new-2", "old-3"]));
        assert_eq!(d, vec![Decision::Equal { name: "fast".into() }]);
    }

    #[test]
    fn aggregates_only_in_the_new_region_are_reported() {
        let d = diff(&[], &[agg(1, "local", None, &[], &[])], &HostMap::new(), &BTreeSet::new());
        assert_eq!(d, vec![Decision::Different { name: "local".into(), reason: "only in new region".into() }]);
    }

    #[test]
    fn the_template_pairs_in_order_and_leaves_the_rest_empty() {
        let old: Vec<HostName> = ["old-1", "old-2", "10.0.0.3"].map(HostName::from).to_vec();
        let new: Vec<HostName> = ["new-1", "true"].map(HostName::from).to_vec();
        let text = host_map_template(&old, &new);
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(body, vec!["old-1: new-1", "old-2: \"true\"", "\"10.0.0.3\":"]);
    }
}
