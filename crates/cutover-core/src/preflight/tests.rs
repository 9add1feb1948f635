//! Every preflight rule on a hand-built observation: a healthy cloud, then
//! one thing broken at a time.

use std::collections::BTreeMap;

use super::*;
use crate::microversion::{Microversion, VersionRange};
use crate::model::{
    Address, AvailabilityZone, ComputeService, Flavor, FlavorRef, FlavorSizes, Hypervisor, HypervisorResources, Image,
    ImageStatus, Network, Port, Project, ServerStatus, ServerSummary,
};
use crate::plan::zones::ZoneMap;

fn service(binary: &str, host: &str) -> ComputeService {
    ComputeService {
        id: format!("{binary}@{host}"),
        binary: binary.into(),
        host: host.into(),
        zone: "nova".into(),
        enabled: true,
        up: true,
        disabled_reason: None,
    }
}

fn hypervisor(name: &str, vcpus: u64, ram_mib: u64, disk_gib: u64) -> Hypervisor {
    Hypervisor {
        id: name.into(),
        hostname: name.into(),
        service_host: Some(name.into()),
        up: true,
        enabled: true,
        resources: Some(HypervisorResources {
            vcpus,
            vcpus_used: 0,
            memory_mib: ram_mib,
            memory_mib_used: 0,
            local_gib: disk_gib,
            local_gib_used: 0,
            running_vms: 0,
        }),
    }
}

fn flavor(id: &str, name: &str, vcpus: u32, ram_mib: u64, disk_gib: u64) -> Flavor {
    Flavor::public(id, name, vcpus, ram_mib, disk_gib)
}

/// A server by flavor id (below 2.47), on `host`, image-backed, on `net`.
fn server(name: &str, host: &str, flavor_id: &str) -> ServerSummary {
    ServerSummary {
        id: format!("id-{name}").into(),
        name: name.into(),
        project_id: "p-acme".into(),
        user_id: "u-alice".into(),
        host: Some(host.into()),
        status: ServerStatus::Active,
        flavor: FlavorRef { id: Some(flavor_id.into()), original_name: None, sizes: None, extra_specs: None },
        image_id: Some("img-cirros".into()),
        volume_ids: vec![],
        addresses: BTreeMap::from([(
            "net".to_string(),
            vec![Address { addr: "10.0.0.5".into(), kind: "fixed".into(), mac: None }],
        )]),
        availability_zone: None,
    }
}

fn region(name: &str, computes: &[&str]) -> RegionView {
    let mut services = vec![service("nova-conductor", "controller"), service("nova-scheduler", "controller")];
    services.extend(computes.iter().map(|h| service("nova-compute", h)));
    RegionView {
        name: name.into(),
        catalog: ["compute", "image", "network", "block-storage"].map(String::from).to_vec(),
        compute_versions: Some(VersionRange { min: Microversion::new(2, 1), max: Microversion::new(2, 96) }),
        image: Some(Ok(())),
        volume: Some(Ok(())),
        network: Some(Ok(())),
        services: Ok(services),
        hypervisors: Ok(computes.iter().map(|h| hypervisor(h, 16, 65536, 1000)).collect()),
        zones: Some(Ok(vec![AvailabilityZone { name: "nova".into(), available: true }])),
    }
}

