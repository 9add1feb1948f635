//! `cutover env register`: a Keystone that has never heard of RegionTwo
//! (its Nova already serves at its URL), registered, checked with the real
//! client, registered again to no effect; dry runs, differing URLs, bad input.

use serde_json::Value;

use crate::util::{one_line_failure, SimCloud};

/// The built-in cloud as an operator's Keystone looks before register: the
/// new Nova runs, but neither its region nor any endpoint of it is known.
fn fresh_keystone() -> SimCloud {
    let cloud = SimCloud::start();
    {
        let mut w = cloud.sim().world();
        w.identity.endpoints.retain(|_, e| e.region_id.as_deref() != Some("RegionTwo"));
        w.identity.regions.remove("RegionTwo");
    }
    cloud
}

/// Where the sim's RegionTwo Nova answers.
fn new_compute_url(cloud: &SimCloud) -> String {
    format!("{}/compute/RegionTwo/v2.1", cloud.auth_url().trim_end_matches("/v3"))
}

/// `(service type, interface, url)` of RegionTwo's endpoints, sorted.
fn registered(cloud: &SimCloud) -> Vec<(String, String, String)> {
    let w = cloud.sim().read();
    let mut all: Vec<(String, String, String)> = w
        .identity
        .endpoints
        .values()
        .filter(|e| e.region_id.as_deref() == Some("RegionTwo"))
        .map(|e| (w.identity.services[&e.service_id].kind.clone(), e.interface.clone(), e.url.clone()))
        .collect();
    all.sort();
    all
}

fn outcomes(rows: &Value) -> Vec<String> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| format!("{} {} {}", r["Name"].as_str().unwrap(), r["Interface"].as_str().unwrap_or("-"), r["Outcome"]))
        .map(|s| s.replace('"', ""))
        .collect()
}

#[test]
fn register_then_verify_and_the_real_client_sees_the_new_region_and_a_second_run_is_a_no_op() {
    let cloud = fresh_keystone();
    let url = new_compute_url(&cloud);

    let before = cloud.run(&["env", "verify"]);
    let line = one_line_failure(&before, 2);
    assert!(line.contains("region RegionTwo is not in the catalog") && line.contains("cutover env register"), "{line}");

    let rows = cloud.json(&["env", "register", "--compute-url", &url, "--volume", "--region-description", "Juno"]);
    let got = outcomes(&rows);
    assert_eq!(got[0], "RegionTwo - created");
    for expected in
        ["compute public created", "compute internal created", "compute admin created", "identity admin created"]
    {
        assert!(got.contains(&expected.to_string()), "{expected}: {got:?}");
    }
    let copied = registered(&cloud);
    let kinds: std::collections::BTreeSet<&str> = copied.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["block-storage", "compute", "identity", "image", "network", "volumev3"]
    );
    assert_eq!(copied.len(), 18, "three interfaces each: {copied:?}");
    assert!(copied.contains(&("compute".into(), "internal".into(), url.clone())));
    assert!(
        copied.iter().any(|(k, _, u)| k == "volumev3" && u.ends_with("/volume/v3/$(project_id)s")),
        "template kept"
    );
    assert_eq!(cloud.sim().read().identity.regions["RegionTwo"].description, "Juno");

    let again =
        cloud.cutover().args(["env", "register", "--compute-url", &url, "--volume", "-f", "json"]).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let rows: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(outcomes(&rows).iter().all(|o| o.ends_with(" exists")), "{rows}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to do: already registered"));
    assert_eq!(registered(&cloud), copied, "nothing changed");

    let verified = cloud.json(&["env", "verify", "--host", "new-1", "--host", "new-2"]);
    let results: Vec<(&str, &str)> = verified
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["Binary"].as_str().unwrap(), r["Result"].as_str().unwrap()))
        .collect();
    assert!(results.iter().all(|(_, r)| *r == "ok"), "{results:?}");
    assert_eq!(results.iter().filter(|(b, _)| *b == "nova-compute").count(), 2);

    // The operator's own check, with the pinned openstack client.
    let endpoints = cloud.openstack(&["--os-region-name", "RegionTwo", "endpoint", "list", "--region", "RegionTwo"]);
    let compute: Vec<&Value> =
        endpoints.as_array().unwrap().iter().filter(|e| e["Service Type"] == "compute").collect();
    assert_eq!(compute.len(), 3, "{endpoints}");
    assert!(compute.iter().all(|e| e["URL"] == url.as_str() && e["Region"] == "RegionTwo"), "{endpoints}");
    let services = cloud.openstack(&["--os-region-name", "RegionTwo", "compute", "service", "list"]);
    let mut hosts: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Binary"] == "nova-compute" && s["State"] == "up")
        .map(|s| s["Host"].as_str().unwrap())
        .collect();
    hosts.sort();
    assert_eq!(hosts, ["new-1", "new-2"]);
}

