//! Rules, the planner and the check on a small hand-made inventory.

use std::collections::BTreeMap;

use super::check::check;
use super::inventory::{Inventory, ObservedServer};
use super::planner::{build, guest_warnings, same_clouds, Meta, Planned};
use super::rules::{Matcher, Rule, Rules};
use super::*;
use crate::id::HostName;
use crate::machine::Strategy;
use crate::microversion::Microversion;
use crate::model::{
    AvailabilityZone, Flavor, FlavorSizes, Hypervisor, HypervisorResources, Image, ImageStatus, Project, ServerStatus,
};
use crate::preflight::{AllocationRatios, Status};

fn record(id: &str, host: &str) -> ServerRecord {
    ServerRecord {
        id: id.into(),
        name: format!("name-{id}"),
        project_id: "p-acme".into(),
        user_id: "u-alice".into(),
        host: host.into(),
        availability_zone: Some("nova".into()),
        status: ServerStatus::Active,
        flavor_id: "2".into(),
        image_id: Some("img-cirros".into()),
        key_name: None,
        user_data: None,
        metadata: BTreeMap::new(),
        tags: Vec::new(),
        description: None,
        server_group: None,
        security_groups: vec!["default".into()],
        ports: vec![PortRecord {
            id: format!("port-{id}").into(),
            network_id: "net".into(),
            mac: "fa:16:3e:00:00:01".into(),
            fixed_ips: vec![FixedIp { subnet_id: "sub".into(), ip: "10.0.0.5".into() }],
            security_group_ids: Vec::new(),
        }],
        fixed_networks: Vec::new(),
        volumes: Vec::new(),
        floating_ips: Vec::new(),
        config_drive: false,
        ephemeral_gib: 0,
        swap_mib: 0,
    }
}

fn observed(record: ServerRecord) -> ObservedServer {
    let sizes = FlavorSizes { vcpus: 1, ram_mib: 2048, disk_gib: 20, ephemeral_gib: 0, swap_mib: 0 };
    ObservedServer { record, task_state: None, sizes: Some(sizes), os_type: None, problem: None }
}

fn volume_backed(mut r: ServerRecord) -> ServerRecord {
    r.image_id = None;
    r.volumes = vec![
        VolumeRecord {
            id: format!("root-{}", r.id).into(),
            device: Some("/dev/vda".into()),
            boot_index: Some(0),
            delete_on_termination: true,
        },
        VolumeRecord {
            id: format!("data-{}", r.id).into(),
            device: Some("/dev/vdb".into()),
            boot_index: None,
            delete_on_termination: false,
        },
    ];
    r
}

fn hypervisor(name: &str, vcpus: u64, memory_mib: u64) -> Hypervisor {
    Hypervisor {
        id: name.into(),
        hostname: name.into(),
        service_host: Some(name.into()),
        up: true,
        enabled: true,
        resources: Some(HypervisorResources {
            vcpus,
            vcpus_used: 0,
            memory_mib,
            memory_mib_used: 0,
            local_gib: 1000,
            local_gib_used: 0,
            running_vms: 0,
        }),
    }
}

fn clouds() -> CloudsRef {
    CloudsRef {
        cloud: "prod".into(),
        auth_url: "https://keystone.example/v3".into(),
        old_region: "RegionOne".into(),
        new_region: "RegionTwo".into(),
    }
}

/// old-1: a, b (image-backed); old-2: c (volume-backed); old-3: d; old-4 empty.
fn inventory() -> Inventory {
    Inventory {
        clouds: clouds(),
        old_version: Microversion::new(2, 96),
        hosts: ["old-1", "old-2", "old-3", "old-4"].map(HostName::from).to_vec(),
        servers: vec![
            observed(record("a", "old-1")),
            observed(record("b", "old-1")),
            observed(volume_backed(record("c", "old-2"))),
            observed(record("d", "old-3")),
        ],
        flavors: vec![Flavor::public("2", "m1.small", 1, 2048, 20)],
        images: vec![Image {
            id: "img-cirros".into(),
            name: Some("cirros".into()),
            status: ImageStatus::Active,
            owner: None,
            visibility: Some("public".into()),
            size: Some(1),
            os_type: None,
        }],
        projects: vec![Project {
            id: "p-acme".into(),
            name: "acme".into(),
            domain_id: "default".into(),
            users: BTreeMap::new(),
        }],
        new_hypervisors: vec![hypervisor("new-1", 16, 65536)],
        new_zones: Some(vec![AvailabilityZone { name: "nova".into(), available: true }]),
    }
}

