/*!
Registering the new region in Keystone: from the catalog as it is and what
the operator asked for, the endpoints the new region needs (compute at the
operator's URLs; the shared services at the old region's URLs, same service
ids) and, for each, whether it must be created, is there, or differs.
*/

use std::collections::BTreeMap;
use std::fmt;

use crate::id::RegionName;
use crate::model::{Catalog, Endpoint, Interface};

/// A service both Novas use, whose old-region endpoints are copied into the
/// new region: Nova and the clients of the new region look them up there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SharedService {
    /// keystonemiddleware in the new Nova finds Keystone in its own region.
    Identity,
    Image,
    Network,
    /// Cinder under any of its catalog types.
    Volume,
    Placement,
}

impl SharedService {
    /// The catalog types that stand for this service.
    pub fn catalog_types(self) -> &'static [&'static str] {
        match self {
            SharedService::Identity => &["identity"],
            SharedService::Image => &["image"],
            SharedService::Network => &["network"],
            SharedService::Volume => &["block-storage", "volume", "volumev2", "volumev3"],
            SharedService::Placement => &["placement"],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SharedService::Identity => "identity",
            SharedService::Image => "image",
            SharedService::Network => "network",
            SharedService::Volume => "volume",
            SharedService::Placement => "placement",
        }
    }
}

impl fmt::Display for SharedService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One shared service to copy; a `required` one missing from the old
/// region is an error, another is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shared {
    pub service: SharedService,
    pub required: bool,
}

/// What the operator asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub old_region: RegionName,
    pub new_region: RegionName,
    /// The new Nova API's URL for each interface (all three).
    pub compute_urls: BTreeMap<Interface, String>,
    pub shared: Vec<Shared>,
}

/// An endpoint the new region must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub service_id: String,
    /// The service type, e.g. `compute`.
    pub service_type: String,
    pub interface: Interface,
    pub url: String,
}

/// The endpoints to register, and the optional shared services the old
/// region does not have (nothing to copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub wanted: Vec<Wanted>,
    pub skipped: Vec<SharedService>,
}

/// Why the request cannot be met; each is the operator's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("Keystone has no service of type compute (openstack service create --name nova compute)")]
    NoComputeService,
    #[error(
        "Keystone has {} services of type compute ({}) and none alone has endpoints in region {old_region}",
        ids.len(), ids.join(", ")
    )]
    AmbiguousComputeService { ids: Vec<String>, old_region: String },
    #[error("region {region} has no {service} endpoint to copy ({})", service.catalog_types().join(", "))]
    NotInOldRegion { service: SharedService, region: RegionName },
    #[error("region {0} has no endpoints in Keystone: is it the old region?")]
    EmptyOldRegion(RegionName),
}

/// The endpoints `request` asks for: compute with the operator's URLs and
/// the compute service id from the catalog, then each shared service's
/// endpoints of the old region, same URL and service id, in request order.
pub fn wanted_endpoints(catalog: &Catalog, request: &Request) -> Result<Endpoints, RegisterError> {
    let old = &request.old_region;
    if catalog.endpoints_in(old).next().is_none() {
        return Err(RegisterError::EmptyOldRegion(old.clone()));
    }
    let compute = compute_service(catalog, old)?;
    let mut wanted: Vec<Wanted> = request
        .compute_urls
        .iter()
        .map(|(&interface, url)| Wanted {
            service_id: compute.to_string(),
            service_type: "compute".to_string(),
            interface,
            url: url.clone(),
        })
        .collect();
    let mut skipped = Vec::new();
    for shared in &request.shared {
        let mut copies: Vec<Wanted> = catalog
            .endpoints_in(old)
            .filter_map(|e| {
                let kind = &catalog.service(&e.service_id)?.kind;
                shared.service.catalog_types().contains(&kind.as_str()).then(|| Wanted {
                    service_id: e.service_id.clone(),
                    service_type: kind.clone(),
                    interface: e.interface,
                    url: e.url.clone(),
                })
            })
            .collect();
        copies.sort_by(|a, b| (&a.service_type, a.interface).cmp(&(&b.service_type, b.interface)));
        // Two endpoints of one service and interface in a region is a
        // catalog mistake; the first one is copied.
        copies.dedup_by(|a, b| a.service_id == b.service_id && a.interface == b.interface);
        match (copies.is_empty(), shared.required) {
            (true, true) => return Err(RegisterError::NotInOldRegion { service: shared.service, region: old.clone() }),
            (true, false) => skipped.push(shared.service),
            (false, _) => {
                for copy in copies {
                    if !wanted.iter().any(|w| w.service_id == copy.service_id && w.interface == copy.interface) {
                        wanted.push(copy);
                    }
                }
            }
        }
    }
    Ok(Endpoints { wanted, skipped })
}

