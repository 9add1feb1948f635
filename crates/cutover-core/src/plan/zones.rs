/*!
Availability zones across the move. A rebuild boots in the zone its source
was in, unless the operator's zone map (`OLD=NEW`, recorded in the plan)
sends that zone elsewhere, or to none (`OLD=`: Nova's default zone). Nova
refuses for good a boot naming a zone it does not list as available, so a
zone the new region lacks is said before anything changes: by preflight,
as a warning on each server of the plan, and as a problem of `plan --check`.
*/

use std::collections::BTreeMap;

use crate::model::AvailabilityZone;

/// Old zone -> new zone (`""`: no zone, Nova's default).
pub type ZoneMap = BTreeMap<String, String>;

/// A zone mapping that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad zone mapping {text:?}: {reason} (expected OLD=NEW, or OLD= for the new region's default zone)")]
pub struct BadZoneMapping {
    pub text: String,
    pub reason: String,
}

/// Parses `OLD=NEW` mappings; a zone mapped twice to different zones is refused.
pub fn parse_zone_map<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<ZoneMap, BadZoneMapping> {
    let mut map = ZoneMap::new();
    for text in items {
        let bad = |reason: &str| BadZoneMapping { text: text.to_string(), reason: reason.to_string() };
        let (old, new) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let (old, new) = (old.trim(), new.trim());
        if old.is_empty() {
            return Err(bad("no old zone before `=`"));
        }
        add(&mut map, old, new).map_err(|reason| bad(&reason))?;
    }
    Ok(map)
}

/// Adds `old -> new` to `map`; refused when `old` goes elsewhere already.
fn add(map: &mut ZoneMap, old: &str, new: &str) -> Result<(), String> {
    match map.get(old) {
        Some(there) if there != new => Err(format!("zone {old} is mapped to both {there:?} and {new:?}")),
        _ => {
            map.insert(old.to_string(), new.to_string());
            Ok(())
        }
    }
}

/// The zone a rebuild of a server of `zone` names at boot in the new
/// region; `None`: no zone (Nova's default).
pub fn boot_zone(map: &ZoneMap, zone: Option<&str>) -> Option<String> {
    let zone = zone?;
    match map.get(zone) {
        Some(new) if new.is_empty() => None,
        Some(new) => Some(new.clone()),
        None => Some(zone.to_string()),
    }
}

/// Why a server of `zone` cannot boot in `new_region`, whose zones are
/// `offered`, if it cannot.
pub fn zone_problem(
    map: &ZoneMap,
    zone: Option<&str>,
    offered: &[AvailabilityZone],
    new_region: &str,
) -> Option<String> {
    let old = zone?;
    let target = boot_zone(map, Some(old))?;
    let mapped = map.contains_key(old);
    let found = offered.iter().find(|z| z.name == target);
    let what = match found {
        Some(z) if z.available => return None,
        Some(_) => "has no enabled compute service",
        None => "does not exist",
    };
    Some(match mapped {
        true => format!("the zone map sends zone {old} to {target}, which {what} in {new_region}"),
        false => format!(
            "zone {old} {what} in {new_region}: Nova would refuse the boot; map it (--zone-map {old}=ZONE, \
             or {old}= for the default zone) or create it there (an aggregate of that zone holding a new host: \
             cutover sync with a host map)"
        ),
    })
}

/// What the guest notices of its zone changing through the map, if it does.
pub fn zone_change(map: &ZoneMap, zone: Option<&str>, new_region: &str) -> Option<String> {
    let old = zone?;
    let new = map.get(old)?;
    if new == old {
        return None;
    }
    Some(match new.is_empty() {
        true => format!("zone map: boots in {new_region}'s default zone instead of zone {old}"),
        false => format!("zone map: boots in zone {new} of {new_region} instead of zone {old}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str, available: bool) -> AvailabilityZone {
        AvailabilityZone { name: name.into(), available }
    }

    #[test]
    fn mappings_parse_and_a_zone_mapped_two_ways_is_refused() {
        let map = parse_zone_map(["az-fast=nova", "az-old=", " az-x = az-y "]).unwrap();
        assert_eq!(map["az-fast"], "nova");
        assert_eq!(map["az-old"], "");
        assert_eq!(map["az-x"], "az-y");
        assert!(parse_zone_map(["az-fast"]).unwrap_err().to_string().contains("no `=`"));
        assert!(parse_zone_map(["=nova"]).unwrap_err().to_string().contains("no old zone"));
        let twice = parse_zone_map(["a=b", "a=c"]).unwrap_err();
        assert!(twice.to_string().contains("zone a is mapped to both \"b\" and \"c\""), "{twice}");
        assert!(parse_zone_map(["a=b", "a=b"]).is_ok(), "the same mapping twice is fine");
    }

    #[test]
    fn the_boot_zone_is_the_old_one_unless_mapped() {
        let map = parse_zone_map(["az-fast=nova", "az-old="]).unwrap();
        assert_eq!(boot_zone(&map, Some("az-fast")).as_deref(), Some("nova"));
        assert_eq!(boot_zone(&map, Some("az-old")), None, "mapped to the default zone");
        assert_eq!(boot_zone(&map, Some("az-2")).as_deref(), Some("az-2"));
        assert_eq!(boot_zone(&map, None), None);
    }

    #[test]
    fn a_zone_the_new_region_does_not_offer_is_a_problem() {
        let offered = [zone("nova", true), zone("az-down", false)];
        let none = ZoneMap::new();
        assert_eq!(zone_problem(&none, Some("nova"), &offered, "R2"), None);
        assert_eq!(zone_problem(&none, None, &offered, "R2"), None);
        let missing = zone_problem(&none, Some("az-fast"), &offered, "R2").unwrap();
        assert!(missing.starts_with("zone az-fast does not exist in R2: Nova would refuse the boot"), "{missing}");
        assert!(missing.contains("--zone-map az-fast=ZONE"), "{missing}");
        let down = zone_problem(&none, Some("az-down"), &offered, "R2").unwrap();
        assert!(down.starts_with("zone az-down has no enabled compute service in R2"), "{down}");

        let map = parse_zone_map(["az-fast=nova", "az-old=", "az-x=az-y"]).unwrap();
        assert_eq!(zone_problem(&map, Some("az-fast"), &offered, "R2"), None);
        assert_eq!(zone_problem(&map, Some("az-old"), &offered, "R2"), None, "the default zone needs nothing");
        assert_eq!(
            zone_problem(&map, Some("az-x"), &offered, "R2").unwrap(),
            "the zone map sends zone az-x to az-y, which does not exist in R2"
        );
        assert_eq!(
            zone_change(&map, Some("az-fast"), "R2").unwrap(),
            "zone map: boots in zone nova of R2 instead of zone az-fast"
        );
        assert_eq!(
            zone_change(&map, Some("az-old"), "R2").unwrap(),
            "zone map: boots in R2's default zone instead of zone az-old"
        );
        assert_eq!(zone_change(&map, Some("nova"), "R2"), None);
    }
}
