/*!
The owner's key pair through a boot: a rebuild shows the `key_name` its
source had and was given the owner's public key; cutover's user keeps no
copy, and a key of its own is neither deleted nor used when it differs;
boots of keys sharing a name take turns; a copy a stopped run left is
found by its record in the journal.
*/

use cutover_core::machine::{End, Strategy};
use cutover_engine::Driver;
use cutover_sim::model::compute::Keypair;

use super::{nothing_left, planned, run, target};
use crate::util::SimCloud;

const OTHER_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9wZXJhdG9yb3BlcmF0b3JvcGVyYXRvcm9wZXJh op@ops";

fn user_id(cloud: &SimCloud, name: &str) -> String {
    cloud.sim().world().identity.users.values().find(|u| u.name == name).expect("user").id.clone()
}

/// The key pair `name` of `user` in `region`, if any.
fn keypair(cloud: &SimCloud, region: &str, user: &str, name: &str) -> Option<Keypair> {
    cloud.sim().world().compute[region].keypairs.get(&(user.to_string(), name.to_string())).cloned()
}

/// Gives `user` the key pair `name` holding `public_key` in `region`.
fn give_key(cloud: &SimCloud, region: &str, user: &str, name: &str, public_key: &str) {
    let mut w = cloud.sim().world();
    let keys = &mut w.compute.get_mut(region).expect("region").keypairs;
    let template = keys.values().next().expect("a key pair to copy the shape of").clone();
    let pair = Keypair { name: name.into(), user_id: user.into(), public_key: public_key.into(), ..template };
    keys.insert((user.to_string(), name.to_string()), pair);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeployed_server_shows_its_own_key_name_and_got_its_owners_key() {
    let cloud = SimCloud::start().await;
    let (driver, journal) = cloud.recording_driver().await;
    let source = cloud.server_id("RegionOne", "app-1");
    let plan = cloud.plan(&[("app-1", Strategy::Redeploy)]);
    let record = planned(&plan, &source).server.clone();
    let owners = keypair(&cloud, "RegionTwo", &record.user_id, "bob-key").expect("bob's key, synced");

    let (state, actions) = run(&driver, &plan, planned(&plan, &source)).await;
    assert_eq!(state.end, Some(End::Moved), "{state:?} after {actions:?}");
    let new = target(&cloud, &source);
    assert_eq!(new.key_name.as_deref(), Some("bob-key"), "the name it had");
    assert_eq!(new.key_data.as_deref(), Some(owners.public_key.as_str()), "bob's public key");
    nothing_left(&cloud);
    assert!(journal.values_with_prefix("key-copy/").unwrap().is_empty(), "no copy recorded any more");
    assert!(journal.values_with_prefix("key-clash/").unwrap().is_empty(), "no fallback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_key_of_cutovers_user_under_that_name_is_kept_and_the_boot_falls_back_to_a_copy() {
    let cloud = SimCloud::start().await;
    let (driver, journal) = cloud.recording_driver().await;
    let admin = user_id(&cloud, "admin");
    give_key(&cloud, "RegionTwo", &admin, "bob-key", OTHER_KEY);
    let source = cloud.server_id("RegionOne", "app-1");
    let plan = cloud.plan(&[("app-1", Strategy::Redeploy)]);
    let record = planned(&plan, &source).server.clone();
    let owners = keypair(&cloud, "RegionTwo", &record.user_id, "bob-key").expect("bob's key");

    let (state, _) = run(&driver, &plan, planned(&plan, &source)).await;
    assert_eq!(state.end, Some(End::Moved));
    let new = target(&cloud, &source);
    assert_eq!(new.key_name.as_deref(), Some(plan.snapshot_name(&source).as_str()), "the per-move copy");
    assert_eq!(new.key_data.as_deref(), Some(owners.public_key.as_str()), "still bob's public key");
    let kept = keypair(&cloud, "RegionTwo", &admin, "bob-key").expect("the admin's own key stays");
    assert_eq!(kept.public_key, OTHER_KEY);
    let clash = journal.value(&format!("key-clash/{source}")).unwrap().expect("the fallback is recorded");
    assert!(clash.contains("bob-key") && clash.contains("another key"), "{clash}");
    let left: Vec<String> = cloud.sim().world().compute["RegionTwo"]
        .keypairs
        .keys()
        .filter(|(user, _)| *user == admin)
        .map(|(_, name)| name.clone())
        .collect();
    assert_eq!(left, ["bob-key"], "only the admin's own key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_of_cutovers_user_under_that_name_is_used_and_kept() {
    let cloud = SimCloud::start().await;
    let (driver, journal) = cloud.recording_driver().await;
    let admin = user_id(&cloud, "admin");
    let source = cloud.server_id("RegionOne", "app-1");
    let plan = cloud.plan(&[("app-1", Strategy::Redeploy)]);
    let record = planned(&plan, &source).server.clone();
    let owners = keypair(&cloud, "RegionTwo", &record.user_id, "bob-key").expect("bob's key");
    give_key(&cloud, "RegionTwo", &admin, "bob-key", &owners.public_key);

    let (state, _) = run(&driver, &plan, planned(&plan, &source)).await;
    assert_eq!(state.end, Some(End::Moved));
    assert_eq!(target(&cloud, &source).key_name.as_deref(), Some("bob-key"));
    assert!(keypair(&cloud, "RegionTwo", &admin, "bob-key").is_some(), "not cutover's to delete");
    assert!(journal.values_with_prefix("key-").unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boots_of_other_keys_under_one_name_take_turns_and_each_gets_its_own() {
    let cloud = SimCloud::start().await;
    let (driver, _journal) = cloud.recording_driver().await;
    let (web, app) = (cloud.server_id("RegionOne", "web-1"), cloud.server_id("RegionOne", "app-1"));
    let mut plan = cloud.plan(&[("web-1", Strategy::Redeploy), ("app-1", Strategy::Redeploy)]);
    // Alice and Bob both call their key `laptop`, each with their own.
    let mut wanted = Vec::new();
    for host in &mut plan.hosts {
        for planned in &mut host.servers {
            let record = &mut planned.server;
            let public_key = keypair(&cloud, "RegionTwo", &record.user_id, record.key_name.as_deref().unwrap())
                .expect("the owner's key")
                .public_key;
            give_key(&cloud, "RegionTwo", &record.user_id, "laptop", &public_key);
            record.key_name = Some("laptop".into());
            wanted.push((record.id.clone(), public_key));
        }
    }
    assert_ne!(wanted[0].1, wanted[1].1);

    let ((a, _), (b, _)) =
        tokio::join!(run(&driver, &plan, planned(&plan, &web)), run(&driver, &plan, planned(&plan, &app)));
    assert_eq!((a.end, b.end), (Some(End::Moved), Some(End::Moved)));
    for (source, public_key) in wanted {
        let new = target(&cloud, &source);
        assert_eq!(new.key_name.as_deref(), Some("laptop"));
        assert_eq!(new.key_data.as_deref(), Some(public_key.as_str()), "{source} got its owner's key");
    }
    nothing_left(&cloud);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tidy_deletes_a_recorded_copy_and_never_a_key_cutover_did_not_make() {
    let cloud = SimCloud::start().await;
    let (driver, mut journal) = cloud.recording_driver().await;
    let admin = user_id(&cloud, "admin");
    let plan = cloud.plan(&[("app-1", Strategy::Redeploy)]);
    let bobs = keypair(&cloud, "RegionTwo", &user_id(&cloud, "bob"), "bob-key").expect("bob's key");
    // A run stopped between making its copy of bob-key and deleting it ...
    give_key(&cloud, "RegionTwo", &admin, "bob-key", &bobs.public_key);
    let record = serde_json::json!({"public_key": bobs.public_key, "kind": bobs.kind}).to_string();
    journal.set_value("key-copy/RegionTwo/bob-key", &record).unwrap();
    // ... and one whose record outlived its copy, the name since taken by
    // the operator for a key of their own.
    give_key(&cloud, "RegionOne", &admin, "alice-key", OTHER_KEY);
    journal.set_value("key-copy/RegionOne/alice-key", &record).unwrap();

    driver.tidy(&plan).await.expect("tidies");
    assert!(keypair(&cloud, "RegionTwo", &admin, "bob-key").is_none(), "the recorded copy is deleted");
    assert!(keypair(&cloud, "RegionOne", &admin, "alice-key").is_some(), "the operator's key stays");
    assert!(journal.values_with_prefix("key-copy/").unwrap().is_empty(), "both records are gone");
}
