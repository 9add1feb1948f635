/*!
Whether cutover can work with both regions at all: authenticated, both
regions in the catalog with a compute endpoint, admin rights, Glance, Cinder
and Neutron (or nova-network) answering through each region's endpoints,
the networking mode and microversions of each Nova, and the services each
Nova runs (the new one needs a conductor, a scheduler and a compute up).
*/

use super::check::{Check, Status, NEEDS_ADMIN};
use super::observation::{Gathered, Networking, Observation, RegionView};
use crate::model::ComputeService;

/// The checks about access and the services of both regions.
pub fn checks(obs: &Observation) -> Vec<Check> {
    let scope = &obs.scope;
    let mut checks = vec![Check::new(
        "authenticate",
        None,
        Status::Ok,
        format!("cloud {} as user {} on project {}", obs.cloud, scope.user, scope.project),
    )];
    checks.push(region(&obs.old));
    if let Err(why) = &obs.new {
        checks.push(Check::new("region", Some(&obs.new_region), Status::Fail, why.clone()));
    }
    let new = obs.new.as_ref().ok();
    if let Some(new) = new {
        checks.push(region(new));
    }
    checks.push(admin(obs));
    let regions: Vec<&RegionView> = std::iter::once(&obs.old).chain(new).collect();
    for view in &regions {
        checks.push(reachable("image service", view, "image", "Glance", &view.image));
        checks.push(reachable("volume service", view, "block-storage", "Cinder", &view.volume));
        checks.push(network_service(view));
    }
    if let Some(new) = new {
        checks.push(same_networking(&obs.old, new));
    }
    for view in &regions {
        checks.push(microversions(view, (!std::ptr::eq(*view, &obs.old)).then_some(&obs.old)));
    }
    let is_admin = scope.is_admin();
    checks.push(nova_services(&obs.old, false, is_admin));
    if let Some(new) = new {
        checks.push(nova_services(new, true, is_admin));
    }
    checks
}

fn region(view: &RegionView) -> Check {
    let name = Some(view.name.as_str());
    if view.has("compute") && view.compute_versions.is_some() {
        Check::new("region", name, Status::Ok, "in the catalog, with a compute endpoint")
    } else {
        Check::new("region", name, Status::Fail, format!("region {} has no compute endpoint in the catalog", view.name))
    }
}

fn admin(obs: &Observation) -> Check {
    let scope = &obs.scope;
    if !scope.is_admin() {
        return Check::new(
            "admin",
            None,
            Status::Fail,
            format!("user {} has no admin role on project {} (preflight needs an admin)", scope.user, scope.project),
        );
    }
    let views = std::iter::once(&obs.old).chain(obs.new.as_ref().ok());
    for view in views {
        if let Err(why) = &view.services {
            return Check::new(
                "admin",
                None,
                Status::Fail,
                format!("user {} has the admin role, but an admin-only call failed: {why}", scope.user),
            );
        }
    }
    Check::new(
        "admin",
        None,
        Status::Ok,
        format!("user {} has the admin role on project {}; os-services answers", scope.user, scope.project),
    )
}

fn reachable(name: &str, view: &RegionView, service_type: &str, what: &str, probe: &Option<Gathered<()>>) -> Check {
    let region = Some(view.name.as_str());
    match probe {
        None => Check::new(name, region, Status::Fail, format!("no {service_type} endpoint in region {}", view.name)),
        Some(Ok(())) => Check::new(name, region, Status::Ok, format!("{what} answers")),
        Some(Err(why)) => Check::new(name, region, Status::Fail, why.clone()),
    }
}

/// How a Nova region provides networking: a nova-network cloud runs a
/// `nova-network` service; otherwise Neutron, which needs a network
/// endpoint in the region's catalog.
pub fn networking_mode(services: &Gathered<Vec<ComputeService>>, has_network_endpoint: bool) -> Gathered<Networking> {
    match services {
        Ok(services) if services.iter().any(|s| s.binary == "nova-network") => Ok(Networking::NovaNetwork),
        _ if has_network_endpoint => Ok(Networking::Neutron),
        Ok(_) => Err("neither a nova-network service nor a network endpoint in the catalog".into()),
        Err(why) => Err(format!("no network endpoint in the catalog, and os-services failed: {why}")),
    }
}

