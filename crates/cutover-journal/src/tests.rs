//! The journal on disk: create, resume, the lock, intents and outcomes,
//! and refusals of what is not a journal.

use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::host::{HostAction, HostState};
use cutover_core::machine::{Action, Side, Strategy};

use super::*;

#[path = "test_fixtures.rs"]
mod fixtures;
use fixtures::{meta, moves};

#[test]
fn a_journal_reopens_with_everything_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    let stop = Action::StopServer { side: Side::Old, server: "a".into() };
    {
        let mut journal = Journal::create(&path, &meta(), &moves()).unwrap();
        let seq = journal.intend(&ServerId::from("a"), &stop).unwrap();
        journal.outcome(seq, Ok(())).unwrap();
        journal.intend(&ServerId::from("b"), &stop).unwrap(); // the run stops before the outcome
        let mut state = ServerState::new(0);
        state.stopped_at = Some(5);
        journal.save(&ServerId::from("a"), &state).unwrap();
    }
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.meta(), &meta());
    let servers = journal.servers().unwrap();
    assert_eq!(servers.iter().map(|s| s.plan.source.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(servers[0].state.stopped_at, Some(5));
    assert_eq!(servers[1].record["name"], "server b");
    let actions = journal.actions(None).unwrap();
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[0].outcome, Some(Ok(())));
    assert_eq!(actions[1].outcome, None, "an intent without an outcome is kept as such");
    assert_eq!(journal.actions(Some(&ServerId::from("b"))).unwrap().len(), 1);
}

#[test]
fn one_run_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    let first = Journal::create(&path, &meta(), &moves()).unwrap();
    let second = Journal::open(&path).err().expect("refused while the first is open");
    assert!(matches!(second, Error::Busy { .. }), "{second}");
    assert!(second.to_string().contains("in use by another cutover run"));
    drop(first);
    Journal::open(&path).expect("free again once the first is closed");
}

#[test]
fn create_refuses_an_existing_journal_and_open_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    drop(Journal::create(&path, &meta(), &moves()).unwrap());
    assert!(matches!(Journal::create(&path, &meta(), &moves()), Err(Error::Exists { .. })));
    assert!(matches!(Journal::open(&dir.path().join("nope")), Err(Error::Missing { .. })));
}

#[test]
fn what_is_not_a_journal_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not SQLite, it is a much longer text than a header").unwrap();
    let err = Journal::open(&text).err().expect("refused");
    assert!(err.to_string().contains("not a cutover journal"), "{err}");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x);").unwrap();
    let err = Journal::open(&other).err().expect("refused");
    assert!(err.to_string().contains("not a cutover journal"), "{err}");
}

#[test]
fn unknown_servers_and_actions_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::create(&dir.path().join("j"), &meta(), &moves()).unwrap();
    assert!(matches!(journal.save(&ServerId::from("zzz"), &ServerState::new(0)), Err(Error::UnknownServer { .. })));
    assert!(journal.outcome(99, Ok(())).is_err());
    journal.set_value("phase", "drain").unwrap();
    assert_eq!(journal.value("phase").unwrap().as_deref(), Some("drain"));
}

#[test]
fn a_read_only_journal_reads_while_a_run_holds_the_lock_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    let mut run = Journal::create(&path, &meta(), &moves()).unwrap();
    let mut state = ServerState::new(0);
    state.at = 3;
    run.save(&ServerId::from("b"), &state).unwrap();
    let mut reader = Journal::open_read_only(&path).expect("no lock needed");
    assert_eq!(reader.meta(), &meta());
    assert_eq!(reader.servers().unwrap()[1].state.at, 3, "sees what the run committed");
    assert!(reader.save(&ServerId::from("a"), &state).is_err(), "read-only");
    assert!(reader.set_value("k", "v").is_err(), "read-only");
    drop(run);
    drop(reader);
    Journal::open(&path).expect("the reader never held the lock");
    let closed = Journal::open_read_only(&path).expect("readable with no run at all");
    assert_eq!(closed.servers().unwrap().len(), 2);
    assert!(matches!(Journal::open_read_only(&dir.path().join("nope")), Err(Error::Missing { .. })));
}

#[test]
fn a_create_killed_halfway_leaves_nothing_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    // What a run killed inside `create` leaves: a half-written staging file.
    std::fs::write(dir.path().join("plan.journal.creating"), b"SQLite format 3\0 half").unwrap();
    assert!(!path.exists());
    let journal = Journal::create(&path, &meta(), &moves()).expect("created over the leftover");
    assert_eq!(journal.servers().unwrap().len(), 2);
    assert!(!dir.path().join("plan.journal.creating").exists());
    drop(journal);
    assert_eq!(Journal::open(&path).unwrap().servers().unwrap().len(), 2);
}

