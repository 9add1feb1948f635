use std::collections::BTreeMap;

use super::*;
use crate::model::{CatalogService, FlavorRef, HypervisorResources, Interface, ServerStatus};

fn service(binary: &str, host: &str, up: bool, enabled: bool) -> ComputeService {
    ComputeService {
        id: format!("{binary}@{host}"),
        binary: binary.into(),
        host: host.into(),
        zone: "nova".into(),
        enabled,
        up,
        disabled_reason: None,
    }
}

fn server(name: &str, host: Option<&str>) -> ServerSummary {
    ServerSummary {
        id: format!("id-{name}").into(),
        name: name.into(),
        project_id: "p".into(),
        user_id: "u".into(),
        host: host.map(Into::into),
        status: ServerStatus::Active,
        flavor: FlavorRef { id: Some("1".into()), original_name: None, sizes: None, extra_specs: None },
        image_id: None,
        volume_ids: Vec::new(),
        addresses: BTreeMap::new(),
        availability_zone: None,
    }
}

fn hypervisor(host: &str, running_vms: u64) -> Hypervisor {
    Hypervisor {
        id: format!("hv-{host}"),
        hostname: host.into(),
        service_host: Some(host.into()),
        up: false,
        enabled: false,
        resources: Some(HypervisorResources {
            vcpus: 8,
            vcpus_used: 0,
            memory_mib: 1024,
            memory_mib_used: 0,
            local_gib: 10,
            local_gib_used: 0,
            running_vms,
        }),
    }
}

fn old_services() -> Vec<ComputeService> {
    vec![
        service("nova-conductor", "ctl", true, true),
        service("nova-compute", "old-1", false, false),
        service("nova-scheduler", "ctl", false, true),
        service("nova-compute", "old-2", false, false),
        service("nova-consoleauth", "ctl", false, true),
    ]
}

fn assess_with(services: &[ComputeService], servers: &[ServerSummary], hypervisors: &[Hypervisor]) -> Retirement {
    let new = [service("nova-compute", "old-1", true, true)];
    let observed =
        Observed { old_services: services, old_servers: servers, old_hypervisors: hypervisors, new_services: &new };
    assess("RegionOne", observed, None)
}

#[test]
fn everything_moved_means_every_service_goes_computes_first_conductor_last() {
    let r = assess_with(&old_services(), &[], &[hypervisor("old-1", 0)]);
    assert!(!r.blocked());
    assert_eq!(r.refusal(), None);
    let order: Vec<(&str, &str)> =
        r.services.iter().map(|row| (row.service.binary.as_str(), row.service.host.as_str())).collect();
    assert_eq!(
        order,
        [
            ("nova-compute", "old-1"),
            ("nova-compute", "old-2"),
            ("nova-consoleauth", "ctl"),
            ("nova-scheduler", "ctl"),
            ("nova-conductor", "ctl"),
        ]
    );
    assert_eq!(r.services[0].note, "its host is a compute of the new region");
    assert_eq!(r.services[1].note, "down and disabled");
    assert!(r.services[4].note.starts_with("still up"), "a running conductor is worth a warning");
    assert!(r.services.iter().all(|row| !row.blocks));
}

#[test]
fn servers_left_in_the_old_region_block_and_are_named() {
    let servers = [server("web-1", Some("old-1")), server("never-scheduled", None)];
    let r = assess_with(&old_services(), &servers, &[]);
    assert!(r.blocked());
    let line = r.refusal().expect("refused");
    assert!(
        line.contains("RegionOne still has 2 servers: never-scheduled (id-never-scheduled), web-1 (id-web-1)"),
        "{line}"
    );
    assert!(line.contains("1 compute host of RegionOne not moved yet: old-1 (1 server)"), "{line}");
    assert!(!line.contains('\n'));
}