fn meta() -> Meta {
    Meta {
        migration: "m1".into(),
        created_at: "2025-01-01T00:00:00Z".into(),
        options: Options::default(),
        ratios: AllocationRatios::default(),
    }
}

fn rules(texts: &[&str]) -> Rules {
    Rules::new(texts.iter().map(|t| t.parse().unwrap()).collect())
}

fn plan_of(inv: &Inventory, texts: &[&str]) -> Planned {
    build(inv, &rules(texts), meta())
}

fn strategy_of(plan: &Plan, id: &str) -> (Strategy, String) {
    let (_, s) = plan.servers().find(|(_, s)| s.server.id == id).expect("planned");
    (s.strategy, s.why.clone())
}

#[test]
fn rules_parse_and_print_back() {
    for text in [
        "project=acme:redeploy",
        "host=old-3:wait",
        "metadata=cutover:wait",
        "metadata=tier=db:volume",
        "server=abc:snapshot",
        "boot=image:redeploy",
        "project=acme:wait-then-snapshot",
    ] {
        let rule: Rule = text.parse().unwrap();
        assert_eq!(rule.to_string(), text);
    }
    let rule: Rule = "metadata=url=http://x:wait".parse().unwrap();
    assert_eq!(rule.matcher, Matcher::Metadata { key: "url".into(), value: Some("http://x".into()) });
    for bad in [
        "project=acme",
        "project=acme:move",
        "acme:wait",
        "colour=red:wait",
        "host=:wait",
        "boot=disk:wait",
        "host=h:wait-then-wait",
        "host=h:wait-then-",
        "host=h:snapshot-then-wait",
    ] {
        let e = bad.parse::<Rule>().unwrap_err().to_string();
        assert!(e.contains(bad) && !e.contains('\n'), "{e}");
    }
}

#[test]
fn defaults_follow_the_boot_source() {
    let planned = plan_of(&inventory(), &[]);
    assert_eq!(strategy_of(&planned.plan, "a"), (Strategy::Snapshot, "default for an image-backed server".into()));
    assert_eq!(strategy_of(&planned.plan, "c"), (Strategy::Volume, "default for a boot-from-volume server".into()));
}

#[test]
fn the_first_matching_possible_rule_wins_and_says_so() {
    let mut inv = inventory();
    inv.servers[1].record.metadata.insert("cutover".into(), "stay".into());
    let planned =
        plan_of(&inv, &["server=a:redeploy", "metadata=cutover=stay:wait", "project=acme:snapshot", "host=old-3:wait"]);
    let p = &planned.plan;
    assert_eq!(strategy_of(p, "a"), (Strategy::Redeploy, "rule server=a:redeploy".into()));
    assert_eq!(strategy_of(p, "b"), (Strategy::Wait, "rule metadata=cutover=stay:wait".into()));
    // snapshot cannot move a volume-backed server: skipped, with a warning, and the default applies.
    let (_, c) = p.servers().find(|(_, s)| s.server.id == "c").unwrap();
    assert_eq!((c.strategy, c.why.as_str()), (Strategy::Volume, "default for a boot-from-volume server"));
    assert!(c.warnings[0].starts_with("rule project=acme:snapshot skipped: snapshot is not for a boot-from-volume"));
    assert_eq!(strategy_of(p, "d"), (Strategy::Snapshot, "rule project=acme:snapshot".into()));
    // A project matches by name or id.
    let by_id = plan_of(&inv, &["project=p-acme:redeploy"]);
    assert_eq!(strategy_of(&by_id.plan, "d").0, Strategy::Redeploy);
}

