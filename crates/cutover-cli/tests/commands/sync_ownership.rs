//! `cutover sync` of what belongs to projects and users: keypairs with
//! their users, server groups in their projects, nova-network addresses
//! allocated to their projects; the grants of role `cutover` this takes
//! are gone afterwards, a killed run's included; a second run creates
//! nothing.

use std::collections::BTreeMap;

use cutover_sim::model::compute::ServerGroup;
use cutover_sim::model::identity::Scope;
use cutover_sim::{generate, GenerateOptions, Scenario};
use serde_json::Value;

use crate::util::SimCloud;

/// The report's rows of one kind: name → (outcome, detail).
fn rows(report: &Value, kind: &str) -> BTreeMap<String, (String, String)> {
    report
        .as_array()
        .expect("a list")
        .iter()
        .filter(|r| r["Kind"] == kind)
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("Name"), (text("Outcome"), text("Detail")))
        })
        .collect()
}

fn outcomes(report: &Value) -> Vec<String> {
    report.as_array().unwrap().iter().map(|r| r["Outcome"].as_str().unwrap().to_string()).collect()
}

fn user_id(cloud: &SimCloud, name: &str) -> String {
    cloud.sim().read().identity.users.values().find(|u| u.name == name).unwrap().id.clone()
}

fn project_id(cloud: &SimCloud, name: &str) -> String {
    cloud.sim().read().identity.projects.values().find(|p| p.name == name).unwrap().id.clone()
}

/// Every assignment of role `cutover`, as (user, project).
fn cutover_grants(cloud: &SimCloud) -> Vec<(String, Scope)> {
    let w = cloud.sim().read();
    let Some(role) = w.identity.role_by_name("cutover") else { return Vec::new() };
    w.identity
        .assignments
        .iter()
        .filter(|a| a.role_id == role.id)
        .map(|a| (a.user_id.clone(), a.scope.clone()))
        .collect()
}

/// Keypairs of a region: (user, name) → (public key, type).
pub fn keypairs(cloud: &SimCloud, region: &str) -> BTreeMap<(String, String), (String, String)> {
    let w = cloud.sim().read();
    w.compute[region]
        .keypairs
        .values()
        .map(|k| ((k.user_id.clone(), k.name.clone()), (k.public_key.clone(), k.kind.clone())))
        .collect()
}

/// Server groups of a region: (project, name) → (policy, rules).
pub fn server_groups(cloud: &SimCloud, region: &str) -> BTreeMap<(String, String), (String, String)> {
    let w = cloud.sim().read();
    w.compute[region]
        .server_groups
        .values()
        .map(|g| ((g.project_id.clone(), g.name.clone()), (g.policy.clone(), serde_json::to_string(&g.rules).unwrap())))
        .collect()
}

/// nova-network addresses of a region: address → (pool, interface, project).
pub fn addresses(cloud: &SimCloud, region: &str) -> BTreeMap<String, (String, String, Option<String>)> {
    let w = cloud.sim().read();
    w.compute[region]
        .floating_ips
        .values()
        .map(|f| (f.address.clone(), (f.pool.clone(), f.interface.clone(), f.project_id.clone())))
        .collect()
}

/// The built-in scenario with more to own: a second keypair of bob's, one
/// of the admin's, and globex's anti-affinity group with a rule.
fn owned_cloud() -> SimCloud {
    let mut scenario = Scenario::builtin();
    let keys = &mut scenario.regions[0].keypairs;
    let mut more = keys[1].clone();
    more.name = "bob-laptop".into();
    more.public_key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJvYnNsYXB0b3Bib2JzbGFwdG9wYm9ic2xhcHRvcGJv bob@laptop".into();
    let mut admins = more.clone();
    admins.user = "admin".into();
    admins.name = "ops".into();
    keys.extend([more, admins]);
    let cloud = SimCloud::with(scenario);
    let (globex, bob) = (project_id(&cloud, "globex"), user_id(&cloud, "bob"));
    let mut w = cloud.sim().world();
    let id = w.new_uuid();
    let group = ServerGroup {
        id: id.clone(),
        name: "spread".into(),
        project_id: globex,
        user_id: bob,
        policy: "anti-affinity".into(),
        rules: BTreeMap::from([("max_server_per_host".to_string(), serde_json::json!(2))]),
        members: Vec::new(),
    };
    w.compute_region_mut("RegionOne").unwrap().server_groups.insert(id, group);
    drop(w);
    cloud
}