#[test]
fn an_old_compute_up_enabled_or_still_running_vms_has_not_moved() {
    let services = [
        service("nova-compute", "old-1", true, false),
        service("nova-compute", "old-2", false, true),
        service("nova-compute", "old-3", false, false),
        service("nova-compute", "old-4", false, false),
    ];
    let r = assess_with(&services, &[], &[hypervisor("old-3", 2), hypervisor("old-4", 0)]);
    let left: Vec<(&str, &str)> = r.hosts_left.iter().map(|h| (h.host.as_str(), h.reasons.as_str())).collect();
    assert_eq!(left, [("old-1", "up"), ("old-2", "enabled"), ("old-3", "its hypervisor runs 2 VMs")]);
    assert!(r.services.iter().filter(|row| row.blocks).count() == 3);
    assert!(r.services.iter().any(|row| row.service.host == "old-4" && !row.blocks));
}

#[test]
fn a_long_refusal_names_a_few_and_counts_the_rest() {
    let servers: Vec<ServerSummary> = (0..8).map(|i| server(&format!("s{i}"), None)).collect();
    let line = assess_with(&[], &servers, &[]).refusal().unwrap();
    assert!(line.ends_with("s3 (id-s3), s4 (id-s4), and 3 more"), "{line}");
}

#[test]
fn nothing_left_is_done() {
    let r = assess_with(&[], &[], &[]);
    assert!(r.is_done() && !r.blocked());
}

#[test]
fn only_novas_own_endpoints_of_the_old_region_go() {
    let svc =
        |id: &str, kind: &str| CatalogService { id: id.into(), kind: kind.into(), name: kind.into(), enabled: true };
    let ep = |id: &str, service: &str, region: &str| Endpoint {
        id: id.into(),
        service_id: service.into(),
        region: Some(region.into()),
        interface: Interface::Public,
        url: format!("http://{id}"),
        enabled: true,
    };
    let catalog = Catalog {
        regions: Vec::new(),
        services: vec![
            svc("nova", "compute"),
            svc("legacy", "compute_legacy"),
            svc("glance", "image"),
            svc("placement", "placement"),
        ],
        endpoints: vec![
            ep("c1", "nova", "RegionOne"),
            ep("c2", "nova", "RegionTwo"),
            ep("l1", "legacy", "RegionOne"),
            ep("g1", "glance", "RegionOne"),
            ep("p1", "placement", "RegionOne"),
        ],
    };
    let ids: Vec<String> = nova_endpoints(&catalog, "RegionOne", Interface::Public).into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["l1", "c1"]);
    let observed = Observed { old_services: &[], old_servers: &[], old_hypervisors: &[], new_services: &[] };
    let asked = EndpointsAsked { catalog: &catalog, via: Interface::Public };
    assert_eq!(assess("RegionOne", observed, Some(asked)).endpoints.len(), 2);
    assert!(assess("RegionOne", observed, None).endpoints.is_empty(), "endpoints only when asked");
}

#[test]
fn the_endpoint_cutover_reaches_the_old_nova_through_goes_last() {
    // Whatever the ids, so that a retire cut short between two deletions
    // can list the old Nova again on its next run.
    let ep = |id: &str, service: &str, interface: Interface| Endpoint {
        id: id.into(),
        service_id: service.into(),
        region: Some("RegionOne".into()),
        interface,
        url: format!("http://{id}"),
        enabled: true,
    };
    let svc =
        |id: &str, kind: &str| CatalogService { id: id.into(), kind: kind.into(), name: kind.into(), enabled: true };
    let catalog = Catalog {
        regions: Vec::new(),
        services: vec![svc("a-nova", "compute"), svc("z-legacy", "compute_legacy")],
        endpoints: vec![
            ep("1", "a-nova", Interface::Public),
            ep("2", "a-nova", Interface::Internal),
            ep("3", "a-nova", Interface::Admin),
            ep("4", "z-legacy", Interface::Public),
        ],
    };
    let order = |via| -> Vec<String> { nova_endpoints(&catalog, "RegionOne", via).into_iter().map(|e| e.id).collect() };
    assert_eq!(order(Interface::Public), ["2", "3", "4", "1"]);
    assert_eq!(order(Interface::Internal), ["1", "3", "4", "2"]);
}