#[test]
fn wait_then_a_strategy_waits_and_moves_by_it_after_the_deadline_where_it_can() {
    let planned = plan_of(&inventory(), &["project=acme:wait-then-snapshot"]);
    let p = &planned.plan;
    let (_, a) = p.servers().find(|(_, s)| s.server.id == "a").unwrap();
    assert_eq!((a.strategy, a.after_deadline), (Strategy::Wait, Some(Strategy::Snapshot)));
    assert_eq!(a.why, "rule project=acme:wait-then-snapshot");
    // A volume-backed server cannot be snapshotted: the rule is skipped.
    let (_, c) = p.servers().find(|(_, s)| s.server.id == "c").unwrap();
    assert_eq!((c.strategy, c.after_deadline), (Strategy::Volume, None));
    assert!(c.warnings[0].contains("skipped: snapshot is not for a boot-from-volume"), "{:?}", c.warnings);
}

#[test]
fn redeploy_needs_the_original_image_in_glance() {
    let mut inv = inventory();
    inv.images[0].status = ImageStatus::Deleted;
    let planned = plan_of(&inv, &["boot=image:redeploy"]);
    let (_, a) = planned.plan.servers().find(|(_, s)| s.server.id == "a").unwrap();
    assert_eq!(a.strategy, Strategy::Snapshot);
    assert!(a.warnings[0].contains("not an active image in Glance"), "{:?}", a.warnings);
}

#[test]
fn hosts_drain_soonest_empty_first_and_waiting_hosts_last() {
    let planned = plan_of(&inventory(), &["host=old-2:wait"]);
    let order: Vec<&str> = planned.plan.hosts.iter().map(|h| h.name.as_str()).collect();
    // old-4 is empty, old-3 has one server, old-1 two; old-2 waits.
    assert_eq!(order, ["old-4", "old-3", "old-1", "old-2"]);
    // With equal counts, the lighter host first.
    let mut inv = inventory();
    inv.servers[3].sizes = Some(FlavorSizes { vcpus: 8, ram_mib: 16384, disk_gib: 20, ephemeral_gib: 0, swap_mib: 0 });
    let order: Vec<HostName> = plan_of(&inv, &[]).plan.hosts.into_iter().map(|h| h.name).collect();
    assert_eq!(order, ["old-4", "old-2", "old-3", "old-1"]);
}

#[test]
fn servers_in_flux_are_reported_not_planned_and_their_host_goes_last() {
    let mut inv = inventory();
    inv.servers[3].record.status = ServerStatus::Error;
    inv.servers[0].task_state = Some("image_snapshot".into());
    let planned = plan_of(&inv, &[]);
    let planned_ids: Vec<&str> = planned.plan.servers().map(|(_, s)| s.server.id.as_str()).collect();
    assert_eq!(planned_ids, ["c", "b"]);
    let reasons: Vec<(&str, &str)> =
        planned.plan.unplanned.iter().map(|u| (u.id.as_str(), u.reason.as_str())).collect();
    assert_eq!(
        reasons,
        [("a", "task image_snapshot in progress"), ("d", "status ERROR (only ACTIVE and SHUTOFF servers are moved)")]
    );
    let order: Vec<&str> = planned.plan.hosts.iter().map(|h| h.name.as_str()).collect();
    // Both old-1 and old-3 wait for a server in flux; old-3 has nothing else to move.
    assert_eq!(order, ["old-4", "old-2", "old-3", "old-1"]);
}

#[test]
fn warnings_say_what_the_guest_notices() {
    let mut s = observed(record("w", "old-1"));
    s.os_type = Some("windows".into());
    s.record.config_drive = true;
    s.record.ephemeral_gib = 10;
    let w = guest_warnings(Strategy::Snapshot, &s, Microversion::new(2, 96));
    assert!(w[0].starts_with("new instance UUID: cloud-init"), "{w:?}");
    assert!(w.iter().any(|x| x.starts_with("licence-bound guest (windows)")), "{w:?}");
    assert!(w.iter().any(|x| x.starts_with("config drive:")), "{w:?}");
    assert!(w.iter().any(|x| x == "local ephemeral disk (10 GiB) is not in the snapshot: the new server's is blank"));
    let w = guest_warnings(Strategy::Redeploy, &s, Microversion::new(2, 1));
    assert!(w[0].starts_with("redeploy boots a fresh disk from image img-cirros"), "{w:?}");
    assert!(w.iter().any(|x| x.contains("(microversion 2.1) does not show its user data, description, tags")));
    assert!(guest_warnings(Strategy::Wait, &s, Microversion::new(2, 1)).is_empty());
    let mut nn = observed(volume_backed(record("n", "old-1")));
    nn.record.ports.clear();
    nn.record.fixed_networks = vec![FixedNetworkRecord { network_id: "1".into(), ip: "10.0.0.3".into(), mac: None }];
    let w = guest_warnings(Strategy::Volume, &nn, Microversion::new(2, 26));
    assert!(w.iter().any(|x| x.starts_with("nova-network cannot choose MAC")), "{w:?}");
    assert!(w.iter().any(|x| x.starts_with("1 data volume(s) detached and reattached")), "{w:?}");
    assert!(!w.iter().any(|x| x.contains("does not show")), "{w:?}");
}