/// Two old hosts with 4 small servers, two roomy new hosts, Neutron.
pub(super) fn healthy() -> Observation {
    let servers = vec![
        server("web-1", "old-1", "2"),
        server("web-2", "old-1", "2"),
        server("db-1", "old-2", "3"),
        server("app-1", "old-2", "2"),
    ];
    let ports = servers
        .iter()
        .map(|s| Port {
            id: format!("port-{}", s.name).into(),
            network_id: "net-id".into(),
            project_id: "p-acme".into(),
            device_id: s.id.clone().into(),
            device_owner: "compute:nova".into(),
            mac_address: "fa:16:3e:00:00:01".into(),
            fixed_ips: vec!["10.0.0.5".into()],
            subnet_ids: vec!["subnet-id".into()],
            security_group_ids: Vec::new(),
        })
        .collect();
    Observation {
        cloud: "prod".into(),
        scope: Scope { user: "admin".into(), project: "admin".into(), roles: vec!["admin".into(), "member".into()] },
        old: region("RegionOne", &["old-1", "old-2"]),
        new_region: "RegionTwo".into(),
        new: Ok(region("RegionTwo", &["new-1", "new-2"])),
        inventory: Inventory {
            servers: Ok(servers),
            flavors: Ok(vec![flavor("2", "m1.small", 1, 2048, 20), flavor("3", "m1.medium", 2, 4096, 40)]),
            images: Ok(vec![Image {
                id: "img-cirros".into(),
                name: Some("cirros".into()),
                status: ImageStatus::Active,
                owner: None,
                visibility: Some("public".into()),
                size: Some(1),
                os_type: None,
            }]),
            networks: Ok(vec![Network {
                id: "net-id".into(),
                name: "net".into(),
                project_id: Some("p-acme".into()),
                external: false,
                shared: false,
            }]),
            ports: Ok(ports),
            volumes: Ok(vec![]),
            projects: vec![Project {
                id: "p-acme".into(),
                name: "acme".into(),
                domain_id: "default".into(),
                users: Default::default(),
            }],
        },
    }
}

fn run(obs: &Observation) -> Vec<Check> {
    evaluate(obs, AllocationRatios::default(), &ZoneMap::new())
}

fn find<'a>(checks: &'a [Check], name: &str, region: Option<&str>) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name && c.region.as_deref() == region)
        .unwrap_or_else(|| panic!("no {name} check for {region:?}: {checks:#?}"))
}

#[track_caller]
fn assert_check(obs: &Observation, name: &str, region: Option<&str>, status: Status, words: &[&str]) {
    let checks = run(obs);
    let check = find(&checks, name, region);
    assert_eq!(check.status, status, "{check:?}");
    for word in words {
        assert!(check.reason.contains(word), "{word:?} not in {:?}", check.reason);
    }
}

#[test]
fn a_healthy_cloud_passes_every_check() {
    let checks = run(&healthy());
    assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
    assert!(!failed(&checks));
    for name in ["image service", "volume service", "network service", "microversions", "nova services"] {
        find(&checks, name, Some("RegionOne"));
        find(&checks, name, Some("RegionTwo"));
    }
}

#[test]
fn a_new_region_not_in_the_catalog_is_one_failed_row() {
    let mut obs = healthy();
    obs.new = Err("region RegionTwo is not in the catalog of cloud prod (regions there: RegionOne)".into());
    let checks = run(&obs);
    let region = find(&checks, "region", Some("RegionTwo"));
    assert_eq!(region.status, Status::Fail);
    assert!(region.reason.contains("regions there: RegionOne"));
    assert!(checks.iter().all(|c| c.region.as_deref() != Some("RegionTwo") || c.name == "region"));
    assert_eq!(find(&checks, "region", Some("RegionOne")).status, Status::Ok);
    assert!(failed(&checks));
}

#[test]
fn a_region_without_compute_endpoint_fails() {
    let mut obs = healthy();
    if let Ok(new) = &mut obs.new {
        new.catalog.retain(|s| s != "compute");
        new.compute_versions = None;
    }
    assert_check(&obs, "region", Some("RegionTwo"), Status::Fail, &["no compute endpoint"]);
    assert_check(&obs, "microversions", Some("RegionTwo"), Status::Fail, &["no compute endpoint"]);
}

