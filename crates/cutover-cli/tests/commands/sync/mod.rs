/*!
`cutover sync` end to end: old-region state worth copying (private flavors
with access, specs and descriptions; project and user quotas; aggregates
with a zone and hosts), a sync, a second sync that creates nothing, both
regions compared ([`compare::assert_regions_equal`]); a dry run that changes
nothing; conflicts reported with exit 3; the host map's template and errors.
*/

pub mod compare;

use std::collections::{BTreeMap, BTreeSet};

use cutover_sim::model::compute::{Aggregate, Flavor};
use serde_json::Value;

use crate::util::{one_line_failure, SimCloud};
use compare::{assert_regions_equal, new_region_state, HOST_MAP, NEW, OLD};

/// The ids of a project and a user of the built-in scenario.
pub fn ids(cloud: &SimCloud, project: &str, user: &str) -> (String, String) {
    let w = cloud.sim().read();
    let p = w.identity.projects.values().find(|p| p.name == project).expect("project").id.clone();
    let u = w.identity.users.values().find(|u| u.name == user).expect("user").id.clone();
    (p, u)
}

/// Adds to the built-in old region: a description on `gold`, a private
/// flavor shared with two projects, alice's own quotas in acme, and a
/// zone-less aggregate over two hosts; writes the host map.
pub fn seed_old_region(cloud: &SimCloud) {
    let (acme, alice) = ids(cloud, "acme", "alice");
    let (globex, _) = ids(cloud, "globex", "bob");
    {
        let mut w = cloud.sim().world();
        let (uuid, now) = (w.new_uuid(), w.now);
        let r = w.compute.get_mut(OLD).expect("old region");
        r.flavors.get_mut("gold").expect("gold flavor").description = Some("pinned CPUs for acme".into());
        let mut silver = r.flavors["2"].clone();
        silver = Flavor {
            id: "silver".into(),
            name: "shared.silver".into(),
            is_public: false,
            access: BTreeSet::from([acme.clone(), globex]),
            extra_specs: BTreeMap::from([("hw:mem_page_size".into(), "large".into())]),
            ..silver
        };
        r.flavors.insert("silver".into(), silver);
        r.user_quotas.insert((acme, alice), BTreeMap::from([("cores".into(), 8), ("instances".into(), 5)]));
        let id = r.next_int_id();
        r.aggregates.insert(
            id,
            Aggregate {
                id,
                uuid,
                name: "general".into(),
                availability_zone: None,
                hosts: BTreeSet::from(["old-1".into(), "old-2".into()]),
                metadata: BTreeMap::from([("tier".into(), "standard".into())]),
                created_at: now,
                updated_at: None,
            },
        );
        r.refresh_zones();
    }
    write_host_map(cloud, "old-1: new-1\nold-2: new-1\nold-3: new-2\n");
}

fn write_host_map(cloud: &SimCloud, text: &str) {
    std::fs::write(cloud.dir().join(HOST_MAP), text).expect("host map written");
}

/// The kinds these tests are about (keypairs, server groups and floating
/// IPs have their own tests).
const MINE: &str = "flavors,quotas,aggregates";

/// `cutover sync ARGS -f json`: the exit status and the report's rows.
fn sync(cloud: &SimCloud, args: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let out = cloud.cutover().arg("sync").args(args).args(["-f", "json"]).output().expect("cutover runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let rows: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON report ({e}): {}\nstderr: {stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), rows.as_array().expect("rows").clone(), stderr)
}

/// The row of `kind` named `name`.
fn row<'a>(rows: &'a [Value], kind: &str, name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["Kind"] == kind && r["Name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {rows:#?}"))
}

/// An aggregate reported created, then once more: that entry's outcome
/// and detail.
fn created_then<'a>(rows: &'a [Value], name: &str) -> (&'a str, &'a str) {
    let entries: Vec<&Value> = rows.iter().filter(|r| r["Kind"] == "aggregate" && r["Name"] == name).collect();
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert_eq!(entries[0]["Outcome"], "created");
    (entries[1]["Outcome"].as_str().unwrap_or_default(), entries[1]["Detail"].as_str().unwrap_or_default())
}

