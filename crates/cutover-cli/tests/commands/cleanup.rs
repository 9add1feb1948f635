/*!
`cutover cleanup` against the simulator: after a run that kept snapshots
and a redeployed server's old self, `--dry-run` lists them and deletes
nothing; without `--yes` and no terminal to ask on, it refuses; while a
run holds the journal, it refuses; `--yes` deletes exactly them, the moved
servers untouched, and a second cleanup finds nothing.
*/

use serde_json::Value;

use super::rollback::{identities, journal_contents};
use super::run::{edit_plan, ok, plan_all};
use crate::util::{one_line_failure, SimCloud};

fn rows(out: &[u8]) -> Vec<Value> {
    serde_json::from_slice::<Value>(out).unwrap().as_array().unwrap().clone()
}

#[test]
fn cleanup_deletes_what_the_migration_kept_once_asked() {
    let cloud = SimCloud::start();
    plan_all(&cloud, &["--keep-snapshots", "--strategy", "metadata=owner=ops:redeploy"]);
    edit_plan(&cloud, |plan| plan.options.keep_redeployed_sources = true);
    ok(&cloud, &["run", "plan.yaml", "--poll-max", "1"]);
    let app_1 = {
        let w = cloud.sim().world();
        let old = &w.compute["RegionOne"].servers;
        assert_eq!(old.len(), 1, "app-1 kept, stopped: {:?}", old.keys());
        old.values().next().unwrap().id.clone()
    };
    let snapshots = || {
        let w = cloud.sim().world();
        w.image.images.values().filter(|i| i.name.as_deref().unwrap_or_default().starts_with("cutover-m1-")).count()
    };
    assert_eq!(snapshots(), 4, "kept: web-1, web-2, batch-1, win-1 moved by snapshot");
    let moved = identities(&cloud, "RegionTwo");
    let journal = journal_contents(&cloud);

    let listed = rows(&ok(&cloud, &["cleanup", "plan.yaml", "--dry-run", "-f", "json"]));
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert!(listed.iter().all(|r| r["Result"] == "would delete"), "{listed:?}");
    let server = listed.iter().find(|r| r["Kind"] == "server").unwrap();
    assert_eq!((server["ID"].as_str(), server["Name"].as_str()), (Some(app_1.as_str()), Some("app-1")));
    assert_eq!(snapshots(), 4);
    assert_eq!(journal_contents(&cloud), journal, "a dry run writes nothing");

    let e = one_line_failure(&cloud.run(&["cleanup", "plan.yaml"]), 2);
    assert!(e.contains("give --yes"), "{e}");
    let held = cutover_journal::Journal::open(&cloud.dir().join("plan.journal")).unwrap();
    let e = one_line_failure(&cloud.run(&["cleanup", "plan.yaml", "--yes"]), 2);
    assert!(e.contains("in use by another cutover run"), "{e}");
    drop(held);
    assert_eq!(snapshots(), 4);

    let deleted = rows(&ok(&cloud, &["cleanup", "plan.yaml", "--yes", "-f", "json"]));
    assert_eq!(deleted.len(), 5);
    assert!(deleted.iter().all(|r| r["Result"] == "deleted"), "{deleted:?}");
    assert_eq!(snapshots(), 0);
    assert!(cloud.sim().world().compute["RegionOne"].servers.is_empty(), "the kept old server is gone");
    assert_eq!(identities(&cloud, "RegionTwo"), moved, "the moved servers untouched");
    assert_eq!(journal_contents(&cloud).1, journal.1 + 5, "each delete journaled");

    assert!(rows(&ok(&cloud, &["cleanup", "plan.yaml", "--yes", "-f", "json"])).is_empty(), "nothing left");
}
