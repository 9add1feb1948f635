//! Where credentials come from, as the `openstack` client takes them: the
//! `OS_*` variables alone, or a clouds.yaml entry whose password comes from
//! `OS_PASSWORD`.

use crate::util::{one_line_failure, SimCloud};

fn env_only(cloud: &SimCloud) -> std::process::Command {
    let mut cmd = cloud.cutover();
    cmd.env_remove("OS_CLOUD")
        .env_remove("OS_CLIENT_CONFIG_FILE")
        .env("OS_AUTH_URL", cloud.auth_url())
        .env("OS_USERNAME", "admin")
        .env("OS_PASSWORD", "secret")
        .env("OS_PROJECT_NAME", "admin")
        .env("OS_USER_DOMAIN_NAME", "Default")
        .env("OS_PROJECT_DOMAIN_NAME", "Default");
    cmd
}

#[test]
fn os_variables_alone_describe_the_cloud() {
    let cloud = SimCloud::start();
    std::fs::remove_file(cloud.clouds_yaml()).unwrap();
    let out = env_only(&cloud).args(["preflight", "-f", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = env_only(&cloud).env("OS_PASSWORD", "wrong").arg("preflight").output().unwrap();
    let line = one_line_failure(&out, 2);
    assert!(line.contains("authenticate") && !line.contains("wrong"), "{line}");
}

#[test]
fn os_password_fills_a_clouds_yaml_entry_without_one() {
    let cloud = SimCloud::start();
    let text = std::fs::read_to_string(cloud.clouds_yaml()).unwrap();
    std::fs::write(cloud.clouds_yaml(), text.replace("      password: secret\n", "")).unwrap();
    let out = cloud.cutover().env("OS_PASSWORD", "secret").args(["preflight", "-f", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn no_cloud_at_all_is_one_line() {
    let cloud = SimCloud::start();
    let out = cloud.cutover().env_remove("OS_CLOUD").arg("preflight").output().unwrap();
    let line = one_line_failure(&out, 2);
    assert!(line.contains("no cloud given"), "{line}");
}

#[test]
fn keystone_failing_at_authentication_is_a_failure_to_retry_not_bad_input() {
    let cloud = SimCloud::start();
    cloud.sim().world().faults.rules.push(
        serde_json::from_value(serde_json::json!({
            "service": "identity", "method": "POST", "path_contains": "/auth/tokens", "kind": "error", "status": 503
        }))
        .unwrap(),
    );
    let out = cloud.run(&["preflight"]);
    let line = one_line_failure(&out, 1);
    assert!(line.contains("authenticate") && line.contains("try again"), "{line}");
}