fn outcomes(rows: &[Value]) -> BTreeSet<String> {
    rows.iter().map(|r| r["Outcome"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn sync_copies_flavors_quotas_and_aggregates_and_a_second_run_creates_nothing() {
    let cloud = SimCloud::start();
    seed_old_region(&cloud);
    let (code, rows, stderr) = sync(&cloud, &["--only", MINE, "--host-map", HOST_MAP]);
    assert_eq!(code, Some(0), "{rows:#?}\n{stderr}");
    let gold = row(&rows, "flavor", "acme.gold (id gold)");
    assert_eq!(gold["Outcome"], "created");
    assert!(gold["Detail"].as_str().unwrap().contains("extra specs quota:disk_read_iops_sec"), "{gold}");
    assert_eq!(row(&rows, "quota", "acme")["Outcome"], "updated");
    let alice = row(&rows, "quota", "acme / alice");
    assert_eq!(alice["Outcome"], "updated");
    assert!(alice["Detail"].as_str().unwrap().contains("cores 40 -> 8"), "{alice}");
    assert_eq!(row(&rows, "aggregate", "fast-disks")["Detail"], "zone az-fast; metadata ssd; hosts new-2");
    assert_eq!(row(&rows, "aggregate", "general")["Detail"], "metadata tier; hosts new-1");
    assert!(stderr.contains("created") && stderr.contains("updated"), "{stderr}");
    assert!(!rows.iter().any(|r| r["Kind"] == "quota" && r["Name"] == "globex / bob"), "no own quotas: {rows:#?}");

    let (code, again, stderr) = sync(&cloud, &["--only", MINE, "--host-map", HOST_MAP]);
    assert_eq!(code, Some(0), "{again:#?}\n{stderr}");
    assert_eq!(outcomes(&again), BTreeSet::from(["equal".to_string()]), "{again:#?}");
    assert_eq!(again.len(), rows.len());
    assert!(stderr.contains(&format!("{} equal", rows.len())), "{stderr}");
    for kind in ["flavors", "quotas", "aggregates"] {
        assert_regions_equal(&cloud, kind);
    }
}

#[test]
fn a_dry_run_reports_what_it_would_do_and_changes_nothing() {
    let cloud = SimCloud::start();
    seed_old_region(&cloud);
    let before = new_region_state(&cloud);
    let (code, rows, stderr) = sync(&cloud, &["--dry-run", "--only", MINE, "--host-map", HOST_MAP]);
    assert_eq!(code, Some(0), "{rows:#?}\n{stderr}");
    assert_eq!(new_region_state(&cloud), before);
    assert_eq!(row(&rows, "flavor", "shared.silver (id silver)")["Outcome"], "would create");
    assert_eq!(row(&rows, "quota", "acme")["Outcome"], "would update");
    // alice's view once acme's update is made: her own limits differ still.
    let alice = row(&rows, "quota", "acme / alice");
    assert_eq!(alice["Outcome"], "would update");
    assert_eq!(alice["Detail"], "set cores 40 -> 8, instances 20 -> 5");
    assert!(stderr.contains("would create"), "{stderr}");
}

#[test]
fn a_conflicting_flavor_is_reported_different_and_left_alone() {
    let cloud = SimCloud::start();
    {
        let mut w = cloud.sim().world();
        let old_small = w.compute[OLD].flavors["2"].clone();
        let new = w.compute.get_mut(NEW).expect("new region");
        new.flavors.insert("2".into(), Flavor { ram_mb: 4096, ..old_small.clone() });
        // Only in the new region, with a name the old region uses under another id.
        new.flavors.insert("99".into(), Flavor { id: "99".into(), name: "m1.tiny".into(), ..old_small });
    }
    let before = new_region_state(&cloud);
    let out = cloud.run(&["sync", "--only", "flavors"]);
    let error = one_line_failure(&out, 3);
    assert!(error.contains("differ"), "{error}");
    let (_, rows, _) = sync(&cloud, &["--only", "flavors"]);
    assert!(rows.iter().all(|r| r["Kind"] == "flavor"), "{rows:#?}");
    let small = row(&rows, "flavor", "m1.small (id 2)");
    assert_eq!(small["Outcome"], "different");
    assert_eq!(small["Detail"], "same id, other ram 2048 -> 4096 (flavors cannot change)");
    assert!(row(&rows, "flavor", "m1.tiny (id 1)")["Detail"].as_str().unwrap().contains("flavor id 99"));
    assert_eq!(row(&rows, "flavor", "m1.tiny (id 99)")["Detail"], "only in new region");
    // The other flavors were copied by the first run all the same.
    assert_eq!(row(&rows, "flavor", "m1.medium (id 3)")["Outcome"], "equal");
    let after = new_region_state(&cloud);
    assert_eq!(after["flavors"]["2"], before["flavors"]["2"], "the conflicting flavor is left as it was");
    assert_eq!(after["flavors"]["99"], before["flavors"]["99"]);
}

#[test]
fn the_host_map_template_pairs_hosts_in_order() {
    let cloud = SimCloud::start();
    let out = cloud.run(&["sync", "--print-host-map"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(body, ["old-1: new-1", "old-2: new-2", "old-3:"]);
    // The template is a valid host map as it stands.
    write_host_map(&cloud, &text);
    let (code, rows, _) = sync(&cloud, &["--only", "aggregates", "--host-map", HOST_MAP]);
    assert_eq!(code, Some(3), "old-3 is unmapped: {rows:#?}");
    assert_eq!(created_then(&rows, "fast-disks"), ("different", "old hosts not in the host map: old-3"));
}

#[test]
fn host_map_errors() {
    let cloud = SimCloud::start();
    write_host_map(&cloud, "- not\n- a map\n");
    let before = new_region_state(&cloud);
    let error = one_line_failure(&cloud.run(&["sync", "--only", MINE, "--host-map", HOST_MAP]), 2);
    assert!(error.contains("host map hosts.yaml") && error.contains("old-host: new-host"), "{error}");
    assert_eq!(new_region_state(&cloud), before, "bad input changes nothing");

    write_host_map(&cloud, "old-3: new-9\n");
    let (code, rows, stderr) = sync(&cloud, &["--only", "azs", "--host-map", HOST_MAP]);
    assert_eq!(code, Some(1), "{stderr}");
    let fast = row(&rows, "aggregate", "fast-disks");
    assert_eq!(fast["Outcome"], "failed");
    assert!(fast["Detail"].as_str().unwrap().contains("new-9 (for old-3)"), "{fast}");
    assert!(cloud.sim().read().compute[NEW].aggregates.is_empty());
}

#[test]
fn an_old_host_mapped_to_itself_joins_later_and_its_aggregates_wait_for_it() {
    let cloud = SimCloud::start();
    write_host_map(&cloud, "old-1: new-1\nold-2: new-2\nold-3: old-3\n");
    let (code, rows, stderr) = sync(&cloud, &["--only", "azs", "--host-map", HOST_MAP]);
    assert_eq!(code, Some(0), "waiting is no difference: {rows:#?} {stderr}");
    let waiting = ("waiting", "waiting for old-3 to join the new region (mapped to itself: joins later)");
    assert_eq!(created_then(&rows, "fast-disks"), waiting);
    let made = cloud.sim().read().compute[NEW].aggregates.values().find(|a| a.name == "fast-disks").cloned();
    let made = made.expect("created");
    assert_eq!((made.availability_zone.as_deref(), made.hosts.len()), (Some("az-fast"), 0));
    // Again: nothing to create, still only waiting.
    let (code, again, _) = sync(&cloud, &["--only", "azs", "--host-map", HOST_MAP]);
    assert_eq!(code, Some(0));
    assert_eq!(row(&again, "aggregate", "fast-disks")["Outcome"], "waiting");
}

#[test]
fn an_old_nova_network_region_syncs_at_its_own_microversion() {
    let cloud = SimCloud::nova_network();
    // Both regions are below 2.36 (old 2.1, new 2.35): network quotas are copied too.
    cloud.sim().world().compute.get_mut(OLD).expect("old region").quota_defaults.floating_ips = 3;
    let (code, rows, stderr) = sync(&cloud, &["--only", "flavors,quotas"]);
    assert_eq!(code, Some(0), "{rows:#?}\n{stderr}");
    assert!(outcomes(&rows).contains("created"), "{rows:#?}");
    let (code, again, _) = sync(&cloud, &["--only", "flavors,quotas"]);
    assert_eq!((code, outcomes(&again)), (Some(0), BTreeSet::from(["equal".to_string()])), "{again:#?}");
    assert_regions_equal(&cloud, "flavors");
    assert_regions_equal(&cloud, "quotas");
    assert!(
        rows.iter().any(|r| r["Detail"].as_str().unwrap_or_default().contains("floating_ips 10 -> 3")),
        "{rows:#?}"
    );
}