#[test]
fn keypairs_and_server_groups_keep_their_users_and_projects() {
    let cloud = owned_cloud();
    let report = cloud.json(&["sync", "--only", "keypairs,server-groups"]);
    let keys = rows(&report, "keypair");
    assert_eq!(keys["bob/bob-laptop"].0, "created");
    assert_eq!(keys["admin/ops"].0, "created");
    assert_eq!(keypairs(&cloud, "RegionTwo"), keypairs(&cloud, "RegionOne"), "per user, same keys and types");
    assert_eq!(keypairs(&cloud, "RegionTwo").len(), 4);

    assert_eq!(server_groups(&cloud, "RegionTwo"), server_groups(&cloud, "RegionOne"), "project, name, policy, rules");
    let groups = rows(&report, "server-group");
    let (outcome, detail) = &groups["globex/spread"];
    let w = cloud.sim().read();
    let new_id = w.compute["RegionTwo"].server_groups.values().find(|g| g.name == "spread").unwrap().id.clone();
    let old_id = w.compute["RegionOne"].server_groups.values().find(|g| g.name == "spread").unwrap().id.clone();
    drop(w);
    assert_eq!(outcome, "created");
    assert!(detail.ends_with(&format!("old id {old_id} -> new id {new_id}")), "{detail}");
    // A group's creator is the requesting user: cutover's admin, not bob.
    assert_eq!(cloud.sim().read().compute["RegionTwo"].server_groups[&new_id].user_id, user_id(&cloud, "admin"));
    assert_eq!(cutover_grants(&cloud), Vec::new(), "no grant of role cutover left");

    let again = cloud.json(&["sync", "--only", "keypairs,server-groups"]);
    assert!(outcomes(&again).iter().all(|o| o == "equal"), "{again}");
    assert!(rows(&again, "server-group")["globex/spread"].1.contains(&new_id), "the pairing is reported again");
}

