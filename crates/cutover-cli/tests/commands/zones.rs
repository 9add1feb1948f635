/*!
Availability zones the new region lacks, before anything changes: the
built-in scenario's old-3 is in zone az-fast, which RegionTwo does not
have until a host map places the zone's aggregate on a new host. Preflight
warns about the zone, the plan warns on each of its servers, `plan
--check` fails; a zone map (`--zone-map`, `[plan] zone_map`) is recorded
in the plan and the run boots those servers where it says. A zone sync
creates is found at plan time.
*/

use cutover_core::plan::Plan;
use serde_json::Value;

use crate::util::SimCloud;

/// The servers of old-3, whose zone is az-fast.
const IN_ZONE: [&str; 2] = ["batch-1", "win-1"];

fn code(cloud: &SimCloud, args: &[&str]) -> (Option<i32>, String, String) {
    let out = cloud.run(args);
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn plan_file(cloud: &SimCloud, name: &str) -> Plan {
    yaml_serde::from_str(&std::fs::read_to_string(cloud.dir().join(name)).unwrap()).unwrap()
}

fn zone_row(cloud: &SimCloud) -> Value {
    let rows = cloud.json(&["preflight"]);
    let zones: Vec<&Value> = rows.as_array().unwrap().iter().filter(|r| r["Check"] == "zones").collect();
    assert_eq!(zones.len(), 1, "{rows:#}");
    zones[0].clone()
}

#[test]
fn a_missing_zone_is_said_before_anything_changes_and_a_zone_map_moves_its_servers() {
    let cloud = SimCloud::start();
    let (status, _, stderr) = code(&cloud, &["sync"]);
    assert!(matches!(status, Some(0 | 3)), "{stderr}");

    let row = zone_row(&cloud);
    assert_eq!((row["Region"].as_str(), row["Status"].as_str()), (Some("RegionTwo"), Some("warn")), "{row}");
    let reason = row["Reason"].as_str().unwrap();
    assert!(reason.starts_with("2 server(s) of RegionOne in zone az-fast (e.g. "), "{reason}");
    assert!(reason.contains("zone az-fast does not exist in RegionTwo: Nova would refuse the boot"), "{reason}");

    let (status, _, stderr) = code(&cloud, &["plan", "-o", "plan.yaml", "--migration", "z1"]);
    assert_eq!(status, Some(0), "the plan is written: {stderr}");
    assert!(stderr.contains("2 server(s) cannot boot as planned: zone az-fast does not exist"), "{stderr}");
    let plan = plan_file(&cloud, "plan.yaml");
    for (_, s) in plan.servers() {
        let warned = s.warnings.iter().any(|w| w.starts_with("zone az-fast does not exist in RegionTwo"));
        assert_eq!(warned, IN_ZONE.contains(&s.server.name.as_str()), "{}: {:?}", s.server.name, s.warnings);
    }
    let (status, stdout, _) = code(&cloud, &["plan", "--check", "plan.yaml", "-f", "json"]);
    assert_eq!(status, Some(3), "{stdout}");
    let problems: Value = serde_json::from_str(&stdout).unwrap();
    let subjects: Vec<&str> = problems.as_array().unwrap().iter().map(|p| p["Subject"].as_str().unwrap()).collect();
    assert_eq!(subjects.len(), 2, "{problems:#}");
    assert!(IN_ZONE.iter().all(|name| subjects.iter().any(|s| s.starts_with(&format!("server {name} ")))));

    // The operator's map, in cutover.toml: preflight and the plan follow it.
    std::fs::write(cloud.dir().join("cutover.toml"), "[plan]\nzone_map = { az-fast = \"nova\" }\n").unwrap();
    let row = zone_row(&cloud);
    assert_eq!(row["Status"], "ok", "{row}");
    let (status, _, stderr) = code(&cloud, &["plan", "-o", "mapped.yaml", "--migration", "z2"]);
    assert_eq!(status, Some(0), "{stderr}");
    let plan = plan_file(&cloud, "mapped.yaml");
    assert_eq!(plan.options.zone_map["az-fast"], "nova", "recorded in the plan");
    let (status, stdout, _) = code(&cloud, &["plan", "--check", "mapped.yaml"]);
    assert_eq!(status, Some(0), "{stdout}");
    // A flag goes before the file: the default zone, no zone named at boot.
    let (status, _, stderr) = code(&cloud, &["plan", "-o", "flag.yaml", "--migration", "z3", "--zone-map", "az-fast="]);
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(plan_file(&cloud, "flag.yaml").options.zone_map["az-fast"], "");
    let (status, _, stderr) = code(&cloud, &["plan", "--zone-map", "az-fast"]);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("--zone-map: bad zone mapping \"az-fast\": no `=`"), "{stderr}");

    let (status, stdout, stderr) = code(&cloud, &["run", "mapped.yaml", "--poll-max", "1", "-f", "json"]);
    assert_eq!(status, Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let w = cloud.sim().world();
    for s in report["servers"].as_array().unwrap() {
        assert_eq!(s["result"], "moved", "{s}");
        let rebuilt = &w.compute["RegionTwo"].servers[s["new_id"].as_str().unwrap()];
        let zone = rebuilt.requested_az.as_deref();
        match IN_ZONE.contains(&s["name"].as_str().unwrap()) {
            true => assert_eq!(zone, Some("nova"), "{s}"),
            false => assert_ne!(zone, Some("az-fast"), "{s}"),
        }
    }
}

#[test]
fn a_zone_sync_creates_through_the_host_map_is_found_at_plan_time() {
    let cloud = SimCloud::start();
    std::fs::write(cloud.dir().join("hosts.yaml"), "old-1: new-1\nold-2: new-1\nold-3: new-2\n").unwrap();
    let (status, _, stderr) = code(&cloud, &["sync", "--host-map", "hosts.yaml"]);
    assert!(matches!(status, Some(0 | 3)), "{stderr}");
    let row = zone_row(&cloud);
    assert_eq!(row["Status"], "ok", "{row}");
    let (status, _, stderr) = code(&cloud, &["plan", "-o", "plan.yaml"]);
    assert_eq!(status, Some(0), "{stderr}");
    let plan = plan_file(&cloud, "plan.yaml");
    assert!(plan.servers().all(|(_, s)| s.warnings.iter().all(|w| !w.contains("az-fast"))));
    let (status, stdout, _) = code(&cloud, &["plan", "--check", "plan.yaml"]);
    assert_eq!(status, Some(0), "{stdout}");
}
