/*!
`cutover plan` against the simulator: the plan's records are what the old
region holds (compared with the simulator's own model, Neutron and
nova-network), rules choose strategies, `--show` prints a plan file,
`--check` refuses a plan that no longer fits, naming each server, and bad
input (a malformed file, a plan for other clouds, an existing file) is one
line with exit 2 and changes nothing.
*/

use std::collections::BTreeMap;
use std::path::Path;

use cutover_core::machine::Strategy;
use cutover_core::plan::{
    FixedIp, FixedNetworkRecord, FloatingIpRecord, GroupRef, Plan, PortRecord, ServerRecord, VolumeRecord,
};
use cutover_sim::model::compute::{Server, VmState};
use cutover_sim::model::World;
use serde_json::Value;

use crate::util::{one_line_failure, SimCloud};

/// RegionTwo has no zone like old-3's: its servers boot in the default zone.
const AZ_FAST_TO_DEFAULT: &str = "az-fast=";

/// Runs `cutover plan -o plan.yaml ARGS`, expects success, reads the file.
fn make_plan(cloud: &SimCloud, args: &[&str]) -> Plan {
    let out = cloud.cutover().args(["plan", "-o", "plan.yaml"]).args(args).output().expect("cutover runs");
    assert!(out.status.success(), "plan failed: {}", String::from_utf8_lossy(&out.stderr));
    read_plan(&cloud.dir().join("plan.yaml"))
}

fn read_plan(path: &Path) -> Plan {
    yaml_serde::from_str(&std::fs::read_to_string(path).expect("plan file")).expect("a plan")
}

fn write_plan(cloud: &SimCloud, plan: &Plan) {
    std::fs::write(cloud.dir().join("plan.yaml"), yaml_serde::to_string(plan).unwrap()).unwrap();
}

/// What the simulator's model holds of `s`, as a rebuild record, seen at
/// microversion `minor` (2.x): below 2.3 Nova shows no user data and no
/// `delete_on_termination`, below 2.19 no description, below 2.26 no tags.
// Long on purpose: one field of the record per line, each with its microversion rule.
fn expected(w: &World, s: &Server, minor: u16) -> ServerRecord {
    let region = &w.compute["RegionOne"];
    let flavor = &region.flavors[&s.flavor_id];
    let mut security_groups: Vec<String> = Vec::new();
    for g in &s.security_groups {
        if !security_groups.contains(g) {
            security_groups.push(g.clone());
        }
    }
    let ports: Vec<PortRecord> = s
        .nics
        .iter()
        .filter_map(|nic| nic.port_id.as_ref())
        .map(|id| {
            let p = &w.network.ports[id];
            PortRecord {
                id: p.id.clone().into(),
                network_id: p.network_id.clone().into(),
                mac: p.mac_address.clone(),
                fixed_ips: p
                    .fixed_ips
                    .iter()
                    .map(|ip| FixedIp { subnet_id: ip.subnet_id.clone().into(), ip: ip.ip_address.clone() })
                    .collect(),
                security_group_ids: p.security_groups.clone(),
            }
        })
        .collect();
    let fixed_networks = s
        .nics
        .iter()
        .filter(|nic| nic.port_id.is_none())
        .flat_map(|nic| {
            nic.fixed_ips.iter().map(|ip| FixedNetworkRecord {
                network_id: nic.network_id.clone().into(),
                ip: ip.clone(),
                mac: Some(nic.mac_address.clone()),
            })
        })
        .collect();
    let mut floating_ips: Vec<FloatingIpRecord> = w
        .network
        .floating_ips
        .values()
        .filter(|f| f.port_id.as_ref().is_some_and(|p| ports.iter().any(|own| &own.id == p)))
        .map(|f| FloatingIpRecord {
            address: f.floating_ip_address.clone(),
            id: Some(f.id.clone().into()),
            port_id: f.port_id.clone().map(Into::into),
        })
        .collect();
    floating_ips.extend(
        region
            .floating_ips
            .values()
            .filter(|f| f.instance_id.as_deref() == Some(s.id.as_str()))
            .map(|f| FloatingIpRecord { address: f.address.clone(), id: None, port_id: None }),
    );
    let volumes = s
        .block_devices
        .iter()
        .map(|b| VolumeRecord {
            id: b.volume_id.clone().into(),
            device: Some(b.device_name.clone()),
            boot_index: (b.boot_index == Some(0)).then_some(0),
            delete_on_termination: minor >= 3 && b.delete_on_termination,
        })
        .collect();
    ServerRecord {
        id: s.id.clone().into(),
        name: s.name.clone(),
        project_id: s.project_id.clone().into(),
        user_id: s.user_id.clone().into(),
        host: s.host.clone().unwrap_or_default().into(),
        availability_zone: region.server_zone(s),
        status: s.status().parse().expect("the simulator answers Nova's statuses"),
        flavor_id: s.flavor_id.clone().into(),
        image_id: s.image_id.clone().map(Into::into),
        key_name: s.key_name.clone(),
        user_data: s.user_data.clone().filter(|_| minor >= 3),
        metadata: s.metadata.clone(),
        tags: if minor >= 26 { s.tags.iter().cloned().collect() } else { Vec::new() },
        description: s.description.clone().filter(|_| minor >= 19),
        server_group: s
            .server_group
            .as_ref()
            .map(|id| GroupRef { id: id.clone().into(), name: region.server_groups[id].name.clone() }),
        security_groups,
        ports,
        fixed_networks,
        volumes,
        floating_ips,
        config_drive: s.config_drive,
        ephemeral_gib: flavor.ephemeral_gb,
        swap_mib: flavor.swap_mb,
    }
}

