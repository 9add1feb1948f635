//! The journal on disk: create, resume, the lock, intents and outcomes,
//! and refusals of what is not a journal.

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
        let seq = journal.intend("a", &stop).unwrap();
        journal.outcome(seq, Ok(())).unwrap();
        journal.intend("b", &stop).unwrap(); // the run stops before the outcome
        let mut state = ServerState::new(0);
        state.stopped_at = Some(5);
        journal.save("a", &state).unwrap();
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
    assert_eq!(journal.actions(Some("b")).unwrap().len(), 1);
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
    assert!(matches!(journal.save("zzz", &ServerState::new(0)), Err(Error::UnknownServer { .. })));
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
    run.save("b", &state).unwrap();
    let mut reader = Journal::open_read_only(&path).expect("no lock needed");
    assert_eq!(reader.meta(), &meta());
    assert_eq!(reader.servers().unwrap()[1].state.at, 3, "sees what the run committed");
    assert!(reader.save("a", &state).is_err(), "read-only");
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
    journal.set_value("host/old-1/open", "a").unwrap();
    journal.set_value("host/old-2/open", "b").unwrap();
    journal.set_value("host/old-1/disabled", "1").unwrap();
    journal.remove_value("host/old-2/open").unwrap();
    journal.remove_value("missing").unwrap();
    drop(journal);
    let journal = Journal::open(&path).unwrap();
    let open: Vec<_> = journal.values_with_prefix("host/old-1/").unwrap();
    assert_eq!(open, [("host/old-1/disabled".into(), "1".into()), ("host/old-1/open".into(), "a".into())]);
    assert_eq!(journal.value("host/old-2/open").unwrap(), None);
}

#[test]
fn a_converted_server_reopens_with_its_new_move_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    {
        let mut journal = Journal::create(&path, &meta(), &moves()).unwrap();
        let mut plan = journal.servers().unwrap()[1].plan.clone();
        plan.strategy = Strategy::Snapshot;
        journal.convert("b", &plan, &ServerState::new(42)).unwrap();
        let missing = journal.convert("nope", &plan, &ServerState::new(42)).unwrap_err();
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
        journal.set_value("host/old-1/disabled", "5").unwrap();
        ledger.remove_value("key-copy/RegionTwo/bob-key").unwrap();
        assert_eq!(journal.value("key-copy/RegionTwo/alice-key").unwrap().as_deref(), Some("{}"));
    }
    let journal = Journal::open(&path).expect("the ledger took no lock of its own");
    let left = journal.values_with_prefix("key-copy/").unwrap();
    assert_eq!(left, vec![("key-copy/RegionTwo/alice-key".to_string(), "{}".to_string())]);
    assert_eq!(journal.value("host/old-1/disabled").unwrap().as_deref(), Some("5"));
}