#[test]
fn a_user_without_the_admin_role_fails_and_admin_checks_are_not_run() {
    let mut obs = healthy();
    obs.scope = Scope { user: "alice".into(), project: "acme".into(), roles: vec!["member".into()] };
    fn forbidden<T>() -> Gathered<T> {
        Err("RegionOne compute GET os-services: 403 Forbidden: policy".to_string())
    }
    obs.old.services = forbidden();
    obs.inventory.servers = forbidden();
    if let Ok(new) = &mut obs.new {
        new.services = forbidden();
        new.hypervisors = forbidden();
    }
    assert_check(
        &obs,
        "admin",
        None,
        Status::Fail,
        &["user alice has no admin role on project acme (preflight needs an admin)"],
    );
    assert_check(&obs, "nova services", Some("RegionTwo"), Status::Warn, &["needs an admin"]);
    assert_check(&obs, "capacity", Some("RegionTwo"), Status::Warn, &["needs an admin"]);
    assert_check(&obs, "servers", Some("RegionOne"), Status::Warn, &["needs an admin"]);
}

#[test]
fn the_admin_role_without_admin_rights_fails() {
    let mut obs = healthy();
    obs.old.services = Err("RegionOne compute GET os-services: 403 Forbidden: nope".into());
    assert_check(&obs, "admin", None, Status::Fail, &["has the admin role, but", "403"]);
}

#[test]
fn an_unreachable_shared_service_fails_in_that_region() {
    let mut obs = healthy();
    if let Ok(new) = &mut obs.new {
        new.volume = Some(Err("RegionTwo block-storage GET volumes: 503 Service Unavailable".into()));
        new.image = None;
    }
    assert_check(&obs, "volume service", Some("RegionTwo"), Status::Fail, &["503"]);
    assert_check(&obs, "image service", Some("RegionTwo"), Status::Fail, &["no image endpoint"]);
    assert_check(&obs, "volume service", Some("RegionOne"), Status::Ok, &["Cinder"]);
}

fn nova_network(view: &mut RegionView) {
    view.catalog.retain(|s| s != "network");
    view.network = None;
    if let Ok(services) = &mut view.services {
        services.push(service("nova-network", "controller"));
    }
}

#[test]
fn networking_mode_comes_from_the_nova_network_service_or_the_catalog() {
    let mut obs = healthy();
    assert_eq!(networking_mode(&obs.old.services, obs.old.has("network")), Ok(Networking::Neutron));
    nova_network(&mut obs.old);
    assert_eq!(networking_mode(&obs.old.services, obs.old.has("network")), Ok(Networking::NovaNetwork));
    assert_check(&obs, "network service", Some("RegionOne"), Status::Ok, &["nova-network up"]);
    assert_check(&obs, "networking", None, Status::Fail, &["RegionOne uses nova-network, RegionTwo uses Neutron"]);
    if let Ok(new) = &mut obs.new {
        nova_network(new);
    }
    assert_check(&obs, "networking", None, Status::Ok, &["both regions use nova-network"]);
    // nova-network servers resolve their labels against Nova's fixed networks.
    obs.inventory.ports = Ok(vec![]);
    assert_check(&obs, "networks", Some("RegionOne"), Status::Ok, &["nova-network"]);
    if let Ok(services) = &mut obs.old.services {
        services.iter_mut().filter(|s| s.binary == "nova-network").for_each(|s| s.up = false);
    }
    assert_check(&obs, "network service", Some("RegionOne"), Status::Fail, &["nova-network is down on controller"]);
}

#[test]
fn no_network_at_all_fails() {
    let mut obs = healthy();
    obs.old.catalog.retain(|s| s != "network");
    obs.old.network = None;
    assert_check(&obs, "network service", Some("RegionOne"), Status::Fail, &["neither a nova-network service"]);
    assert_check(&obs, "networking", None, Status::Fail, &["unknown"]);
}

#[test]
fn microversions_are_reported_and_an_older_new_nova_warns() {
    let mut obs = healthy();
    obs.old.compute_versions = Some(VersionRange { min: Microversion::new(2, 1), max: Microversion::new(2, 1) });
    assert_check(&obs, "microversions", Some("RegionOne"), Status::Ok, &["2.1..2.1", "no microversions"]);
    assert_check(&obs, "microversions", Some("RegionTwo"), Status::Ok, &["2.1..2.96"]);
    obs.old.compute_versions = Some(VersionRange { min: Microversion::new(2, 1), max: Microversion::new(2, 96) });
    if let Ok(new) = &mut obs.new {
        new.compute_versions = Some(VersionRange { min: Microversion::new(2, 1), max: Microversion::new(2, 60) });
    }
    assert_check(&obs, "microversions", Some("RegionTwo"), Status::Warn, &["older than the old region's"]);
}

