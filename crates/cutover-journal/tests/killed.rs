/*!
A journal whose process is killed (SIGKILL) while it creates or writes the
file: `cutover status` reads it at once, before any resume. A test of its
own (its own process): the writer is this test binary run again, and
spawning it from the unit tests' process could hand their lock files to
the child for an instant.
*/

use cutover_core::id::ServerId;
use cutover_core::machine::{Action, ServerMove, ServerState, Side, Strategy};
use cutover_journal::{Journal, Meta};

#[path = "../src/test_fixtures.rs"]
mod fixtures;
use fixtures::{meta, moves};

/// The child of [`a_journal_killed_while_created_or_written_reads_at_once`]:
/// creates the journal named by `CUTOVER_JOURNAL_WRITER` over and over
/// (with `CUTOVER_JOURNAL_CREATES`), or writes to it, until killed.
#[test]
fn journal_writer_until_killed() {
    let Some(path) = std::env::var_os("CUTOVER_JOURNAL_WRITER") else { return };
    let path = std::path::PathBuf::from(path);
    if std::env::var_os("CUTOVER_JOURNAL_CREATES").is_some() {
        loop {
            let _ = std::fs::remove_file(&path);
            drop(Journal::create(&path, &meta(), &moves()).unwrap());
        }
    }
    let mut journal = match Journal::open(&path) {
        Ok(journal) => journal,
        Err(_) => Journal::create(&path, &meta(), &moves()).unwrap(),
    };
    let stop = Action::StopServer { side: Side::Old, server: "a".into() };
    let mut state = ServerState::new(0);
    loop {
        let seq = journal.intend(&ServerId::from("a"), &stop).unwrap();
        state.since += 1;
        journal.save(&ServerId::from("a"), &state).unwrap();
        journal.outcome(seq, Ok(())).unwrap();
    }
}

/// `cutover status` reads a journal right after `kill -9`, before any
/// resume: whether the run was creating it or writing to it.
#[test]
fn a_journal_killed_while_created_or_written_reads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.journal");
    let exe = std::env::current_exe().unwrap();
    for kill in 0..40u64 {
        let creating = kill % 2 == 0;
        let mut writer = std::process::Command::new(&exe)
            .args(["--exact", "journal_writer_until_killed", "--nocapture", "--test-threads", "1"])
            .env("CUTOVER_JOURNAL_WRITER", &path)
            .envs(creating.then_some(("CUTOVER_JOURNAL_CREATES", "1")))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(40 + kill * 7 % 50));
        writer.kill().unwrap();
        writer.wait().unwrap();
        if !path.exists() {
            continue;
        }
        let read = Journal::open_read_only(&path).unwrap_or_else(|e| panic!("kill {kill} (creating: {creating}): {e}"));
        assert_eq!(read.servers().unwrap().len(), 2);
        drop(read);
        if creating {
            std::fs::remove_file(&path).unwrap();
        }
    }
}