#[test]
fn a_dry_run_changes_nothing_and_another_url_is_changed_only_with_update() {
    let cloud = fresh_keystone();
    let url = new_compute_url(&cloud);

    let rows = cloud.json(&["env", "register", "--compute-url", &url, "--dry-run"]);
    assert!(outcomes(&rows).iter().all(|o| o.ends_with("would create")), "{rows}");
    assert!(!cloud.sim().read().identity.regions.contains_key("RegionTwo"));
    assert!(registered(&cloud).is_empty());

    cloud.json(&["env", "register", "--compute-url", &url, "--shared", "identity"]);
    let first = registered(&cloud);
    assert_eq!(first.len(), 6, "compute and identity: {first:?}");

    let internal = format!("{url}/");
    let args = ["env", "register", "--compute-url", &url, "--internal-url", &internal, "--shared", "identity"];
    let out = cloud.cutover().args(args).args(["-f", "json"]).output().unwrap();
    assert!(out.status.success());
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(outcomes(&rows).contains(&"compute internal different".to_string()), "{rows}");
    let shown = rows.as_array().unwrap().iter().find(|r| r["Outcome"] == "different").unwrap()["URL"].clone();
    assert_eq!(shown, format!("{internal} (registered: {url})").as_str());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--update"), "the warning says how to change it");
    assert_eq!(registered(&cloud), first, "left alone");

    let planned = cloud.json(&[&args[..], &["--update", "--dry-run"]].concat());
    assert!(outcomes(&planned).contains(&"compute internal would update".to_string()), "{planned}");
    assert_eq!(registered(&cloud), first);

    let rows = cloud.json(&[&args[..], &["--update"]].concat());
    assert!(outcomes(&rows).contains(&"compute internal updated".to_string()), "{rows}");
    assert!(registered(&cloud).contains(&("compute".into(), "internal".into(), internal)));
    assert_eq!(registered(&cloud).len(), 6, "changed in place, not added");
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let cloud = fresh_keystone();
    let url = new_compute_url(&cloud);
    let register = |extra: &[&str]| {
        let mut cmd = cloud.cutover();
        cmd.args(["env", "register", "--compute-url", &url]).args(extra);
        cmd
    };

    let out = register(&[]).env("OS_CLOUD", "nope").output().unwrap();
    assert!(one_line_failure(&out, 2).contains("cloud nope is not defined"));

    let out = register(&["--old-region", "Nowhere"]).output().unwrap();
    assert!(one_line_failure(&out, 2).contains("region Nowhere is not in the catalog"));

    let out = register(&["--shared", "placement"]).output().unwrap();
    assert!(one_line_failure(&out, 2).contains("no placement endpoint to copy"));

    let out = cloud.run(&["env", "register", "--compute-url", "ftp://x/v2.1"]);
    assert!(one_line_failure(&out, 2).contains("--compute-url \"ftp://x/v2.1\" is not an http:// or https:// URL"));

    let unreadable = cloud.dir().join("garbage.yaml");
    std::fs::write(&unreadable, "clouds: [this is: not, a mapping").unwrap();
    let out = register(&[]).env("OS_CLIENT_CONFIG_FILE", &unreadable).output().unwrap();
    assert!(one_line_failure(&out, 2).contains("cannot read the cloud configuration"));

    cloud.write_clouds(&[("sim", "admin", "wrong-password", "admin")]);
    let out = register(&[]).output().unwrap();
    let line = one_line_failure(&out, 2);
    assert!(line.contains("cannot authenticate") && !line.contains("wrong-password"), "{line}");

    // A member is not allowed to read Keystone's endpoints: a failure, not bad input.
    cloud.write_clouds(&[("sim", "alice", "alice-secret", "acme")]);
    let out = register(&[]).output().unwrap();
    assert!(one_line_failure(&out, 1).contains("403"));

    assert!(registered(&cloud).is_empty());
    assert!(!cloud.sim().read().identity.regions.contains_key("RegionTwo"));
}