#[test]
fn capacity_counts_what_moves() {
    let mut inv = inventory();
    inv.new_hypervisors = vec![hypervisor("new-1", 1, 4096)];
    // Two 1-vCPU servers on old-1 need 2 vCPUs x ratio 4 = fine; 4 servers of 2 GiB need 8 GiB: not all at once.
    let planned = plan_of(&inv, &[]);
    assert_eq!(planned.capacity.status, Status::Warn, "{}", planned.capacity.reason);
    inv.new_hypervisors = vec![hypervisor("new-1", 1, 2048)];
    let planned = plan_of(&inv, &[]);
    assert_eq!(planned.capacity.status, Status::Fail, "{}", planned.capacity.reason);
    assert!(planned.capacity.reason.contains("old host old-1"), "{}", planned.capacity.reason);
    // Waiting servers do not move: then it fits.
    let planned = plan_of(&inv, &["host=old-1:wait"]);
    assert_ne!(planned.capacity.status, Status::Fail, "{}", planned.capacity.reason);
}

#[test]
fn a_fresh_plan_passes_its_check() {
    let inv = inventory();
    let planned = plan_of(&inv, &["server=a:redeploy"]);
    assert_eq!(check(&planned.plan, &inv, AllocationRatios::default()), []);
}

#[test]
fn a_stale_plan_names_each_server_and_why() {
    let inv = inventory();
    let plan = plan_of(&inv, &[]).plan;
    let mut now = inv.clone();
    now.servers.retain(|s| s.record.id != "a");
    now.servers.iter_mut().find(|s| s.record.id == "b").unwrap().record.host = "old-3".into();
    now.servers.iter_mut().find(|s| s.record.id == "d").unwrap().record.status = ServerStatus::Error;
    now.servers.iter_mut().find(|s| s.record.id == "c").unwrap().record.volumes.pop();
    now.servers.push(observed(record("e", "old-4")));
    let problems: Vec<String> = check(&plan, &now, AllocationRatios::default())
        .into_iter()
        .map(|p| format!("{}: {}", p.subject, p.reason))
        .collect();
    assert_eq!(
        problems,
        [
            "server name-c (c): volumes changed from data-c, root-c to root-c",
            "server name-d (d): status ERROR (only ACTIVE and SHUTOFF servers are moved)",
            "server name-a (a): no longer exists in RegionOne",
            "server name-b (b): planned on host old-1, now on host old-3",
            "server name-e (e): on host old-4 but not in the plan (created or moved there since?): plan again, or add it with strategy wait",
        ]
    );
}

#[test]
fn edits_that_cannot_work_are_refused() {
    let inv = inventory();
    let mut plan = plan_of(&inv, &[]).plan;
    let host = plan.hosts.iter_mut().find(|h| h.name == "old-1").unwrap();
    host.servers[0].strategy = Strategy::Volume;
    let copy = host.servers[1].clone();
    plan.hosts.iter_mut().find(|h| h.name == "old-4").unwrap().servers.push(copy);
    let problems: Vec<String> = check(&plan, &inv, AllocationRatios::default())
        .into_iter()
        .map(|p| format!("{}: {}", p.subject, p.reason))
        .collect();
    assert_eq!(
        problems,
        [
            // old-4 comes first in drain order.
            "server name-b (b): listed under host old-4, but its record says host old-1",
            "server name-a (a): strategy volume is not possible: volume needs a boot-from-volume server (it has no root volume)",
            "server name-b (b): planned twice (on old-4 and old-1)",
        ]
    );
}

