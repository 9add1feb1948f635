/*!
`cutover preflight` against the simulator, with a Neutron old region (the
built-in scenario) and a nova-network one (generated): a ready cloud
passes; each broken precondition fails its check with the right reason;
bad input is one line and a non-zero exit; nothing is changed; no secret
reaches the output, even at `-vvv`.
*/

use serde_json::Value;

use crate::util::{one_line_failure, SimCloud};

/// Both kinds of old region, and the non-admin user each has.
fn clouds() -> Vec<(SimCloud, (&'static str, &'static str, &'static str))> {
    vec![
        (SimCloud::start(), ("alice", "alice-secret", "acme")),
        (SimCloud::nova_network(), ("project-001-user", "secret", "project-001")),
    ]
}

/// The rows of `preflight -f json` (exit status checked to be `code`).
fn rows(cloud: &SimCloud, code: i32) -> Vec<Value> {
    let out = cloud.cutover().args(["preflight", "-f", "json"]).output().expect("cutover runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stdout: {}\nstderr: {stderr}", String::from_utf8_lossy(&out.stdout));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON rows");
    rows.as_array().expect("an array").clone()
}

/// The one row named `check` for `region` (`None`: the cloud as a whole).
fn row<'a>(rows: &'a [Value], check: &str, region: Option<&str>) -> &'a Value {
    let region = region.map_or(Value::Null, |r| Value::String(r.into()));
    let found: Vec<&Value> = rows.iter().filter(|r| r["Check"] == check && r["Region"] == region).collect();
    assert_eq!(found.len(), 1, "one {check} row for {region}: {rows:#?}");
    found[0]
}

/// Asserts the row failed and its reason has every one of `words`.
fn assert_fails(rows: &[Value], check: &str, region: Option<&str>, words: &[&str]) {
    let row = row(rows, check, region);
    assert_eq!(row["Status"], "fail", "{row}");
    let reason = row["Reason"].as_str().expect("a reason");
    for word in words {
        assert!(reason.contains(word), "{check}: {word:?} not in {reason:?}");
    }
}

/// Only reads and authentications reached the cloud.
fn assert_nothing_changed(cloud: &SimCloud) {
    for (request, _) in cloud.sim().request_counts() {
        assert!(
            request.starts_with("GET ") || request.starts_with("HEAD ") || request == "POST /v3/auth/tokens",
            "preflight sent {request}"
        );
    }
}

#[test]
fn a_ready_cloud_passes_in_both_networking_modes() {
    for (cloud, _) in clouds() {
        // The built-in scenario's zone az-fast is not in RegionTwo: the
        // operator's zone map sends its servers to the default zone.
        std::fs::write(cloud.dir().join("cutover.toml"), "[plan]\nzone_map = { az-fast = \"\" }\n").unwrap();
        let rows = rows(&cloud, 0);
        for row in &rows {
            assert_eq!(row["Status"], "ok", "{row}");
        }
        let mode =
            if cloud.sim().read().compute["RegionOne"].networking == cutover_sim::model::compute::Networking::Neutron {
                "Neutron"
            } else {
                "nova-network"
            };
        assert!(row(&rows, "networking", None)["Reason"].as_str().unwrap().contains(mode));
        for check in
            ["region", "image service", "volume service", "network service", "nova services", "capacity", "zones"]
        {
            row(&rows, check, Some("RegionTwo"));
        }
        for check in ["flavors", "images", "networks", "volumes"] {
            row(&rows, check, Some("RegionOne"));
        }
        assert_nothing_changed(&cloud);
    }
}

#[test]
fn a_new_region_missing_from_the_catalog_fails_naming_the_regions_there_are() {
    for (cloud, _) in clouds() {
        cloud.sim().world().identity.endpoints.retain(|_, e| e.region_id.as_deref() != Some("RegionTwo"));
        let rows = rows(&cloud, 3);
        assert_fails(&rows, "region", Some("RegionTwo"), &["RegionTwo is not in the catalog", "RegionOne"]);
        assert_eq!(row(&rows, "region", Some("RegionOne"))["Status"], "ok");
    }
}

#[test]
fn a_down_scheduler_in_the_new_region_fails() {
    for (cloud, _) in clouds() {
        {
            let mut w = cloud.sim().world();
            let new = w.compute.get_mut("RegionTwo").expect("RegionTwo");
            new.services.values_mut().filter(|s| s.binary == "nova-scheduler").for_each(|s| s.up = false);
        }
        let rows = rows(&cloud, 3);
        assert_fails(&rows, "nova services", Some("RegionTwo"), &["nova-scheduler is down on controller"]);
        assert_eq!(row(&rows, "nova services", Some("RegionOne"))["Status"], "ok");
    }
}

#[test]
fn non_admin_credentials_fail_the_admin_check() {
    for (cloud, (user, password, project)) in clouds() {
        cloud.write_clouds(&[("sim", user, password, project)]);
        let rows = rows(&cloud, 3);
        let expected = format!("user {user} has no admin role on project {project} (preflight needs an admin)");
        assert_fails(&rows, "admin", None, &[&expected]);
        // What needs an admin is reported as not checked, not as failed.
        assert_eq!(row(&rows, "capacity", Some("RegionTwo"))["Status"], "warn");
        assert_nothing_changed(&cloud);
    }
}