/// Every planned record equals the model's, and every server is planned.
fn assert_records_match(cloud: &SimCloud, plan: &Plan, minor: u16) {
    let w = cloud.sim().read();
    let servers = &w.compute["RegionOne"].servers;
    let planned: BTreeMap<&str, (&str, &ServerRecord)> =
        plan.servers().map(|(host, s)| (s.server.id.as_str(), (host.as_str(), &s.server))).collect();
    assert_eq!(planned.len(), servers.len(), "every server planned");
    for s in servers.values() {
        let (host, record) = planned[s.id.as_str()];
        assert_eq!(Some(host), s.host.as_deref(), "{} listed under its host", s.name);
        assert_eq!(record, &expected(&w, s, minor), "{}", s.name);
    }
}

#[test]
fn neutron_records_are_what_the_old_region_holds() {
    let cloud = SimCloud::start();
    let plan = make_plan(&cloud, &[]);
    assert_records_match(&cloud, &plan, 96);
    let (_, web1) = plan.servers().find(|(_, s)| s.server.name == "web-1").unwrap();
    // The built-in scenario's details, spelled out where they matter most.
    let r = &web1.server;
    assert_eq!(r.user_data.as_deref(), Some("I2Nsb3VkLWNvbmZpZwpwYWNrYWdlczogW25naW54XQo="));
    assert_eq!((r.tags.as_slice(), r.description.as_deref()), (["prod".to_string()].as_slice(), Some("front end")));
    assert_eq!(r.floating_ips[0].address, "172.24.4.10");
    assert_eq!(r.server_group.as_ref().map(|g| g.name.as_str()), Some("web-ha"));
    let (_, db1) = plan.servers().find(|(_, s)| s.server.name == "db-1").unwrap();
    let root = db1.server.root_volume().expect("a root volume");
    assert_eq!((root.boot_index, root.delete_on_termination), (Some(0), true));
    assert_eq!(db1.server.data_volumes().map(|v| v.delete_on_termination).collect::<Vec<_>>(), [false]);
    assert_eq!((db1.strategy, web1.strategy), (Strategy::Volume, Strategy::Snapshot));
    let (_, win) = plan.servers().find(|(_, s)| s.server.name == "win-1").unwrap();
    assert!(win.warnings.iter().any(|w| w.starts_with("config drive:")), "{:?}", win.warnings);
    assert!(win.warnings.iter().any(|w| w.starts_with("licence-bound guest (windows)")), "{:?}", win.warnings);
    // Planning reads; it changes nothing.
    for (request, _) in cloud.sim().request_counts() {
        assert!(request.starts_with("GET ") || request == "POST /v3/auth/tokens", "plan sent {request}");
    }
}

#[test]
fn an_older_nova_gives_what_its_microversion_shows() {
    // 2.25: user data and descriptions, no tags, the flavor by id.
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.regions[0].max_microversion = "2.25".into();
    // A Windows guest booted from a volume: Cinder carries the image's os_type.
    let root = scenario.volumes.iter_mut().find(|v| v.name == "db-1-root").unwrap();
    root.image = Some("windows-2022".into());
    // Kept on delete: a Nova below 2.85 cannot keep it otherwise (db-1 would wait).
    let db1 = scenario.regions[0].servers.iter_mut().find(|s| s.name == "db-1").unwrap();
    db1.boot_volume_delete_on_termination = false;
    let cloud = SimCloud::with(scenario);
    let plan = make_plan(&cloud, &[]);
    assert_records_match(&cloud, &plan, 25);
    let (_, web1) = plan.servers().find(|(_, s)| s.server.name == "web-1").unwrap();
    assert!(web1.server.tags.is_empty() && web1.server.user_data.is_some());
    assert!(
        web1.warnings.iter().any(|w| w.contains("(microversion 2.25) does not show its tags")),
        "{:?}",
        web1.warnings
    );
    let (_, db1) = plan.servers().find(|(_, s)| s.server.name == "db-1").unwrap();
    assert!(db1.warnings.iter().any(|w| w.starts_with("licence-bound guest (windows)")), "{:?}", db1.warnings);
}