#[test]
fn the_new_region_needs_conductor_scheduler_and_a_compute_up() {
    let mut obs = healthy();
    let mut set = |binary: &str, f: &dyn Fn(&mut ComputeService)| {
        if let Ok(new) = &mut obs.new {
            if let Ok(services) = &mut new.services {
                services.iter_mut().filter(|s| s.binary == binary).for_each(f);
            }
        }
    };
    set("nova-scheduler", &|s| s.up = false);
    set("nova-compute", &|s| s.enabled = false);
    assert_check(
        &obs,
        "nova services",
        Some("RegionTwo"),
        Status::Fail,
        &["nova-scheduler is down on controller", "none of its 2 nova-compute services is up and enabled"],
    );
    if let Ok(new) = &mut obs.new {
        if let Ok(services) = &mut new.services {
            services.retain(|s| s.binary != "nova-conductor");
        }
    }
    assert_check(&obs, "nova services", Some("RegionTwo"), Status::Fail, &["no nova-conductor service"]);
}

#[test]
fn a_down_old_compute_warns() {
    let mut obs = healthy();
    if let Ok(services) = &mut obs.old.services {
        services.iter_mut().filter(|s| s.host == "old-2").for_each(|s| s.up = false);
    }
    assert_check(&obs, "nova services", Some("RegionOne"), Status::Warn, &["nova-compute down on old-2"]);
}

fn new_hypervisors(obs: &mut Observation, hypervisors: Vec<Hypervisor>) {
    if let Ok(new) = &mut obs.new {
        new.hypervisors = Ok(hypervisors);
    }
}

#[test]
fn capacity_fails_when_the_largest_old_host_does_not_fit() {
    // old-2 runs m1.medium + m1.small = 3 vCPUs, 6 GiB, 60 GiB disk.
    let mut obs = healthy();
    new_hypervisors(&mut obs, vec![hypervisor("new-1", 4, 5120, 100)]);
    assert_check(
        &obs,
        "capacity",
        Some("RegionTwo"),
        Status::Fail,
        &["old host old-2 runs 3 vCPUs, 6 GiB RAM, 60 GiB disk", "5 GiB RAM", "never be drained"],
    );
}

#[test]
fn capacity_warns_when_everything_does_not_fit_at_once() {
    // Both old hosts: 5 vCPUs, 10 GiB RAM, 100 GiB disk; one fits.
    let mut obs = healthy();
    new_hypervisors(&mut obs, vec![hypervisor("new-1", 16, 8192, 1000)]);
    assert_check(
        &obs,
        "capacity",
        Some("RegionTwo"),
        Status::Warn,
        &["5 vCPUs, 10 GiB RAM, 100 GiB disk in all", "redeployed"],
    );
}

#[test]
fn capacity_fails_when_a_flavor_fits_on_no_new_hypervisor() {
    let mut obs = healthy();
    // Room for everything in sum, but no single hypervisor takes m1.medium's 4 GiB.
    let small: Vec<Hypervisor> = (1..=8).map(|i| hypervisor(&format!("new-{i}"), 4, 3072, 100)).collect();
    new_hypervisors(&mut obs, small);
    assert_check(&obs, "capacity", Some("RegionTwo"), Status::Fail, &["flavor m1.medium", "fits on no hypervisor"]);
}

