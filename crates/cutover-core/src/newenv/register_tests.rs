use super::*;
use crate::model::{CatalogService, Region};

fn service(id: &str, kind: &str) -> CatalogService {
    CatalogService { id: id.into(), kind: kind.into(), name: kind.into(), enabled: true }
}

fn endpoint(id: &str, service_id: &str, region: &str, interface: Interface, url: &str) -> Endpoint {
    Endpoint {
        id: id.into(),
        service_id: service_id.into(),
        region: Some(region.into()),
        interface,
        url: url.into(),
        enabled: true,
    }
}

/// Keystone, Nova, Glance and Cinder in region Old, every interface.
fn old_cloud() -> Catalog {
    let mut catalog = Catalog {
        regions: vec![Region { id: "Old".into(), description: String::new() }],
        services: vec![service("ks", "identity"), service("nova", "compute"), service("glance", "image")],
        endpoints: Vec::new(),
    };
    catalog.services.push(service("cinder", "volumev3"));
    for (svc, url) in [
        ("ks", "http://ks:5000/v3"),
        ("nova", "http://old:8774/v2.1"),
        ("glance", "http://glance:9292"),
        ("cinder", "http://cinder:8776/v3/%(tenant_id)s"),
    ] {
        for i in Interface::ALL {
            catalog.endpoints.push(endpoint(&format!("{svc}-{i}"), svc, "Old", i, url));
        }
    }
    catalog
}

fn request(shared: &[(SharedService, bool)]) -> Request {
    Request {
        old_region: "Old".into(),
        new_region: "New".into(),
        compute_urls: Interface::ALL.into_iter().map(|i| (i, format!("http://new:8774/v2.1#{i}"))).collect(),
        shared: shared.iter().map(|&(service, required)| Shared { service, required }).collect(),
    }
}

fn summary(wanted: &[Wanted]) -> Vec<String> {
    wanted.iter().map(|w| format!("{} {} {} {}", w.service_type, w.service_id, w.interface, w.url)).collect()
}

#[test]
fn compute_takes_the_operators_urls_and_shared_services_the_old_regions() {
    let got =
        wanted_endpoints(&old_cloud(), &request(&[(SharedService::Identity, false), (SharedService::Volume, true)]))
            .unwrap();
    assert_eq!(
        summary(&got.wanted),
        [
            "compute nova public http://new:8774/v2.1#public",
            "compute nova internal http://new:8774/v2.1#internal",
            "compute nova admin http://new:8774/v2.1#admin",
            "identity ks public http://ks:5000/v3",
            "identity ks internal http://ks:5000/v3",
            "identity ks admin http://ks:5000/v3",
            "volumev3 cinder public http://cinder:8776/v3/%(tenant_id)s",
            "volumev3 cinder internal http://cinder:8776/v3/%(tenant_id)s",
            "volumev3 cinder admin http://cinder:8776/v3/%(tenant_id)s",
        ]
    );
    assert!(got.skipped.is_empty());
}

#[test]
fn a_missing_shared_service_is_skipped_unless_required() {
    let got = wanted_endpoints(&old_cloud(), &request(&[(SharedService::Network, false)])).unwrap();
    assert_eq!(got.skipped, [SharedService::Network]);
    assert_eq!(got.wanted.len(), 3, "compute only");
    let err = wanted_endpoints(&old_cloud(), &request(&[(SharedService::Network, true)])).unwrap_err();
    assert_eq!(err.to_string(), "region Old has no network endpoint to copy (network)");
}

#[test]
fn no_compute_service_is_an_error_and_of_several_the_old_regions_is_taken() {
    let mut catalog = old_cloud();
    catalog.services.retain(|s| s.kind != "compute");
    assert_eq!(wanted_endpoints(&catalog, &request(&[])).unwrap_err(), RegisterError::NoComputeService);

    let mut catalog = old_cloud();
    catalog.services.push(service("legacy", "compute"));
    let got = wanted_endpoints(&catalog, &request(&[])).unwrap();
    assert!(got.wanted.iter().all(|w| w.service_id == "nova"));

    catalog.endpoints.push(endpoint("l", "legacy", "Old", Interface::Public, "http://legacy"));
    let err = wanted_endpoints(&catalog, &request(&[])).unwrap_err();
    assert!(matches!(err, RegisterError::AmbiguousComputeService { ref ids, .. } if ids.len() == 2), "{err}");
}

#[test]
fn an_old_region_without_endpoints_is_refused() {
    let mut req = request(&[]);
    req.old_region = "Nope".into();
    assert_eq!(wanted_endpoints(&old_cloud(), &req).unwrap_err(), RegisterError::EmptyOldRegion("Nope".into()));
}

#[test]
fn a_fresh_region_is_all_creates_and_a_registered_one_is_done() {
    let mut catalog = old_cloud();
    let req = request(&[(SharedService::Identity, true)]);
    let wanted = wanted_endpoints(&catalog, &req).unwrap().wanted;
    let fresh = plan(&catalog, "New", wanted.clone());
    assert_eq!(fresh.region_action, RegionAction::Create);
    assert!(fresh.endpoints.iter().all(|s| s.action == EndpointAction::Create));
    assert!(!fresh.is_done());

    catalog.regions.push(Region { id: "New".into(), description: String::new() });
    for (n, w) in wanted.iter().enumerate() {
        catalog.endpoints.push(endpoint(&format!("n{n}"), &w.service_id, "New", w.interface, &w.url));
    }
    let again = plan(&catalog, "New", wanted);
    assert_eq!(again.region_action, RegionAction::Exists);
    assert!(again.is_done(), "{again:?}");
}

#[test]
fn another_url_or_a_disabled_endpoint_differs() {
    let mut catalog = old_cloud();
    catalog.regions.push(Region { id: "New".into(), description: String::new() });
    catalog.endpoints.push(endpoint("a", "nova", "New", Interface::Public, "http://elsewhere"));
    let mut disabled = endpoint("b", "nova", "New", Interface::Internal, "http://new:8774/v2.1#internal");
    disabled.enabled = false;
    catalog.endpoints.push(disabled);
    // Another region's endpoint for the same service is not ours.
    catalog.endpoints.push(endpoint("c", "nova", "Third", Interface::Admin, "http://new:8774/v2.1#admin"));
    let wanted = wanted_endpoints(&catalog, &request(&[])).unwrap().wanted;
    let p = plan(&catalog, "New", wanted);
    let actions: Vec<&EndpointAction> = p.endpoints.iter().map(|s| &s.action).collect();
    assert_eq!(
        actions,
        [
            &EndpointAction::Differs { id: "a".into(), current_url: "http://elsewhere".into(), enabled: true },
            &EndpointAction::Differs {
                id: "b".into(),
                current_url: "http://new:8774/v2.1#internal".into(),
                enabled: false
            },
            &EndpointAction::Create,
        ]
    );
    assert!(!p.is_done());
}

#[test]
fn outcomes_follow_dry_run_and_update() {
    let differs = EndpointAction::Differs { id: "a".into(), current_url: "u".into(), enabled: true };
    assert_eq!(Outcome::of(&differs, true, false), Outcome::Different);
    assert_eq!(Outcome::of(&differs, true, true), Outcome::Updated);
    assert_eq!(Outcome::of(&differs, false, true), Outcome::WouldUpdate);
    assert_eq!(Outcome::of(&EndpointAction::Create, false, false), Outcome::WouldCreate);
    assert_eq!(Outcome::of(&EndpointAction::Create, true, false), Outcome::Created);
    assert_eq!(Outcome::of(&EndpointAction::Exists { id: "x".into() }, true, true).as_str(), "exists");
}
