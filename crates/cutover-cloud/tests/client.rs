/*!
The cloud client against the simulator: connecting per region, typed
errors for bad configuration and credentials, and the retry rules.
*/

mod util;

use cutover_cloud::{ConfigError, Error, Profile, RegionClient};
use openstack_sdk::types::ServiceType;
use serde_json::json;
use util::{quick_retries, SimCloud};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_to_each_region_with_its_own_session() {
    let cloud = SimCloud::start().await;
    let old = cloud.region("RegionOne").await;
    let new = cloud.region("RegionTwo").await;
    assert_eq!(old.region(), "RegionOne");
    assert_eq!(new.region(), "RegionTwo");
    for service in [ServiceType::Compute, ServiceType::Image, ServiceType::Network, ServiceType::BlockStorage] {
        assert!(old.has_service(&service), "{service}");
    }
    let scope = old.scope();
    assert_eq!((scope.user_name.as_str(), scope.project_name.as_str()), ("admin", "admin"));
    assert!(scope.roles.iter().any(|r| r == "admin"), "{scope:?}");
    assert!(old.compute_versions().max >= "2.53".parse().unwrap(), "{}", old.compute_versions());
    // Each connection talks to its own region's Nova.
    let old_flavors = old.flavors().await.expect("old flavors");
    let new_flavors = new.flavors().await.expect("new flavors");
    assert!(!old_flavors.is_empty());
    let ids = |flavors: &[cutover_core::model::Flavor]| flavors.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    let in_sim = |region: &str| cloud.sim().read().compute[region].flavors.keys().cloned().collect::<Vec<_>>();
    assert_eq!(ids(&old_flavors), in_sim("RegionOne"));
    assert_eq!(ids(&new_flavors), in_sim("RegionTwo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_region_names_the_regions_there_are() {
    let cloud = SimCloud::start().await;
    let err = RegionClient::connect(&cloud.profile("sim"), "RegionNine", quick_retries()).await.err().expect("fails");
    let text = err.to_string();
    assert!(matches!(err, Error::UnknownRegion { .. }), "{text}");
    assert!(text.contains("RegionNine") && text.contains("RegionOne, RegionTwo"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_an_auth_error_without_the_password() {
    let cloud = SimCloud::start().await;
    cloud.write_clouds(&[("sim", "admin", "not-the-password", "admin")]);
    let err = RegionClient::connect(&cloud.profile("sim"), "RegionOne", quick_retries()).await.err().expect("fails");
    let text = err.to_string();
    assert!(matches!(err, Error::Auth { .. }), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystone_failing_while_authenticating_is_not_a_refusal() {
    let cloud = SimCloud::start().await;
    for status in [500, 503] {
        cloud.sim().world().faults.rules.push(
            serde_json::from_value(serde_json::json!({
                "service": "identity", "method": "POST", "path_contains": "/auth/tokens",
                "limit": 1, "kind": "error", "status": status
            }))
            .unwrap(),
        );
        let err =
            RegionClient::connect(&cloud.profile("sim"), "RegionOne", quick_retries()).await.err().expect("fails");
        let text = err.to_string();
        assert!(matches!(err, Error::AuthUnavailable { .. }), "{status}: {text}");
        assert!(!text.contains('\n') && text.contains("try again"), "{text}");
    }
    RegionClient::connect(&cloud.profile("sim"), "RegionOne", quick_retries()).await.expect("then it works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystone_not_answering_in_time_is_not_a_refusal() {
    let cloud = SimCloud::start().await;
    let text = std::fs::read_to_string(cloud.clouds_yaml()).unwrap();
    std::fs::write(cloud.clouds_yaml(), text + "    api_timeout: 1\n").unwrap();
    add_fault(
        &cloud,
        json!({"service": "identity", "method": "POST", "path_contains": "/auth/tokens",
        "limit": 1, "kind": "latency", "millis": 1500}),
    );
    let err = RegionClient::connect(&cloud.profile("sim"), "RegionOne", quick_retries()).await.err().expect("fails");
    let text = err.to_string();
    assert!(matches!(err, Error::AuthUnavailable { .. }), "{text}");
    assert!(!text.contains('\n') && text.contains("try again"), "{text}");
    RegionClient::connect(&cloud.profile("sim"), "RegionOne", quick_retries()).await.expect("then it works");
}

/// Cinder failing its version documents while a region is connected:
/// openstack_sdk walks up the URL to the host's root, where the simulator
/// (like a cloud serving every API under one host) answers Keystone's
/// document, and takes Keystone for Cinder.
fn fail_volume_discovery(cloud: &SimCloud, limit: Option<u64>) {
    let mut rule = json!({"service": "volume", "method": "GET", "kind": "error", "status": 500});
    if let Some(limit) = limit {
        rule["limit"] = json!(limit);
    }
    add_fault(cloud, rule);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_discovered_at_another_services_endpoint_is_discovered_again() {
    let cloud = SimCloud::start().await;
    // The four version documents tried from Cinder's endpoint up, once.
    fail_volume_discovery(&cloud, Some(4));
    let old = cloud.region("RegionOne").await;
    let volumes = old.volumes().await.expect("Cinder reached at its own endpoint");
    assert_eq!(volumes.len(), cloud.sim().read().volume.volumes.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_discovered_wrong_every_time_is_an_error_naming_it() {
    let cloud = SimCloud::start().await;
    fail_volume_discovery(&cloud, None);
    let err = RegionClient::connect(&cloud.profile("sim"), "RegionOne", quick_retries()).await.err().expect("fails");
    let text = err.to_string();
    assert!(matches!(err, Error::Discovery { attempts: 3, .. }), "{text}");
    assert!(text.contains("block-storage") && text.contains("RegionOne") && !text.contains('\n'), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_cloud_lists_the_defined_ones() {
    let cloud = SimCloud::start().await;
    let err = Profile::resolve_in(Some("prod"), Some(&cloud.clouds_yaml()), None).expect_err("fails");
    assert!(matches!(err, ConfigError::UnknownCloud { .. }), "{err}");
    assert!(err.to_string().contains("sim"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_clouds_yaml_is_unreadable() {
    let cloud = SimCloud::start().await;
    std::fs::write(cloud.clouds_yaml(), "clouds: [unclosed\n").unwrap();
    let err = Profile::resolve_in(Some("sim"), Some(&cloud.clouds_yaml()), None).expect_err("fails");
    assert!(matches!(err, ConfigError::BadFile { .. }), "{err}");
    assert!(err.to_string().contains("clouds.yaml: line 2 column 1"), "{err}");
}

/// Installs a fault rule through the simulator's own API, as an operator of
/// the simulator would.
fn add_fault(cloud: &SimCloud, rule: serde_json::Value) {
    let rule = serde_json::from_value(rule).expect("fault rule");
    cloud.sim().world().faults.rules.push(rule);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_after_retry_after() {
    let cloud = SimCloud::start().await;
    let old = cloud.region("RegionOne").await;
    add_fault(
        &cloud,
        json!({"service": "compute", "path_contains": "/flavors/detail", "kind": "rate_limit",
        "retry_after_secs": 1, "limit": 1}),
    );
    let started = std::time::Instant::now();
    old.flavors().await.expect("succeeds after the 429");
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "waited for Retry-After");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_on_a_read_is_retried_but_a_failed_create_is_not() {
    let cloud = SimCloud::start().await;
    let old = cloud.region("RegionOne").await;
    add_fault(
        &cloud,
        json!({"service": "compute", "path_contains": "/flavors/detail", "kind": "error",
        "status": 503, "limit": 2}),
    );
    old.flavors().await.expect("succeeds on the third try");

    add_fault(
        &cloud,
        json!({"service": "compute", "method": "POST", "path_contains": "/flavors", "kind": "error",
        "status": 503, "limit": 1}),
    );
    let err = old.create_flavor(&test_flavor()).await.expect_err("the 503 is reported");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    let text = err.to_string();
    assert!(text.starts_with("RegionOne compute POST flavors: 503"), "{text}");
    // The fault hits only the first POST: a retry would have created the flavor.
    assert!(!cloud.sim().read().compute["RegionOne"].flavors.contains_key("retry-test"), "a create is sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_failing_every_time_is_sent_once_and_retried_as_the_policy_says() {
    use cutover_cloud::meter::metered;

    let cloud = SimCloud::start().await;
    let old = cloud.region("RegionOne").await;
    add_fault(
        &cloud,
        json!({"service": "compute", "path_contains": "/flavors/detail", "kind": "error", "status": 500}),
    );
    let (listed, sent) = metered(old.flavors()).await;
    assert_eq!(listed.expect_err("every attempt fails").status().map(|s| s.as_u16()), Some(500));
    assert_eq!(sent, 1 + u64::from(quick_retries().backoff.retries));
}

fn test_flavor() -> cutover_core::model::Flavor {
    cutover_core::model::Flavor::public("retry-test", "retry.test", 1, 512, 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_may_live_in_secure_yaml() {
    let cloud = SimCloud::start().await;
    let clouds = std::fs::read_to_string(cloud.clouds_yaml()).unwrap();
    std::fs::write(cloud.clouds_yaml(), clouds.replace("      password: secret\n", "")).unwrap();
    let secure = cloud.clouds_yaml().with_file_name("secure.yaml");
    std::fs::write(&secure, "clouds:\n  sim:\n    auth:\n      password: secret\n").unwrap();

    let without = Profile::resolve_in(Some("sim"), Some(&cloud.clouds_yaml()), None).expect("profile");
    assert!(RegionClient::connect(&without, "RegionOne", quick_retries()).await.is_err(), "no password, no token");
    let with = Profile::resolve_in(Some("sim"), Some(&cloud.clouds_yaml()), Some(&secure)).expect("profile");
    let region = RegionClient::connect(&with, "RegionOne", quick_retries()).await.expect("connects");
    assert_eq!(region.scope().user_name, "admin");
    assert_eq!(with.secrets(), ["secret"], "the password is known as a secret");
    assert!(!format!("{with:?}").contains("secret"), "Debug hides it");
}

/// The meter counts what the cloud saw: a connection (token, discovery)
/// and the calls made on it, retries included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meter_counts_every_request_the_cloud_sees() {
    use cutover_cloud::meter::metered;
    let cloud = SimCloud::start().await;
    let seen = || cloud.sim().request_counts().values().sum::<u64>();
    let before = seen();
    let (client, counted) = metered(RegionClient::connect(&cloud.profile("sim"), "RegionOne", quick_retries())).await;
    let client = client.expect("connects");
    assert_eq!(counted, seen() - before, "connect: {:?}", cloud.sim().request_counts());

    let before = seen();
    let (flavors, counted) = metered(async { (client.flavors().await, client.images().await) }).await;
    assert!(flavors.0.is_ok() && flavors.1.is_ok());
    assert_eq!(counted, seen() - before);
}