#[test]
fn capacity_counts_only_usable_hypervisors_with_the_allocation_ratios() {
    let mut obs = healthy();
    let mut down = hypervisor("new-2", 64, 262144, 10000);
    down.up = false;
    // 1 physical core at cpu ratio 4.0 holds old-2's 3 vCPUs.
    new_hypervisors(&mut obs, vec![hypervisor("new-1", 1, 8192, 100), down]);
    let checks = evaluate(&obs, AllocationRatios::default(), &ZoneMap::new());
    let capacity = find(&checks, "capacity", Some("RegionTwo"));
    assert_eq!(capacity.status, Status::Warn, "{capacity:?}");
    assert!(capacity.reason.contains("4 vCPUs, 8 GiB RAM, 100 GiB disk free on 1 hypervisor"), "{capacity:?}");
    let strict = evaluate(&obs, AllocationRatios { cpu: 1.0, ram: 1.0, disk: 1.0 }, &ZoneMap::new());
    assert_eq!(find(&strict, "capacity", Some("RegionTwo")).status, Status::Fail);
}

#[test]
fn a_volume_backed_server_needs_no_root_disk() {
    let mut obs = healthy();
    if let Ok(servers) = &mut obs.inventory.servers {
        servers.iter_mut().for_each(|s| s.image_id = None);
    }
    obs.inventory.images = Ok(vec![]);
    new_hypervisors(&mut obs, vec![hypervisor("new-1", 16, 65536, 0)]);
    assert_check(&obs, "capacity", Some("RegionTwo"), Status::Ok, &["0 GiB disk"]);
}

#[test]
fn a_deleted_flavor_fails_naming_server_project_and_flavor() {
    let mut obs = healthy();
    if let Ok(flavors) = &mut obs.inventory.flavors {
        flavors.retain(|f| f.id != "3");
    }
    assert_check(
        &obs,
        "flavors",
        Some("RegionOne"),
        Status::Fail,
        &["server db-1 (id-db-1) of project acme uses flavor id 3, which no longer exists in RegionOne"],
    );
}

#[test]
fn from_2_47_flavors_resolve_by_name_and_a_changed_one_warns() {
    let mut obs = healthy();
    if let Ok(servers) = &mut obs.inventory.servers {
        for s in servers.iter_mut() {
            let (name, vcpus, ram) =
                if s.flavor.id.as_deref() == Some("3") { ("m1.medium", 2, 4096) } else { ("m1.small", 1, 2048) };
            let sizes = FlavorSizes { vcpus, ram_mib: ram, disk_gib: 20, ephemeral_gib: 0, swap_mib: 0 };
            s.flavor = FlavorRef { id: None, original_name: Some(name.into()), sizes: Some(sizes), extra_specs: None };
        }
    }
    // m1.medium's disk is 40 in the flavor list, 20 in the servers: changed.
    assert_check(&obs, "flavors", Some("RegionOne"), Status::Warn, &["server db-1", "flavor m1.medium", "now differs"]);
    if let Ok(flavors) = &mut obs.inventory.flavors {
        flavors.retain(|f| f.name != "m1.small");
    }
    assert_check(&obs, "flavors", Some("RegionOne"), Status::Fail, &["uses flavor m1.small", "and 2 more"]);
}

#[test]
fn a_deleted_image_only_warns() {
    let mut obs = healthy();
    obs.inventory.images = Ok(vec![]);
    assert_check(&obs, "images", Some("RegionOne"), Status::Warn, &["image img-cirros", "redeploy"]);
}

#[test]
fn a_missing_volume_or_network_fails() {
    let mut obs = healthy();
    if let Ok(servers) = &mut obs.inventory.servers {
        servers[0].volume_ids.push("vol-gone".into());
    }
    assert_check(&obs, "volumes", Some("RegionOne"), Status::Fail, &["server web-1", "volume vol-gone"]);
    obs.inventory.networks = Ok(vec![]);
    assert_check(&obs, "networks", Some("RegionOne"), Status::Fail, &["port port-web-1 is on network net-id"]);
}

#[test]
fn a_failed_listing_fails_its_check_for_an_admin() {
    let mut obs = healthy();
    obs.inventory.volumes = Err("RegionOne block-storage GET volumes/detail: 500 Internal Server Error".into());
    assert_check(&obs, "volumes", Some("RegionOne"), Status::Fail, &["500"]);
}