#[test]
fn values_are_listed_by_prefix_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let mut journal = Journal::create(&path, &meta(), &moves()).unwrap();
    journal.set_value("key-copy/r1/a", "a").unwrap();
    journal.set_value("key-copy/r2/b", "b").unwrap();
    journal.set_value("key-copy/r1/c", "1").unwrap();
    journal.remove_value("key-copy/r2/b").unwrap();
    journal.remove_value("missing").unwrap();
    drop(journal);
    let journal = Journal::open(&path).unwrap();
    let open: Vec<_> = journal.values_with_prefix("key-copy/r1/").unwrap();
    assert_eq!(open, [("key-copy/r1/a".into(), "a".into()), ("key-copy/r1/c".into(), "1".into())]);
    assert_eq!(journal.value("key-copy/r2/b").unwrap(), None);
}

#[test]
fn a_converted_server_reopens_with_its_new_move_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    {
        let mut journal = Journal::create(&path, &meta(), &moves()).unwrap();
        let mut plan = journal.servers().unwrap()[1].plan.clone();
        plan.strategy = Strategy::Snapshot;
        journal.convert(&ServerId::from("b"), &plan, &ServerState::new(42)).unwrap();
        let missing = journal.convert(&ServerId::from("nope"), &plan, &ServerState::new(42)).unwrap_err();
        assert!(matches!(missing, Error::UnknownServer { .. }), "{missing}");
    }
    let servers = Journal::open(&path).unwrap().servers().unwrap();
    assert_eq!((servers[1].plan.strategy, &servers[1].state), (Strategy::Snapshot, &ServerState::new(42)));
    assert_eq!(servers[0].plan, moves()[0].0, "the other server is as it was");
}

#[test]
fn a_ledger_writes_beside_the_engine_and_its_records_survive_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    {
        let mut journal = Journal::create(&path, &meta(), &moves()).unwrap();
        let ledger = journal.ledger().unwrap();
        ledger.set_value("key-copy/RegionTwo/alice-key", "{}").unwrap();
        ledger.set_value("key-copy/RegionTwo/bob-key", "{}").unwrap();
        // The engine goes on writing on its own connection meanwhile.
        journal.set_host_disabled(&HostName::from("old-1"), 5).unwrap();
        ledger.remove_value("key-copy/RegionTwo/bob-key").unwrap();
        assert_eq!(journal.value("key-copy/RegionTwo/alice-key").unwrap().as_deref(), Some("{}"));
    }
    let journal = Journal::open(&path).expect("the ledger took no lock of its own");
    let left = journal.values_with_prefix("key-copy/").unwrap();
    assert_eq!(left, vec![("key-copy/RegionTwo/alice-key".to_string(), "{}".to_string())]);
    assert_eq!(journal.hosts().unwrap()["old-1"].disabled_at, Some(5));
}

/// What a version 1 journal held in `meta` for the old hosts and the
/// notes, written as cutover 1 wrote it.
fn v1_journal(path: &std::path::Path) {
    let journal = Journal::create(path, &meta(), &moves()).unwrap();
    drop(journal);
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("DROP TABLE hosts; DROP TABLE host_actions; DROP TABLE notes; PRAGMA user_version = 1;")
        .unwrap();
    let state = serde_json::to_string(&HostState::new(7)).unwrap();
    let hook = r#"{"started_at":9,"end":{"succeeded":false,"status":2,"output":"boom\n","secs":3}}"#;
    for (key, value) in [
        ("host/old-1/state", state.as_str()),
        ("host/old-1/hook", hook),
        ("host/old-1/disabled", "5"),
        ("host/old-2/disabled", "6"),
        ("host/old-2/enabled-for-rebuild", "8"),
        ("server/a", r#"{"new_id":"n-a","observed":1.5,"acted":2.0}"#),
        ("key-copy/RegionTwo/k", "{}"),
    ] {
        conn.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", rusqlite::params![key, value]).unwrap();
    }
}

fn assert_v1_records(journal: &Journal) {
    let hosts = journal.hosts().unwrap();
    assert_eq!(hosts["old-1"].state, Some(HostState::new(7)));
    let hook = hosts["old-1"].hook.clone().unwrap();
    assert_eq!((hook.started_at, hook.end.unwrap().describe()), (9, "exited 2: boom".to_string()));
    assert_eq!((hosts["old-1"].disabled_at, hosts["old-1"].enabled_for_rebuild_at), (Some(5), None));
    assert_eq!((hosts["old-2"].disabled_at, hosts["old-2"].enabled_for_rebuild_at), (Some(6), Some(8)));
    assert_eq!(hosts["old-2"].state, None);
    let notes = journal.notes().unwrap();
    assert_eq!(notes["a"], Notes { new_id: Some("n-a".into()), observed: 1.5, acted: 2.0 });
    assert!(!notes.contains_key("b"));
}

#[test]
fn a_version_1_journal_is_read_as_it_is_and_migrated_when_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.journal");
    v1_journal(&path);
    // `cutover status` reads it as it is, without changing it.
    let reader = Journal::open_read_only(&path).unwrap();
    assert_v1_records(&reader);
    assert_eq!(reader.host_actions(None).unwrap(), vec![]);
    drop(reader);
    let version = |p: &std::path::Path| -> i64 {
        rusqlite::Connection::open(p).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap()
    };
    assert_eq!(version(&path), 1);
    // A run resuming it migrates it, once, keeping every record.
    let mut journal = Journal::open(&path).unwrap();
    assert_eq!(version(&path), 2);
    assert_v1_records(&journal);
    assert_eq!(journal.values_with_prefix("host/").unwrap(), vec![], "moved out of meta");
    assert_eq!(journal.value("key-copy/RegionTwo/k").unwrap().as_deref(), Some("{}"), "the driver's records stay");
    journal.set_host_enabled_for_rebuild(&HostName::from("old-2"), None).unwrap();
    drop(journal);
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.hosts().unwrap()["old-2"].enabled_for_rebuild_at, None);
    assert_eq!(journal.servers().unwrap().len(), 2);
}

