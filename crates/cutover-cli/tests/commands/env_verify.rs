//! `cutover env verify`: the new region's services against the expected
//! hosts (flags, hosts file, the settings' host map), failures exit 3.

use serde_json::Value;

use crate::util::{one_line_failure, SimCloud};

/// `(binary, host, result, detail)` of each row.
fn results(rows: &Value) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| (text(&r["Binary"]), text(&r["Host"]), text(&r["Result"]), text(&r["Detail"])))
        .collect()
}

fn row(binary: &str, host: &str, result: &str, detail: &str) -> (String, String, String, String) {
    (binary.into(), host.into(), result.into(), detail.into())
}

#[test]
fn the_host_map_names_the_expected_hosts() {
    let cloud = SimCloud::start();
    std::fs::write(cloud.dir().join("hosts.yaml"), "old-1: new-1\nold-2: new-2\nold-3: new-2\n").unwrap();
    std::fs::write(cloud.dir().join("cutover.toml"), "[sync]\nhost_map = 'hosts.yaml'\n").unwrap();
    let rows = cloud.json(&["env", "verify"]);
    assert_eq!(
        results(&rows),
        [
            row("nova-conductor", "controller", "ok", ""),
            row("nova-scheduler", "controller", "ok", ""),
            row("nova-compute", "new-1", "ok", ""),
            row("nova-compute", "new-2", "ok", ""),
        ]
    );
    assert_eq!(rows[2]["Hypervisor"], "new-1");
    assert_eq!((rows[2]["State"].as_str(), rows[2]["Status"].as_str()), (Some("up"), Some("enabled")));
}

#[test]
fn a_missing_host_a_down_compute_and_a_disabled_scheduler_fail_with_exit_3() {
    let cloud = SimCloud::start();
    {
        let mut w = cloud.sim().world();
        let region = w.compute_region_mut("RegionTwo").unwrap();
        for s in region.services.values_mut() {
            match (s.binary.as_str(), s.host.as_str()) {
                ("nova-compute", "new-2") => s.up = false,
                ("nova-scheduler", _) => {
                    s.disabled = true;
                    s.disabled_reason = Some("upgrading".into());
                }
                _ => {}
            }
        }
    }
    std::fs::write(cloud.dir().join("hosts.txt"), "# the new hosts\nnew-2\n\nnew-3  # racked tomorrow\n").unwrap();
    let out = cloud.run(&["env", "verify", "--host", "new-1", "--hosts-file", "hosts.txt", "-f", "json"]);
    assert!(one_line_failure(&out, 3).contains("3 of 5 checks failed"));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("the report is printed before the failure");
    assert_eq!(
        results(&rows),
        [
            row("nova-conductor", "controller", "ok", ""),
            row("nova-scheduler", "controller", "fail", "disabled: upgrading"),
            row("nova-compute", "new-1", "ok", ""),
            row("nova-compute", "new-2", "fail", "down"),
            row("nova-compute", "new-3", "fail", "expected host has not registered"),
        ]
    );
}

#[test]
fn without_expected_hosts_one_compute_is_required_and_a_warning_says_so() {
    let cloud = SimCloud::start();
    let out = cloud.run(&["env", "verify", "-c", "Host", "-c", "Result", "-f", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no expected compute hosts"));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("Host,Result\n") && csv.contains("\nnew-2,ok\n"), "{csv}");

    cloud.sim().world().compute_region_mut("RegionTwo").unwrap().services.retain(|_, s| s.binary != "nova-compute");
    let out = cloud.run(&["env", "verify", "-f", "json"]);
    one_line_failure(&out, 3);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        results(&rows).last().unwrap(),
        &row("nova-compute", "", "fail", "no nova-compute service is up and enabled")
    );
}

#[test]
fn bad_input_is_one_line_exit_2() {
    let cloud = SimCloud::start();
    let out = cloud.run(&["env", "verify", "--hosts-file", "missing.txt"]);
    assert!(one_line_failure(&out, 2).contains("cannot read hosts file missing.txt"));

    std::fs::write(cloud.dir().join("hosts.yaml"), "- new-1\n- new-2\n").unwrap();
    std::fs::write(cloud.dir().join("cutover.toml"), "[sync]\nhost_map = 'hosts.yaml'\n").unwrap();
    let out = cloud.run(&["env", "verify"]);
    assert!(one_line_failure(&out, 2).contains("hosts.yaml"), "the host map is named");

    let out =
        cloud.cutover().args(["env", "verify", "--host", "new-1"]).env_remove("CUTOVER_NEW_REGION").output().unwrap();
    assert!(one_line_failure(&out, 2).contains("no new region"));

    let out = cloud.run(&["env", "verify", "--host", "new-1", "--new-region", "Elsewhere"]);
    assert!(one_line_failure(&out, 2).contains("region Elsewhere is not in the catalog"));
}
