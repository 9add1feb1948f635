use crate::util::TestCloud;

#[test]
fn token_issue() {
    let cloud = TestCloud::start();
    let token = cloud.openstack(&["token", "issue"]);
    assert!(token["id"].as_str().unwrap().starts_with("gAAAAA"));
    assert!(!token["project_id"].as_str().unwrap().is_empty());
    assert!(!token["user_id"].as_str().unwrap().is_empty());
}

#[test]
fn region_list_shows_both_regions() {
    let cloud = TestCloud::start();
    let regions = cloud.openstack(&["region", "list"]);
    let names: Vec<&str> = regions.as_array().unwrap().iter().map(|r| r["Region"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["RegionOne", "RegionTwo"]);
}

#[test]
fn new_region_endpoints_can_be_created_and_listed() {
    let cloud = TestCloud::start();
    cloud.openstack(&["region", "create", "RegionThree", "--description", "new nova"]);
    let url = format!("{}/compute/RegionThree/v2.1", cloud.base_url());
    for interface in ["public", "internal", "admin"] {
        let e = cloud.openstack(&["endpoint", "create", "--region", "RegionThree", "compute", interface, &url]);
        assert_eq!(e["region"], "RegionThree");
        assert_eq!(e["interface"], interface);
        assert_eq!(e["service_type"], "compute");
    }
    let listed = cloud.openstack(&["endpoint", "list", "--region", "RegionThree", "--service", "compute"]);
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert!(listed.as_array().unwrap().iter().all(|e| e["URL"] == url.as_str()));
}

#[test]
fn project_user_and_role_management() {
    let cloud = TestCloud::start();
    let p = cloud.openstack(&["project", "create", "--domain", "Default", "initech"]);
    assert_eq!(p["name"], "initech");
    let u = cloud.openstack(&["user", "create", "--domain", "Default", "--password", "pw", "peter"]);
    assert_eq!(u["name"], "peter");
    cloud.openstack_ok(&["role", "add", "--project", "initech", "--user", "peter", "member"]);
    let a = cloud.openstack(&["role", "assignment", "list", "--user", "peter", "--names"]);
    assert_eq!(a[0]["Role"], "member");
    assert_eq!(a[0]["Project"], "initech@Default");
}