#[test]
fn other_clouds_are_refused_in_one_line() {
    let mut other = clouds();
    assert_eq!(same_clouds(&clouds(), &other), Ok(()));
    other.auth_url.push('/');
    assert_eq!(same_clouds(&clouds(), &other), Ok(()));
    other.new_region = "RegionThree".into();
    assert_eq!(
        same_clouds(&clouds(), &other).unwrap_err(),
        "the plan is for new region \"RegionTwo\", not \"RegionThree\": make a new plan for these clouds"
    );
    other = clouds();
    other.auth_url = "https://other.example/v3".into();
    assert!(same_clouds(&clouds(), &other).unwrap_err().starts_with("the plan is for the cloud at"));
}

#[test]
fn a_root_volume_an_old_nova_cannot_keep_makes_the_server_wait() {
    let mut inv = inventory();
    // c's root volume goes with the server (delete_on_termination).
    inv.old_version = Microversion::new(2, 25);
    let (strategy, why) = strategy_of(&plan_of(&inv, &[]).plan, "c");
    assert_eq!(strategy, Strategy::Wait);
    assert!(why.contains("root volume root-c is deleted with the server") && why.contains("(2.85+)"), "{why}");
    let planned = plan_of(&inv, &["server=c:volume"]);
    let (_, c) = planned.plan.servers().find(|(_, s)| s.server.id == "c").unwrap();
    assert_eq!(c.strategy, Strategy::Wait);
    assert!(c.warnings[0].starts_with("rule server=c:volume skipped: root volume root-c"), "{:?}", c.warnings);

    // Booted with it off: kept by any Nova that shows it.
    let c = inv.servers.iter_mut().find(|s| s.record.id == "c").unwrap();
    c.record.volumes[0].delete_on_termination = false;
    assert_eq!(strategy_of(&plan_of(&inv, &[]).plan, "c").0, Strategy::Volume);
    // Below 2.3 Nova does not say.
    inv.old_version = Microversion::new(2, 1);
    let (strategy, why) = strategy_of(&plan_of(&inv, &[]).plan, "c");
    assert_eq!(strategy, Strategy::Wait);
    assert!(why.contains("does not show whether root volume root-c is deleted"), "{why}");
}

#[test]
fn a_zone_the_new_region_lacks_is_warned_in_the_plan_and_fails_its_check() {
    let mut inv = inventory();
    for s in inv.servers.iter_mut().filter(|s| s.record.host == "old-1") {
        s.record.availability_zone = Some("az-fast".into());
    }
    let planned = plan_of(&inv, &["server=b:wait"]);
    let (_, a) = planned.plan.servers().find(|(_, s)| s.server.id == "a").unwrap();
    assert!(
        a.warnings
            .iter()
            .any(|w| w.starts_with("zone az-fast does not exist in RegionTwo: Nova would refuse the boot")),
        "{:?}",
        a.warnings
    );
    let (_, b) = planned.plan.servers().find(|(_, s)| s.server.id == "b").unwrap();
    assert!(b.warnings.is_empty(), "a server left to wait boots nowhere: {:?}", b.warnings);
    let problems: Vec<String> =
        check(&planned.plan, &inv, AllocationRatios::default()).into_iter().map(|p| p.subject).collect();
    assert_eq!(problems, ["server name-a (a)"]);

    // Mapped to the default zone: no problem, and the guest is told.
    let mut meta = meta();
    meta.options.zone_map = zones::parse_zone_map(["az-fast="]).unwrap();
    let mapped = build(&inv, &rules(&[]), meta);
    assert_eq!(check(&mapped.plan, &inv, AllocationRatios::default()), []);
    let (_, a) = mapped.plan.servers().find(|(_, s)| s.server.id == "a").unwrap();
    assert!(a.warnings.iter().any(|w| w == "zone map: boots in RegionTwo's default zone instead of zone az-fast"));
    assert_eq!(mapped.plan.new_zone(&a.server), None);
    assert_eq!(mapped.plan.options.zone_map["az-fast"], "", "recorded in the plan");

    // The zone came to exist (sync and a host map): the first plan passes.
    inv.new_zones.as_mut().unwrap().push(AvailabilityZone { name: "az-fast".into(), available: true });
    assert_eq!(check(&planned.plan, &inv, AllocationRatios::default()), []);
}
