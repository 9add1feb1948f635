use std::io::Write;

use crate::util::TestCloud;

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn image_list_create_upload_show_and_set() {
    let cloud = TestCloud::start();
    let listed = cloud.openstack(&["image", "list"]);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|i| i["Name"].as_str().unwrap()).collect();
    assert!(names.contains(&"cirros"), "{names:?}");

    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let path = cloud.dir().join("disk.qcow2");
    std::fs::File::create(&path).unwrap().write_all(&data).unwrap();
    let created =
        cloud.openstack(&["image", "create", "--file", path.to_str().unwrap(), "--disk-format", "qcow2", "x"]);
    assert_eq!(created["name"], "x");

    let shown = cloud.openstack(&["image", "show", "x"]);
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["checksum"], md5_hex(&data).as_str());
    assert_eq!(shown["size"], data.len() as u64);
    assert_eq!(shown["disk_format"], "qcow2");

    cloud.openstack_ok(&["image", "set", "--property", "k=v", "x"]);
    let shown = cloud.openstack(&["image", "show", "x"]);
    assert_eq!(shown["properties"]["k"], "v", "{shown}");
}

#[test]
fn volume_create_list_show_and_types() {
    let cloud = TestCloud::start();
    let v = cloud.openstack(&["volume", "create", "--size", "1", "v"]);
    assert_eq!(v["name"], "v");
    assert_eq!(v["size"], 1);

    let bv = cloud.openstack(&["volume", "create", "--image", "cirros", "--size", "1", "--bootable", "bv"]);
    assert_eq!(bv["name"], "bv");
    let shown = cloud.openstack(&["volume", "show", "bv"]);
    assert_eq!(shown["status"], "available");
    assert_eq!(shown["bootable"], true);
    assert_eq!(shown["volume_image_metadata"]["image_name"], "cirros", "{shown}");

    let listed = cloud.openstack(&["volume", "list"]);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|v| v["Name"].as_str().unwrap()).collect();
    assert!(names.contains(&"v") && names.contains(&"bv"), "{names:?}");
    let v = listed.as_array().unwrap().iter().find(|v| v["Name"] == "v").unwrap();
    assert_eq!(v["Status"], "available");

    let types = cloud.openstack(&["volume", "type", "list"]);
    let names: Vec<&str> = types.as_array().unwrap().iter().map(|t| t["Name"].as_str().unwrap()).collect();
    assert!(names.contains(&"__DEFAULT__"), "{names:?}");
}