/// The one compute service: the only one, or the only one with endpoints
/// in the old region.
fn compute_service<'a>(catalog: &'a Catalog, old_region: &str) -> Result<&'a str, RegisterError> {
    let all: Vec<&str> = catalog.services.iter().filter(|s| s.kind == "compute").map(|s| s.id.as_str()).collect();
    match all.as_slice() {
        [] => Err(RegisterError::NoComputeService),
        [one] => Ok(one),
        _ => {
            let in_old: Vec<&str> = all
                .iter()
                .copied()
                .filter(|id| catalog.endpoints_in(old_region).any(|e| e.service_id == *id))
                .collect();
            match in_old.as_slice() {
                [one] => Ok(one),
                _ => Err(RegisterError::AmbiguousComputeService {
                    ids: all.iter().map(|s| s.to_string()).collect(),
                    old_region: old_region.to_string(),
                }),
            }
        }
    }
}

/// What to do about the new region itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionAction {
    Create,
    Exists,
}

/// What to do about one wanted endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointAction {
    Create,
    /// Registered with this URL and enabled.
    Exists {
        id: String,
    },
    /// Registered for this service and interface, but at another URL or
    /// disabled: changed only when the operator says so.
    Differs {
        id: String,
        current_url: String,
        enabled: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStep {
    pub wanted: Wanted,
    pub action: EndpointAction,
}

/// Everything `register` would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub region: RegionName,
    pub region_action: RegionAction,
    pub endpoints: Vec<EndpointStep>,
}

impl Plan {
    /// Nothing to create and nothing different: already registered.
    pub fn is_done(&self) -> bool {
        self.region_action == RegionAction::Exists
            && self.endpoints.iter().all(|s| matches!(s.action, EndpointAction::Exists { .. }))
    }
}

/// Compares the wanted endpoints with the catalog's endpoints of
/// `new_region`, keyed by service id and interface.
pub fn plan(catalog: &Catalog, new_region: &str, wanted: Vec<Wanted>) -> Plan {
    let region_action = if catalog.region(new_region).is_some() { RegionAction::Exists } else { RegionAction::Create };
    let endpoints = wanted
        .into_iter()
        .map(|wanted| {
            let existing: Vec<&Endpoint> = catalog
                .endpoints_in(new_region)
                .filter(|e| e.service_id == wanted.service_id && e.interface == wanted.interface)
                .collect();
            let action = match existing.iter().find(|e| e.url == wanted.url && e.enabled) {
                Some(e) => EndpointAction::Exists { id: e.id.clone() },
                None => {
                    // Of several, the one already at the URL (but disabled)
                    // is the one to fix.
                    let first = existing.iter().find(|e| e.url == wanted.url).or(existing.first());
                    match first {
                        Some(e) => {
                            EndpointAction::Differs { id: e.id.clone(), current_url: e.url.clone(), enabled: e.enabled }
                        }
                        None => EndpointAction::Create,
                    }
                }
            };
            EndpointStep { wanted, action }
        })
        .collect();
    Plan { region: new_region.into(), region_action, endpoints }
}

/// What happened to (or would happen to) one resource, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Exists,
    Different,
    Updated,
    WouldCreate,
    WouldUpdate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Exists => "exists",
            Outcome::Different => "different",
            Outcome::Updated => "updated",
            Outcome::WouldCreate => "would create",
            Outcome::WouldUpdate => "would update",
        }
    }

    /// The outcome of `action` when it is carried out (`apply`, else a dry
    /// run) with or without leave to change a differing endpoint.
    pub fn of(action: &EndpointAction, apply: bool, update: bool) -> Outcome {
        match (action, apply, update) {
            (EndpointAction::Create, true, _) => Outcome::Created,
            (EndpointAction::Create, false, _) => Outcome::WouldCreate,
            (EndpointAction::Exists { .. }, _, _) => Outcome::Exists,
            (EndpointAction::Differs { .. }, _, false) => Outcome::Different,
            (EndpointAction::Differs { .. }, true, true) => Outcome::Updated,
            (EndpointAction::Differs { .. }, false, true) => Outcome::WouldUpdate,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[path = "register_tests.rs"]
mod tests;