#[test]
fn a_keypair_with_another_key_is_reported_and_kept() {
    let cloud = SimCloud::start();
    cloud.json(&["sync", "--only", "keypairs"]);
    let alice = user_id(&cloud, "alice");
    cloud
        .sim()
        .world()
        .compute_region_mut("RegionTwo")
        .unwrap()
        .keypairs
        .values_mut()
        .find(|k| k.user_id == alice)
        .unwrap()
        .public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIother alice@elsewhere".into();
    let out = cloud.run(&["sync", "--only", "keypairs", "-f", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows(&report, "keypair")["alice/alice-key"].0, "different");
}

#[test]
fn a_dry_run_grants_and_creates_nothing() {
    let cloud = owned_cloud();
    let report = cloud.json(&["sync", "--dry-run", "--only", "keypairs,server-groups"]);
    assert_eq!(rows(&report, "server-group")["globex/spread"].0, "would create");
    assert!(server_groups(&cloud, "RegionTwo").is_empty() && keypairs(&cloud, "RegionTwo").is_empty());
    assert!(cloud.sim().read().identity.role_by_name("cutover").is_none(), "not even the role");
}

#[test]
fn a_killed_runs_grant_is_revoked_by_the_next_run() {
    let cloud = SimCloud::start();
    let (admin, acme) = (user_id(&cloud, "admin"), project_id(&cloud, "acme"));
    {
        let mut w = cloud.sim().world();
        let id = w.new_hex_id();
        w.identity
            .roles
            .insert(id.clone(), cutover_sim::model::identity::Role { id: id.clone(), name: "cutover".into() });
        w.identity.assign(&admin, &id, Scope::Project(acme.clone()));
    }
    let out = cloud.run(&["sync", "--only", "keypairs"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked 1 leftover grant(s) of role cutover"));
    assert_eq!(cutover_grants(&cloud), Vec::new());
}

/// A nova-network cloud whose new region is nova-network too (Mitaka-like,
/// 2.35); the old one is an Icehouse-like 2.1.
fn nova_network_cloud(old_version: &str) -> SimCloud {
    let mut scenario = generate(&GenerateOptions {
        hosts: 3,
        servers: 40,
        new_hosts: None,
        networking: cutover_sim::model::compute::Networking::NovaNetwork,
        seed: 5,
    });
    scenario.regions[0].max_microversion = old_version.into();
    SimCloud::with(scenario)
}

#[test]
fn nova_network_pools_are_recreated_address_for_address_with_their_projects() {
    let cloud = nova_network_cloud("2.1");
    let old = addresses(&cloud, "RegionOne");
    assert!(old.values().any(|a| a.2.is_some()) && old.values().any(|a| a.2.is_none()), "held and free addresses");
    let out = cloud.run(&["sync", "--only", "keypairs,server-groups,floating-ips", "-f", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(addresses(&cloud, "RegionTwo"), old, "address, pool, interface and project");
    let fips = rows(&report, "floating-ip");
    assert!(fips.values().all(|(o, _)| o == "created"), "{report}");
    // Below 2.10 an admin sees only its own keypairs: the users' are skipped, with what to do.
    let keys = rows(&report, "keypair");
    let (outcome, detail) = &keys["project-001-user/*"];
    assert_eq!(outcome, "skipped");
    assert!(detail.contains("2.10 needed") && detail.contains("--user USER"), "{detail}");
    assert_eq!(cutover_grants(&cloud), Vec::new());

    let again = cloud.json(&["sync", "--only", "floating-ips"]);
    assert!(outcomes(&again).iter().all(|o| o == "equal"), "{again}");
}

#[test]
fn a_run_stopped_between_create_and_allocate_is_finished_by_the_next() {
    let cloud = nova_network_cloud("2.1");
    let old = addresses(&cloud, "RegionOne");
    let (held, (pool, interface, _)) = old.iter().find(|a| a.1 .2.is_some()).unwrap();
    let free = old.iter().find(|a| a.1 .2.is_none() && &a.1 .0 == pool).unwrap();
    {
        // The killed run created one held address and did not allocate it;
        // since then someone added a free one of the same pool before it.
        let mut w = cloud.sim().world();
        let r = w.compute_region_mut("RegionTwo").unwrap();
        r.add_floating_ips(std::slice::from_ref(free.0), pool, interface).unwrap();
        r.add_floating_ips(std::slice::from_ref(held), pool, interface).unwrap();
    }
    let report = cloud.json(&["sync", "--only", "floating-ips"]);
    let fips = rows(&report, "floating-ip");
    let (outcome, detail) = &fips[held];
    assert_eq!(outcome, "created");
    assert!(detail.contains("already in the pool") && detail.contains("1 other free address"), "{detail}");
    assert_eq!(fips[free.0].0, "equal");
    assert_eq!(addresses(&cloud, "RegionTwo"), old);
    assert_eq!(cutover_grants(&cloud), Vec::new());
}

/// Asserts what "Done" means for sync: every kind of both regions equal,
/// through the simulator's model (flavors with specs and access, quotas,
/// aggregates/AZs from the sync tests' comparison; keypairs, server groups
/// and nova-network addresses from here).
fn assert_all_equal(cloud: &SimCloud) {
    for kind in ["flavors", "quotas", "aggregates"] {
        super::sync::compare::assert_regions_equal(cloud, kind);
    }
    assert_eq!(keypairs(cloud, "RegionTwo"), keypairs(cloud, "RegionOne"), "keypairs");
    assert_eq!(server_groups(cloud, "RegionTwo"), server_groups(cloud, "RegionOne"), "server groups");
    assert_eq!(addresses(cloud, "RegionTwo"), addresses(cloud, "RegionOne"), "nova-network floating IPs");
}

/// Two full syncs: the first changes everything, the second nothing, and
/// both regions are then the same in every kind.
fn sync_twice(cloud: &SimCloud, args: &[&str]) -> Value {
    let first = cloud.json(&[&["sync"], args].concat());
    assert!(outcomes(&first).iter().any(|o| o == "created"), "{first}");
    let second = cloud.json(&[&["sync"], args].concat());
    assert!(
        outcomes(&second).iter().all(|o| o == "equal" || o == "skipped"),
        "the second run creates nothing: {second}"
    );
    assert_eq!(cutover_grants(cloud), Vec::new());
    first
}

#[test]
fn every_kind_of_both_regions_is_equal_after_sync_in_both_networking_modes() {
    let neutron = owned_cloud();
    super::sync::seed_old_region(&neutron);
    sync_twice(&neutron, &["--host-map", super::sync::compare::HOST_MAP]);
    assert_all_equal(&neutron);
    assert!(addresses(&neutron, "RegionOne").is_empty(), "Neutron's floating IPs are shared, not Nova's");

    // A Mitaka-like nova-network region (2.25: keypairs of users, group owners).
    let nova_network = nova_network_cloud("2.25");
    {
        let w = &mut *nova_network.sim().world();
        let (project, user) = {
            let p = w.identity.projects.values().find(|p| p.name == "project-001").unwrap().id.clone();
            let u = w.identity.users.values().find(|u| u.name == "project-001-user").unwrap().id.clone();
            (p, u)
        };
        let id = w.new_uuid();
        let group = ServerGroup {
            id: id.clone(),
            name: "db".into(),
            project_id: project,
            user_id: user,
            policy: "affinity".into(),
            rules: BTreeMap::new(),
            members: Vec::new(),
        };
        w.compute_region_mut("RegionOne").unwrap().server_groups.insert(id, group);
    }
    let first = sync_twice(&nova_network, &[]);
    assert_eq!(rows(&first, "server-group")["project-001/db"].0, "created");
    assert!(!keypairs(&nova_network, "RegionOne").is_empty() && !addresses(&nova_network, "RegionOne").is_empty());
    assert_all_equal(&nova_network);
}
