/*!
Retiring the old Nova through the client: its services deleted by the id
they were listed with (a UUID from 2.53, an integer before), Nova's refusal
to delete a compute that still hosts servers, and Keystone endpoints
deleted; every delete a second time is `false`, not an error.
*/

mod util;

use cutover_sim::Scenario;
use util::SimCloud;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_are_deleted_by_uuid() {
    check_service_deletes(&SimCloud::start().await).await;
}

/// An old Nova without microversions: integer ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_are_deleted_by_integer_id_without_microversions() {
    let mut scenario = Scenario::builtin();
    scenario.regions[0].max_microversion = "2.1".into();
    check_service_deletes(&SimCloud::with(scenario).await).await;
}

async fn check_service_deletes(cloud: &SimCloud) {
    let old = cloud.region("RegionOne").await;
    let compute = old.compute_service_of("old-1").await.expect("listed").expect("old-1 has a nova-compute");
    assert_eq!((compute.binary.as_str(), compute.host.as_str()), ("nova-compute", "old-1"));
    assert_eq!(old.compute_service_of("no-such-host").await.expect("listed"), None);

    let err = old.delete_compute_service(&compute.id).await.expect_err("old-1 still hosts servers");
    assert!(err.is_conflict(), "{err}");
    assert!(err.to_string().contains("hosting instances"), "{err}");

    {
        let mut w = cloud.sim().world();
        let region = w.compute_region_mut("RegionOne").unwrap();
        let ids: Vec<String> = region.servers_on_host("old-1").map(|s| s.id.clone()).collect();
        for id in ids {
            region.remove_server(&id);
        }
    }
    assert!(old.delete_compute_service(&compute.id).await.expect("deleted"));
    assert!(!old.delete_compute_service(&compute.id).await.expect("already gone"));
    assert_eq!(old.compute_service_of("old-1").await.expect("listed"), None);
    let hypervisors = old.hypervisors().await.expect("hypervisors");
    assert!(hypervisors.iter().all(|h| h.service_host.as_deref() != Some("old-1")), "its compute node went too");

    let services = old.compute_services().await.expect("services");
    let scheduler = services.iter().find(|s| s.binary == "nova-scheduler").expect("a scheduler");
    assert!(old.delete_compute_service(&scheduler.id).await.expect("deleted"));
    let left: Vec<String> = old.compute_services().await.expect("services").into_iter().map(|s| s.binary).collect();
    assert!(!left.iter().any(|b| b == "nova-scheduler"), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_is_deleted_once() {
    let cloud = SimCloud::start().await;
    let client = cloud.region("RegionTwo").await;
    let catalog = client.keystone_catalog().await.expect("catalog");
    let compute = catalog.services.iter().find(|s| s.kind == "compute").expect("compute").id.clone();
    let old_compute: Vec<String> =
        catalog.endpoints_in("RegionOne").filter(|e| e.service_id == compute).map(|e| e.id.clone()).collect();
    assert!(!old_compute.is_empty());
    for id in &old_compute {
        assert!(client.delete_endpoint(id).await.expect("deleted"));
        assert!(!client.delete_endpoint(id).await.expect("already gone"));
    }
    let after = client.keystone_catalog().await.expect("catalog");
    assert!(after.endpoints_in("RegionOne").all(|e| e.service_id != compute));
    assert!(after.endpoints_in("RegionOne").next().is_some(), "the other services' endpoints stay");
}