fn network_service(view: &RegionView) -> Check {
    let region = Some(view.name.as_str());
    let fail = |why: String| Check::new("network service", region, Status::Fail, why);
    match networking_mode(&view.services, view.has("network")) {
        Err(why) => fail(why),
        Ok(Networking::Neutron) => match &view.network {
            Some(Ok(())) => Check::new("network service", region, Status::Ok, "Neutron answers"),
            Some(Err(why)) => fail(format!("Neutron: {why}")),
            None => fail(format!("no network endpoint in region {}", view.name)),
        },
        Ok(Networking::NovaNetwork) => {
            let services = view.services.as_deref().unwrap_or_default();
            let net: Vec<&ComputeService> = services.iter().filter(|s| s.binary == "nova-network").collect();
            let down: Vec<&str> = net.iter().filter(|s| !s.up).map(|s| s.host.as_str()).collect();
            if down.len() == net.len() {
                fail(format!("nova-network is down on {}", down.join(", ")))
            } else if down.is_empty() {
                Check::new("network service", region, Status::Ok, format!("nova-network up on {} host(s)", net.len()))
            } else {
                Check::new("network service", region, Status::Warn, format!("nova-network down on {}", down.join(", ")))
            }
        }
    }
}

fn same_networking(old: &RegionView, new: &RegionView) -> Check {
    let old_mode = networking_mode(&old.services, old.has("network"));
    let new_mode = networking_mode(&new.services, new.has("network"));
    match (old_mode, new_mode) {
        (Ok(a), Ok(b)) if a == b => Check::new("networking", None, Status::Ok, format!("both regions use {a}")),
        // No strategy moves a server across modes (its fixed and floating
        // IPs could not be kept): `cutover run` refuses such a plan.
        (Ok(a), Ok(b)) => Check::new(
            "networking",
            None,
            Status::Fail,
            format!(
                "{} uses {a}, {} uses {b}: cutover cannot move servers between networking modes",
                old.name, new.name
            ),
        ),
        _ => Check::new("networking", None, Status::Fail, "the networking mode of a region is unknown (see above)"),
    }
}

fn microversions(view: &RegionView, old: Option<&RegionView>) -> Check {
    let region = Some(view.name.as_str());
    let Some(range) = view.compute_versions else {
        return Check::new("microversions", region, Status::Fail, "no compute endpoint");
    };
    let base = format!("compute {range}");
    let old_max = old.and_then(|o| o.compute_versions).map(|r| r.max);
    match old_max {
        Some(old_max) if range.max < old_max => Check::new(
            "microversions",
            region,
            Status::Warn,
            format!("{base}: older than the old region's (up to {old_max})"),
        ),
        _ if range.max == range.min => {
            Check::new("microversions", region, Status::Ok, format!("{base} (no microversions: 2.1 calls only)"))
        }
        _ => Check::new("microversions", region, Status::Ok, base),
    }
}

/// The old region needs its control services to stop and snapshot servers;
/// the new one also needs a compute host to boot them on.
fn nova_services(view: &RegionView, new: bool, is_admin: bool) -> Check {
    let region = Some(view.name.as_str());
    let services = match &view.services {
        Ok(services) => services,
        Err(_) if !is_admin => return Check::new("nova services", region, Status::Warn, NEEDS_ADMIN),
        Err(why) => return Check::new("nova services", region, Status::Fail, why.clone()),
    };
    let mut problems = Vec::new();
    for binary in ["nova-conductor", "nova-scheduler"] {
        let of: Vec<&ComputeService> = services.iter().filter(|s| s.binary == binary).collect();
        if of.is_empty() {
            problems.push(format!("no {binary} service"));
        } else if !of.iter().any(|s| s.up) {
            let hosts: Vec<&str> = of.iter().map(|s| s.host.as_str()).collect();
            problems.push(format!("{binary} is down on {}", hosts.join(", ")));
        }
    }
    let computes: Vec<&ComputeService> = services.iter().filter(|s| s.binary == "nova-compute").collect();
    let usable = computes.iter().filter(|s| s.up && s.enabled).count();
    let down: Vec<&str> = computes.iter().filter(|s| !s.up).map(|s| s.host.as_str()).collect();
    if new && usable == 0 {
        problems.push(match computes.len() {
            0 => "no nova-compute service: no host to boot servers on".to_string(),
            n => format!("none of its {n} nova-compute services is up and enabled"),
        });
    }
    if !problems.is_empty() {
        return Check::new("nova services", region, Status::Fail, problems.join("; "));
    }
    let summary = format!("conductor and scheduler up; {usable} of {} nova-compute up and enabled", computes.len());
    if !down.is_empty() {
        let what = if new { "new servers cannot go there" } else { "their servers cannot be stopped or moved" };
        return Check::new(
            "nova services",
            region,
            Status::Warn,
            format!("{summary}; nova-compute down on {}: {what}", down.join(", ")),
        );
    }
    Check::new("nova services", region, Status::Ok, summary)
}