#[test]
fn nova_network_records_are_what_the_old_region_holds() {
    let cloud = SimCloud::nova_network();
    let plan = make_plan(&cloud, &[]);
    // The generated nova-network region is a Nova without microversions.
    assert_records_match(&cloud, &plan, 1);
    assert!(plan.servers().all(|(_, s)| s.server.ports.is_empty() && !s.server.fixed_networks.is_empty()));
    assert!(plan.servers().any(|(_, s)| !s.server.floating_ips.is_empty()), "some floating address recorded");
    let (_, any) = plan.servers().next().unwrap();
    assert!(any.warnings.iter().any(|w| w.starts_with("nova-network cannot choose MAC")), "{:?}", any.warnings);
    assert!(any.warnings.iter().any(|w| w.contains("(microversion 2.1) does not show its user data")));
}

#[test]
fn rules_from_flags_and_settings_choose_strategies() {
    let cloud = SimCloud::start();
    std::fs::write(
        cloud.dir().join("cutover.toml"),
        "[plan]\nrules = ['metadata=role=web:redeploy', 'host=old-2:wait']\n",
    )
    .unwrap();
    let plan = make_plan(
        &cloud,
        &["--strategy", "project=globex:redeploy", "--strategy", "host=old-3:wait", "--keep-snapshots"],
    );
    let chosen: BTreeMap<&str, (Strategy, &str)> =
        plan.servers().map(|(_, s)| (s.server.name.as_str(), (s.strategy, s.why.as_str()))).collect();
    assert_eq!(chosen["app-1"], (Strategy::Redeploy, "rule project=globex:redeploy"));
    assert_eq!(chosen["win-1"], (Strategy::Redeploy, "rule project=globex:redeploy"), "flags first");
    assert_eq!(chosen["batch-1"], (Strategy::Wait, "rule host=old-3:wait"));
    assert_eq!(chosen["web-1"], (Strategy::Redeploy, "rule metadata=role=web:redeploy"));
    assert_eq!(chosen["web-2"], (Strategy::Wait, "rule host=old-2:wait"));
    assert_eq!(chosen["db-1"], (Strategy::Volume, "default for a boot-from-volume server"));
    assert!(plan.options.keep_snapshots);
    // Hosts with waiting servers drain last.
    assert_eq!(plan.hosts.first().map(|h| h.name.as_str()), Some("old-1"));

    let rows = cloud.json(&["plan", "--show", "plan.yaml"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 6);
    let app = rows.iter().find(|r| r["Name"] == "app-1").unwrap();
    assert_eq!(
        (&app["Host"], &app["Strategy"], &app["Why"]),
        (&Value::from("old-2"), &Value::from("redeploy"), &Value::from("rule project=globex:redeploy"))
    );
    assert!(app["Warnings"][0].as_str().unwrap().starts_with("redeploy boots a fresh disk"), "{app}");
    let table = cloud.run(&["plan", "--show", "plan.yaml", "-c", "Name", "-c", "Strategy"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("| app-1   | redeploy |"));

    let e = one_line_failure(&cloud.run(&["plan", "--strategy", "colour=red:wait"]), 2);
    assert!(e.contains("bad strategy rule \"colour=red:wait\": unknown kind"), "{e}");
}

#[test]
fn servers_in_flux_are_reported_and_not_planned() {
    let cloud = SimCloud::start();
    let (error_id, busy_id) = {
        let mut w = cloud.sim().world();
        let region = w.compute.get_mut("RegionOne").unwrap();
        let id = |name: &str| region.servers.values().find(|s| s.name == name).unwrap().id.clone();
        let (error_id, busy_id) = (id("app-1"), id("web-1"));
        region.servers.get_mut(&error_id).unwrap().vm_state = VmState::Error;
        region.servers.get_mut(&busy_id).unwrap().task_state = Some("image_uploading".into());
        (error_id, busy_id)
    };
    let plan = make_plan(&cloud, &["--zone-map", AZ_FAST_TO_DEFAULT]);
    assert!(plan.servers().all(|(_, s)| s.server.id != error_id && s.server.id != busy_id));
    let unplanned: BTreeMap<&str, &str> = plan.unplanned.iter().map(|u| (u.name.as_str(), u.reason.as_str())).collect();
    assert_eq!(unplanned["app-1"], "status ERROR (only ACTIVE and SHUTOFF servers are moved)");
    assert_eq!(unplanned["web-1"], "task image_uploading in progress");
    // Their hosts (old-1, old-2) drain after old-3.
    assert_eq!(plan.hosts[0].name, "old-3");
    // A plan with unplanned servers still checks out.
    let out = cloud.run(&["plan", "--check", "plan.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_stale_plan_is_refused_naming_each_server() {
    let cloud = SimCloud::start();
    make_plan(&cloud, &["--zone-map", AZ_FAST_TO_DEFAULT]);
    let rows = cloud.json(&["plan", "--check", "plan.yaml"]);
    assert_eq!(rows[0]["Status"], "ok", "{rows}");
    {
        let mut w = cloud.sim().world();
        let region = w.compute.get_mut("RegionOne").unwrap();
        let id = |name: &str| region.servers.values().find(|s| s.name == name).unwrap().id.clone();
        let (gone, moved) = (id("app-1"), id("web-2"));
        region.remove_server(&gone);
        region.set_server_host(&moved, Some("old-3".into()));
    }
    let out = cloud.cutover().args(["plan", "--check", "plan.yaml", "-f", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}: {}", r["Subject"].as_str().unwrap(), r["Reason"].as_str().unwrap()))
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("server app-1 (") && r.ends_with("no longer exists in RegionOne")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("server web-2 (") && r.ends_with("planned on host old-2, now on host old-3")),
        "{reasons:?}"
    );
    assert_eq!(reasons.len(), 2, "{reasons:?}");

    // An edit that cannot work is refused too.
    let mut plan = read_plan(&cloud.dir().join("plan.yaml"));
    let web1 = plan.hosts.iter_mut().flat_map(|h| h.servers.iter_mut()).find(|s| s.server.name == "web-1").unwrap();
    web1.strategy = Strategy::Volume;
    write_plan(&cloud, &plan);
    let out = cloud.run(&["plan", "--check", "plan.yaml"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("strategy volume is not possible"));
}

#[test]
fn a_plan_for_other_clouds_is_refused_in_one_line() {
    let cloud = SimCloud::start();
    let mut plan = make_plan(&cloud, &[]);
    plan.clouds.new_region = "RegionThree".into();
    write_plan(&cloud, &plan);
    let e = one_line_failure(&cloud.run(&["plan", "--check", "plan.yaml"]), 2);
    assert!(e.contains("the plan is for new region \"RegionThree\", not \"RegionTwo\""), "{e}");
    plan.clouds.new_region = "RegionTwo".into();
    plan.clouds.auth_url = "https://elsewhere.example:5000/v3".into();
    write_plan(&cloud, &plan);
    let e = one_line_failure(&cloud.run(&["plan", "--check", "plan.yaml"]), 2);
    assert!(e.contains("the plan is for the cloud at \"https://elsewhere.example:5000/v3\""), "{e}");
}

#[test]
fn bad_plan_files_and_existing_files_are_one_line_and_change_nothing() {
    let cloud = SimCloud::start();
    let path = cloud.dir().join("plan.yaml");
    make_plan(&cloud, &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    // Writing over it needs --force; without, the file stays as it was.
    let e = one_line_failure(&cloud.run(&["plan", "-o", "plan.yaml"]), 2);
    assert!(e.contains("plan.yaml exists: give --force"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    make_plan(&cloud, &["--force"]);
    // Written beside it through a temporary file that took its name.
    let leftovers: Vec<_> = std::fs::read_dir(cloud.dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".cutover-plan-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o644);

    let text = std::fs::read_to_string(&path).unwrap();
    let unknown = text.replacen("strategy: snapshot", "strategy: teleport", 1);
    let line = unknown.lines().position(|l| l.contains("teleport")).unwrap() + 1;
    std::fs::write(&path, unknown).unwrap();
    for args in [["plan", "--show", "plan.yaml"], ["plan", "--check", "plan.yaml"]] {
        let e = one_line_failure(&cloud.run(&args), 2);
        assert!(e.starts_with(&format!("cutover: error: plan file plan.yaml:{line}:")), "{e}");
        assert!(e.contains("unknown variant `teleport`"), "{e}");
    }
    std::fs::write(&path, "version: 1\nhosts: [\n").unwrap();
    let e = one_line_failure(&cloud.run(&["plan", "--show", "plan.yaml"]), 2);
    assert!(e.starts_with("cutover: error: plan file plan.yaml:"), "{e}");
    let e = one_line_failure(&cloud.run(&["plan", "--show", "missing.yaml"]), 2);
    assert!(e.contains("cannot read plan file missing.yaml"), "{e}");
}