#[test]
fn a_version_1_record_that_cannot_be_carried_over_leaves_the_journal_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.journal");
    v1_journal(&path);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO meta (key, value) VALUES ('host/old-3/disabled', 'soon')", []).unwrap();
    drop(conn);
    let err = Journal::open(&path).err().expect("refused");
    assert!(err.to_string().contains("host/old-3/disabled"), "{err}");
    let reader = Journal::open_read_only(&path).unwrap();
    assert_eq!(reader.value("host/old-1/disabled").unwrap().as_deref(), Some("5"), "nothing moved");
}

#[test]
fn hosts_notes_and_host_actions_reopen_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let disable = HostAction::DisableService { host: "old-1".into(), reason: "cutover".into() };
    let delete = HostAction::DeleteOldService { host: "old-1".into() };
    {
        let mut journal = Journal::create(&path, &meta(), &moves()).unwrap();
        journal.save_host_state(&HostName::from("old-1"), &HostState::new(3)).unwrap();
        journal.set_host_disabled(&HostName::from("old-1"), 4).unwrap();
        journal.save_hook(&HostName::from("old-1"), &HookRecord { started_at: 5, end: None }).unwrap();
        journal.set_host_enabled_for_rebuild(&HostName::from("old-2"), Some(6)).unwrap();
        let seq = journal.intend_host(&HostName::from("old-1"), &disable).unwrap();
        journal.host_outcome(seq, Err("503".into())).unwrap();
        journal.intend_host(&HostName::from("old-1"), &delete).unwrap(); // the run stops here
        journal.save_notes(&ServerId::from("b"), &Notes { new_id: None, observed: 0.5, acted: 1.0 }).unwrap();
        assert!(journal.host_outcome(99, Ok(())).is_err());
    }
    let journal = Journal::open(&path).unwrap();
    let loaded = journal.load().unwrap();
    let old1 = &loaded.hosts["old-1"];
    assert_eq!(old1.state, Some(HostState::new(3)), "the state survives the later columns' writes");
    assert_eq!((old1.disabled_at, old1.hook.as_ref().map(|h| h.started_at)), (Some(4), Some(5)));
    assert_eq!(loaded.hosts["old-2"].enabled_for_rebuild_at, Some(6));
    let actions: Vec<_> = loaded.host_actions.iter().map(|a| (a.action.clone(), a.outcome.clone())).collect();
    assert_eq!(actions, vec![(disable, Some(Err("503".to_string()))), (delete, None)]);
    assert_eq!(loaded.notes["b"].acted, 1.0);
    assert_eq!(loaded.servers.len(), 2);
}

#[test]
fn a_record_that_does_not_parse_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    drop(Journal::create(&path, &meta(), &moves()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO hosts (name, state) VALUES ('old-7', '{\"stage\": 12}')", []).unwrap();
    conn.execute("INSERT INTO notes (source, notes) VALUES ('a', 'not json')", []).unwrap();
    drop(conn);
    let journal = Journal::open(&path).unwrap();
    let err = journal.hosts().unwrap_err().to_string();
    assert!(err.contains("host old-7: its state"), "{err}");
    let err = journal.load().unwrap_err().to_string();
    assert!(err.contains("host old-7"), "{err}");
    let err = journal.notes().unwrap_err().to_string();
    assert!(err.contains("server a: its notes"), "{err}");
}

#[test]
fn a_refused_commit_writes_nothing_and_the_journal_reopens_as_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let stop = Action::StopServer { side: Side::Old, server: "a".into() };
    {
        let mut journal = Journal::create(&path, &meta(), &moves()).unwrap();
        let mut commits = 0;
        journal
            .refuse_commits_when(move || {
                commits += 1;
                commits > 2
            })
            .unwrap();
        let seq = journal.intend(&ServerId::from("a"), &stop).unwrap();
        journal.save_host_state(&HostName::from("old-1"), &HostState::new(1)).unwrap();
        assert!(journal.outcome(seq, Ok(())).is_err(), "the third write is refused");
        assert!(journal.save_notes(&ServerId::from("a"), &Notes::default()).is_err(), "and every one after it");
    }
    let journal = Journal::open(&path).unwrap();
    let loaded = journal.load().unwrap();
    assert_eq!(loaded.actions.len(), 1);
    assert_eq!(loaded.actions[0].outcome, None, "the refused outcome is not there");
    assert_eq!(loaded.hosts["old-1"].state, Some(HostState::new(1)));
    assert!(loaded.notes.is_empty());
}
