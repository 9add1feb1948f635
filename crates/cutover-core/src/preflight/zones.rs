/*!
Whether the new region offers the zones the old servers are in: Nova
refuses for good a boot naming a zone it does not list as available, so
each zone missing there (after the operator's zone map) is a warning
naming how many servers it holds and one of them. A warning, not a
failure: `cutover plan` says it again on each server, and `plan --check`
refuses a plan that still boots into it.
*/

use std::collections::BTreeMap;

use super::check::{Check, Status};
use super::observation::Observation;
use crate::model::ServerSummary;
use crate::plan::zones::{zone_problem, ZoneMap};

const NAME: &str = "zones";

/// One check per zone the new region lacks, else one that says all are there.
pub fn checks(obs: &Observation, map: &ZoneMap) -> Vec<Check> {
    let (Ok(new), Ok(servers)) = (&obs.new, &obs.inventory.servers) else { return Vec::new() };
    let region = Some(new.name.as_str());
    let offered = match &new.zones {
        None => return Vec::new(),
        Some(Err(why)) => return vec![Check::new(NAME, region, Status::Warn, format!("cannot list the zones: {why}"))],
        Some(Ok(offered)) => offered,
    };
    let mut by_zone: BTreeMap<&str, Vec<&ServerSummary>> = BTreeMap::new();
    for s in servers {
        if let Some(zone) = s.availability_zone.as_deref() {
            by_zone.entry(zone).or_default().push(s);
        }
    }
    let mut checks = Vec::new();
    for (zone, held) in &by_zone {
        let Some(problem) = zone_problem(map, Some(zone), offered, &new.name) else { continue };
        let example = held[0];
        let project = obs.inventory.projects.iter().find(|p| p.id == example.project_id);
        let reason = format!(
            "{} server(s) of {} in zone {zone} (e.g. {} ({}) of project {}): {problem}",
            held.len(),
            obs.old.name,
            example.name,
            example.id,
            project.map_or(example.project_id.as_str(), |p| p.name.as_str())
        );
        checks.push(Check::new(NAME, region, Status::Warn, reason));
    }
    if checks.is_empty() {
        let mapped = by_zone.keys().filter(|z| map.contains_key(**z)).count();
        let note = if mapped > 0 { format!(" ({mapped} through the zone map)") } else { String::new() };
        let reason = format!("the {} zone(s) of {}'s servers can be booted in{note}", by_zone.len(), obs.old.name);
        checks.push(Check::new(NAME, region, Status::Ok, reason));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AvailabilityZone;
    use crate::plan::zones::parse_zone_map;
    use crate::preflight::tests::healthy;

    fn zone(name: &str, available: bool) -> AvailabilityZone {
        AvailabilityZone { name: name.into(), available }
    }

    /// The healthy cloud with web-1 and web-2 in az-fast, db-1 in nova.
    fn zoned(offered: Vec<AvailabilityZone>) -> Observation {
        let mut obs = healthy();
        for s in obs.inventory.servers.as_mut().unwrap() {
            s.availability_zone = Some(if s.name.starts_with("web") { "az-fast" } else { "nova" }.into());
        }
        obs.new.as_mut().unwrap().zones = Some(Ok(offered));
        obs
    }

    #[test]
    fn each_missing_zone_is_a_warning_naming_its_servers() {
        let obs = zoned(vec![zone("nova", true)]);
        let checks = checks(&obs, &ZoneMap::new());
        assert_eq!(checks.len(), 1, "{checks:?}");
        let c = &checks[0];
        assert_eq!((c.name.as_str(), c.region.as_deref(), c.status), ("zones", Some("RegionTwo"), Status::Warn));
        assert!(
            c.reason.starts_with(
                "2 server(s) of RegionOne in zone az-fast (e.g. web-1 (id-web-1) of project acme): \
                 zone az-fast does not exist in RegionTwo"
            ),
            "{}",
            c.reason
        );
        // A zone whose hosts are all disabled cannot be booted in either.
        let down = checks_of(vec![zone("nova", true), zone("az-fast", false)], &ZoneMap::new());
        assert!(down[0].reason.contains("zone az-fast has no enabled compute service in RegionTwo"), "{down:?}");
    }

    fn checks_of(offered: Vec<AvailabilityZone>, map: &ZoneMap) -> Vec<Check> {
        checks(&zoned(offered), map)
    }

    #[test]
    fn zones_there_or_mapped_are_ok() {
        let there = checks_of(vec![zone("nova", true), zone("az-fast", true)], &ZoneMap::new());
        assert_eq!(there.len(), 1);
        assert_eq!(there[0].status, Status::Ok);
        assert_eq!(there[0].reason, "the 2 zone(s) of RegionOne's servers can be booted in");
        let map = parse_zone_map(["az-fast=nova"]).unwrap();
        let mapped = checks_of(vec![zone("nova", true)], &map);
        assert_eq!(mapped[0].status, Status::Ok);
        assert!(mapped[0].reason.ends_with("(1 through the zone map)"), "{mapped:?}");
        let wrong = checks_of(vec![zone("nova", true)], &parse_zone_map(["az-fast=az-9"]).unwrap());
        assert!(wrong[0]
            .reason
            .ends_with("the zone map sends zone az-fast to az-9, which does not exist in RegionTwo"));
    }

    #[test]
    fn zones_that_cannot_be_listed_are_said() {
        let mut obs = zoned(Vec::new());
        obs.new.as_mut().unwrap().zones = Some(Err("403 Forbidden".into()));
        let checks = checks(&obs, &ZoneMap::new());
        assert_eq!(checks[0].status, Status::Warn);
        assert_eq!(checks[0].reason, "cannot list the zones: 403 Forbidden");
    }
}
