/*!
nova-network floating IPs: every address of every pool recreated in the new
region with its pool and interface, and each address a project holds in
the old region allocated to the same project in the new one.

Nova cannot allocate a chosen address: allocation takes a free address of
the pool (in practice the earliest created). Only bulk create names
addresses. So a held address is created alone and then claimed with a
token of its project, before any free address of its pool is created (the
pool then has that one free address); free addresses come last. Addresses
already present are compared: the same pool, interface and project are
equal; one free in the new region but held in the old is claimed (a run
stopped between create and allocate, or the project allocated it since).
Associations with servers are not sync's: a server gets its address when
it moves.
*/

use std::collections::BTreeMap;
use std::convert::Infallible;

use super::Decision;
use crate::id::ProjectId;
use crate::model::PoolAddress;

/// What to do with one address, in the order [`diff`] returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the address alone, then claim it for its project.
    CreateHeld(PoolAddress),
    /// The address is free in the new region: claim it for its project.
    Claim(PoolAddress),
    /// Create the address, free.
    CreateFree(PoolAddress),
}

impl Step {
    /// The old region's address.
    pub fn address(&self) -> &PoolAddress {
        match self {
            Step::CreateHeld(a) | Step::Claim(a) | Step::CreateFree(a) => a,
        }
    }
}

pub type AddressDecision = Decision<Step, Infallible>;

fn owner(project: Option<&str>, names: &BTreeMap<ProjectId, String>) -> String {
    match project {
        Some(p) => format!("project {}", names.get(p).map_or(p, String::as_str)),
        None => "free".to_string(),
    }
}

fn describe(a: &PoolAddress, names: &BTreeMap<ProjectId, String>) -> String {
    format!("pool {}, interface {}, {}", a.pool, a.interface, owner(a.project_id.as_deref(), names))
}

/// Every old address's decision, in the order to carry them out: the held
/// ones (claims of existing addresses first, then creations), then the free
/// ones, then the equal and different ones and the new region's extra
/// addresses.
pub fn diff(old: &[PoolAddress], new: &[PoolAddress], names: &BTreeMap<ProjectId, String>) -> Vec<AddressDecision> {
    let new_by: BTreeMap<&str, &PoolAddress> = new.iter().map(|a| (a.address.as_str(), a)).collect();
    let (mut claims, mut held, mut free, mut rest) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for o in old {
        let name = o.address.clone();
        let detail = describe(o, names);
        match new_by.get(o.address.as_str()) {
            None if o.project_id.is_some() => {
                held.push(Decision::Create { name, create: Step::CreateHeld(o.clone()), detail })
            }
            None => free.push(Decision::Create { name, create: Step::CreateFree(o.clone()), detail }),
            Some(n) => {
                let mut differs = Vec::new();
                if n.pool != o.pool {
                    differs.push(format!("pool {} in new region, {} in old", n.pool, o.pool));
                }
                if n.interface != o.interface {
                    differs.push(format!("interface {} in new region, {} in old", n.interface, o.interface));
                }
                let claimable = n.project_id.is_none() && o.project_id.is_some() && n.instance_id.is_none();
                if n.project_id != o.project_id && !claimable {
                    let (now, was) = (owner(n.project_id.as_deref(), names), owner(o.project_id.as_deref(), names));
                    differs.push(format!("{now} in new region, {was} in old"));
                }
                if !differs.is_empty() {
                    rest.push(Decision::Different { name, reason: differs.join("; ") });
                } else if claimable {
                    let detail = format!("{detail} (already in the pool, free)");
                    claims.push(Decision::Create { name, create: Step::Claim(o.clone()), detail });
                } else {
                    rest.push(Decision::Equal { name });
                }
            }
        }
    }
    for n in new.iter().filter(|n| !old.iter().any(|o| o.address == n.address)) {
        rest.push(Decision::Different { name: n.address.clone(), reason: "only in new region".into() });
    }
    claims.into_iter().chain(held).chain(free).chain(rest).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(address: &str, pool: &str, project: Option<&str>) -> PoolAddress {
        PoolAddress {
            address: address.into(),
            pool: pool.into(),
            interface: "eth0".into(),
            project_id: project.map(Into::into),
            instance_id: None,
        }
    }

    fn step(d: &AddressDecision) -> Option<&Step> {
        match d {
            Decision::Create { create, .. } => Some(create),
            _ => None,
        }
    }

    #[test]
    fn held_addresses_come_before_free_ones() {
        let names = BTreeMap::from([("p1".into(), "acme".to_string())]);
        let old = [addr("10.0.0.1", "pub", None), addr("10.0.0.2", "pub", Some("p1")), addr("10.0.0.3", "pub", None)];
        let d = diff(&old, &[], &names);
        assert_eq!(step(&d[0]), Some(&Step::CreateHeld(old[1].clone())));
        assert!(matches!(&d[0], Decision::Create { detail, .. } if detail == "pool pub, interface eth0, project acme"));
        assert_eq!(step(&d[1]), Some(&Step::CreateFree(old[0].clone())));
        assert_eq!(step(&d[2]), Some(&Step::CreateFree(old[2].clone())));
    }

    #[test]
    fn a_free_address_held_in_the_old_region_is_claimed_first() {
        let old = [addr("10.0.0.1", "pub", Some("p")), addr("10.0.0.2", "pub", Some("p"))];
        let new = [addr("10.0.0.2", "pub", None)];
        let d = diff(&old, &new, &BTreeMap::new());
        assert_eq!(step(&d[0]), Some(&Step::Claim(old[1].clone())));
        assert_eq!(step(&d[1]), Some(&Step::CreateHeld(old[0].clone())));
    }

    #[test]
    fn present_addresses_are_compared() {
        let old = [
            addr("10.0.0.1", "pub", Some("p")),
            addr("10.0.0.2", "pub", None),
            addr("10.0.0.3", "pub", Some("p")),
            addr("10.0.0.4", "pub", Some("p")),
        ];
        let mut other_interface = addr("10.0.0.4", "pub", Some("p"));
        other_interface.interface = "eth1".into();
        let new = [
            addr("10.0.0.1", "pub", Some("p")),
            addr("10.0.0.2", "pub", Some("q")),
            addr("10.0.0.3", "other", Some("p")),
            other_interface,
            addr("10.0.0.9", "pub", None),
        ];
        let d = diff(&old, &new, &BTreeMap::new());
        assert_eq!(d[0], Decision::Equal { name: "10.0.0.1".into() });
        let reason = |i: usize| match &d[i] {
            Decision::Different { reason, .. } => reason.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(1), "project q in new region, free in old");
        assert_eq!(reason(2), "pool other in new region, pub in old");
        assert_eq!(reason(3), "interface eth1 in new region, eth0 in old");
        assert_eq!(reason(4), "only in new region");
    }
}