#[test]
fn a_new_region_too_small_for_the_largest_old_host_fails() {
    for (cloud, _) in clouds() {
        let (host, load, largest_flavor) = {
            let w = cloud.sim().read();
            let old = &w.compute["RegionOne"];
            let ram_of = |s: &cutover_sim::model::compute::Server| old.flavors[&s.flavor_id].ram_mb;
            let largest_flavor = old.servers.values().map(ram_of).max().expect("servers");
            let (host, load) = old
                .hosts
                .keys()
                .map(|h| (h.clone(), old.servers_on_host(h).map(ram_of).sum::<u64>()))
                .max_by_key(|(_, load)| *load)
                .expect("hosts");
            (host, load, largest_flavor)
        };
        assert!(load > largest_flavor, "the scenario's largest host runs more than one server");
        {
            // One usable new host, with room for the largest flavor only.
            let mut w = cloud.sim().world();
            let new = w.compute.get_mut("RegionTwo").expect("RegionTwo");
            let names: Vec<String> = new.hosts.keys().cloned().collect();
            for (i, name) in names.iter().enumerate() {
                if i == 0 {
                    new.hosts.get_mut(name).expect("host").memory_mb = largest_flavor;
                } else {
                    let svc = new.services.values_mut().find(|s| &s.host == name).expect("service");
                    svc.disabled = true;
                }
            }
        }
        let rows = rows(&cloud, 3);
        assert_fails(&rows, "capacity", Some("RegionTwo"), &[&format!("old host {host} runs"), "never be drained"]);
    }
}

#[test]
fn a_deleted_flavor_of_a_running_server_fails_naming_server_project_and_flavor() {
    for (cloud, _) in clouds() {
        let (users, flavor_id) = {
            let mut w = cloud.sim().world();
            let old = w.compute.get_mut("RegionOne").expect("RegionOne");
            let running = old.servers.values().find(|s| s.status() == "ACTIVE").expect("a running server");
            let flavor_id = running.flavor_id.clone();
            old.flavors.remove(&flavor_id);
            let users: Vec<(String, String)> = old
                .servers
                .values()
                .filter(|s| s.flavor_id == flavor_id)
                .map(|s| (s.name.clone(), s.project_id.clone()))
                .collect();
            let users = users.into_iter().map(|(name, p)| (name, w.identity.projects[&p].name.clone())).collect();
            (users, flavor_id)
        };
        let users: Vec<(String, String)> = users;
        let rows = rows(&cloud, 3);
        assert_fails(&rows, "flavors", Some("RegionOne"), &[&flavor_id, "no longer exists", "sync cannot copy it"]);
        // The reason names one of the servers that use it, with its project.
        let reason = row(&rows, "flavors", Some("RegionOne"))["Reason"].as_str().unwrap().to_string();
        let named = |(server, project): &(String, String)| {
            let head = format!("server {server} (");
            let owner = format!(") of project {project} uses flavor");
            reason.starts_with(&head) && reason.contains(&owner)
        };
        assert!(users.iter().any(named), "{reason} names none of {users:?}");
    }
}

#[test]
fn bad_input_is_one_line_and_a_non_zero_exit() {
    let cloud = SimCloud::start();
    let line = one_line_failure(&cloud.cutover().args(["preflight"]).env("OS_CLOUD", "nope").output().unwrap(), 2);
    assert!(line.contains("cloud nope is not defined") && line.contains("sim"), "{line}");

    let line = one_line_failure(&cloud.run(&["--old-region", "RegionNine", "preflight"]), 2);
    assert!(line.contains("RegionNine is not in the catalog") && line.contains("RegionOne, RegionTwo"), "{line}");

    cloud.write_clouds(&[("sim", "admin", "not-the-password", "admin")]);
    let line = one_line_failure(&cloud.run(&["preflight"]), 2);
    assert!(line.contains("cannot authenticate to cloud sim"), "{line}");
    assert!(!line.contains("not-the-password"), "{line}");

    std::fs::write(cloud.clouds_yaml(), "clouds: [sim: {auth: \n").unwrap();
    let line = one_line_failure(&cloud.run(&["preflight"]), 2);
    assert!(line.contains("cannot read the cloud configuration"), "{line}");

    assert_nothing_changed(&cloud);
}

#[test]
fn no_password_or_token_reaches_the_output_at_trace_level() {
    let password = "Pw-preflight-7c1f";
    let mut scenario = cutover_sim::Scenario::builtin();
    scenario.users.iter_mut().filter(|u| u.name == "admin").for_each(|u| u.password = password.into());
    let cloud = SimCloud::with(scenario);
    cloud.write_clouds(&[("sim", "admin", password, "admin")]);
    let out = cloud.run(&["-vvv", "preflight"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("TRACE") || text.contains("DEBUG"), "-vvv logs");
    assert!(!text.contains(password), "the password is in the output");
    let tokens: Vec<String> = cloud.sim().read().identity.tokens.keys().cloned().collect();
    assert!(!tokens.is_empty());
    for token in tokens {
        assert!(!text.contains(&token), "token {token} is in the output");
    }
}
