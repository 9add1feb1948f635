/*!
Keystone's catalog through the client, and a region's services and
hypervisors: what `env register` and `env verify` read and write.
*/

mod util;

use cutover_core::model::Interface;
use cutover_sim::Scenario;
use util::SimCloud;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_is_read_whole_and_a_region_and_endpoint_are_registered_and_changed() {
    let cloud = SimCloud::start().await;
    let old = cloud.region("RegionOne").await;
    let catalog = old.keystone_catalog().await.expect("catalog");
    assert!(catalog.region("RegionTwo").is_some());
    let compute = catalog.services.iter().find(|s| s.kind == "compute").expect("compute service");
    assert_eq!(compute.name, "nova");
    let volume: Vec<_> = catalog.endpoints_in("RegionOne").filter(|e| e.url.contains("/volume/")).collect();
    assert!(volume.iter().all(|e| e.url.ends_with("$(project_id)s")), "templates unfilled: {volume:?}");

    old.create_region("RegionThree", "third").await.expect("region created");
    let err = old.create_region("RegionThree", "again").await.expect_err("a duplicate");
    assert!(err.is_conflict(), "{err}");
    let id = old.create_endpoint(&compute.id, "RegionThree", Interface::Admin, "http://a/v2.1").await.expect("created");
    old.update_endpoint(&id, "http://b/v2.1").await.expect("updated");

    let after = old.keystone_catalog().await.expect("catalog");
    assert_eq!(after.region("RegionThree").map(|r| r.description.as_str()), Some("third"));
    let three: Vec<_> = after.endpoints_in("RegionThree").collect();
    assert_eq!(three.len(), 1);
    assert_eq!(
        (three[0].interface, three[0].url.as_str(), three[0].enabled),
        (Interface::Admin, "http://b/v2.1", true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_hypervisors_of_a_region() {
    let cloud = SimCloud::start().await;
    check_services_and_hypervisors(&cloud, 36).await;
}

/// A Nova without microversions (2.1 only): integer ids, unpaged hypervisors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_hypervisors_of_a_nova_without_microversions() {
    let mut scenario = Scenario::builtin();
    scenario.regions[1].max_microversion = "2.1".into();
    let cloud = SimCloud::with(scenario).await;
    check_services_and_hypervisors(&cloud, 1).await;
}

async fn check_services_and_hypervisors(cloud: &SimCloud, id_len: usize) {
    let new = cloud.region("RegionTwo").await;
    let services = new.compute_services().await.expect("services");
    let mut computes: Vec<&str> =
        services.iter().filter(|s| s.binary == "nova-compute").map(|s| s.host.as_str()).collect();
    computes.sort();
    assert_eq!(computes, ["new-1", "new-2"]);
    assert!(services.iter().all(|s| s.up && s.enabled), "{services:?}");
    assert!(services.iter().all(|s| s.id.len() == id_len), "{services:?}");
    let hypervisors = new.hypervisors().await.expect("hypervisors");
    let mut hosts: Vec<&str> = hypervisors.iter().filter_map(|h| h.service_host.as_deref()).collect();
    hosts.sort();
    assert_eq!(hosts, ["new-1", "new-2"]);
}
