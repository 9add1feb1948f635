/*!
cutover's journal: one SQLite file holding everything a run needs to go on
after `kill -9` or a power loss — the plan's moves, each server's state, and
every action as an intent written before it is sent and an outcome written
after. `docs/journal.md` states the durability rules this crate keeps.

Layout:
- [`Journal`]: open (locked, one run at a time), record, load.
- [`Meta`]: what the journal belongs to (migration, plan, clouds).
- [`Ledger`]: the driver's own records in `meta`, written in the middle of
  an action while the engine holds the journal.
- `records`: the engine's records beside the servers' states (the old
  hosts, the hooks, the notes), typed; `hosts`, their tables read and
  written (and read from a schema 1 journal where it kept them).
- `schema`: the tables and their migrations.
- [`Error`]: what can go wrong, naming the file.
*/

mod error;
mod hosts;
mod records;
mod schema;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use std::collections::BTreeMap;

use cutover_core::id::{HostName, RegionName, ServerId};
use cutover_core::machine::host::HostAction;
use cutover_core::machine::{Action, ServerMove, ServerState};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

pub use error::{Error, Result};
pub use records::{last_line, HookEndRecord, HookRecord, HostActionEntry, HostEntry, Notes};

/// What a journal belongs to: a second `cutover run` with another plan or
/// other clouds is refused rather than mixed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The migration id, carried by every resource cutover creates.
    pub migration: String,
    /// A digest of the plan file the journal was started from.
    pub plan_digest: String,
    pub cloud: String,
    pub auth_url: String,
    pub old_region: RegionName,
    pub new_region: RegionName,
    /// When the journal was created (RFC 3339, from the caller's clock).
    pub created_at: String,
}

/// One server as the journal knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEntry {
    pub plan: ServerMove,
    /// Everything needed to rebuild the server (the plan's record of it).
    pub record: serde_json::Value,
    pub state: ServerState,
}

/// An action written before it was sent, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionEntry {
    pub seq: i64,
    pub source: ServerId,
    pub action: Action,
    /// `None` while no outcome was written: the run stopped in between, and
    /// the action may or may not have reached the cloud.
    pub outcome: Option<std::result::Result<(), String>>,
}

/// An open journal. Holding it holds the lock: no other run can open the
/// same file until it is dropped (or its process dies).
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    meta: Meta,
    /// The schema version of the file: [`schema::VERSION`] once opened to
    /// write (it is migrated then), maybe older when opened read-only.
    version: i64,
    /// `None` for a read-only journal, which takes no lock.
    _lock: Option<File>,
}

impl Journal {
    /// Creates a new journal at `path` for `meta` and the plan's moves.
    /// Refuses an existing file: resuming goes through [`Journal::open`].
    pub fn create(path: &Path, meta: &Meta, moves: &[(ServerMove, serde_json::Value, ServerState)]) -> Result<Journal> {
        let lock = lock(path)?;
        if path.exists() {
            return Err(Error::Exists { path: path.to_path_buf() });
        }
        // Written whole beside its final name, then renamed into place: a
        // run killed while creating leaves no half-made journal to refuse.
        let staging = staging_path(path);
        remove_sqlite_files(&staging)?;
        {
            let mut conn = connect(&staging)?;
            let tx = conn.transaction().map_err(|e| Error::sql(&staging, e))?;
            schema::create(&tx).map_err(|e| Error::sql(&staging, e))?;
            tx.execute("INSERT INTO meta (key, value) VALUES ('meta', ?1)", params![json(meta)?])
                .map_err(|e| Error::sql(&staging, e))?;
            for (plan, record, state) in moves {
                tx.execute(
                    "INSERT INTO servers (source, plan, record, state) VALUES (?1, ?2, ?3, ?4)",
                    params![plan.source.as_str(), json(plan)?, record.to_string(), json(state)?],
                )
                .map_err(|e| Error::sql(&staging, e))?;
            }
            tx.commit().map_err(|e| Error::sql(&staging, e))?;
            // Folds the WAL into the file, so the rename moves everything.
            // The file stays in WAL mode: switching it after the rename
            // would write its header through a rollback journal, and a run
            // killed then would leave a hot journal that no read-only
            // reader (`cutover status`) can roll back.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0))
                .map_err(|e| Error::sql(&staging, e))
                .and_then(|busy| match busy {
                    0 => Ok(()),
                    _ => Err(Error::Corrupt { path: staging.clone(), reason: "its WAL could not be folded in".into() }),
                })?;
        }
        std::fs::rename(&staging, path).map_err(|e| Error::Io { path: path.to_path_buf(), source: e })?;
        sync_parent(path)?;
        let conn = connect(path)?;
        Ok(Journal { conn, path: path.to_path_buf(), meta: meta.clone(), version: schema::VERSION, _lock: Some(lock) })
    }

    /// Opens an existing journal to resume it.
    pub fn open(path: &Path) -> Result<Journal> {
        if !path.exists() {
            return Err(Error::Missing { path: path.to_path_buf() });
        }
        let lock = lock(path)?;
        let mut conn = connect(path)?;
        let (meta, _) = read_meta(path, &conn)?;
        schema::migrate(&mut conn).map_err(|e| Error::from_schema(path, e))?;
        Ok(Journal { conn, path: path.to_path_buf(), meta, version: schema::VERSION, _lock: Some(lock) })
    }

    /// Opens a journal to read it, without the lock, so that `cutover
    /// status` works while a run holds it. Every write through it fails:
    /// the connection itself is read-only. What it reads is the last
    /// committed state (WAL readers see whole transactions only).
    pub fn open_read_only(path: &Path) -> Result<Journal> {
        if !path.exists() {
            return Err(Error::Missing { path: path.to_path_buf() });
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::sql(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| Error::sql(path, e))?;
        let (meta, version) = read_meta(path, &conn)?;
        Ok(Journal { conn, path: path.to_path_buf(), meta, version, _lock: None })
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// A second connection to this journal for [`Ledger`] records. It
    /// takes no lock of its own: it is made from, and lives no longer than,
    /// the journal whose lock the run holds.
    pub fn ledger(&self) -> Result<Ledger> {
        let conn = connect(&self.path)?;
        let journal =
            Journal { conn, path: self.path.clone(), meta: self.meta.clone(), version: self.version, _lock: None };
        Ok(Ledger { journal: Mutex::new(journal) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every server, in the order the plan listed them.
    pub fn servers(&self) -> Result<Vec<ServerEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, plan, record, state FROM servers ORDER BY rowid")
            .map_err(|e| Error::sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| Error::sql(&self.path, e))?;
        let mut servers = Vec::new();
        for row in rows {
            let (source, plan, record, state) = row.map_err(|e| Error::sql(&self.path, e))?;
            servers.push(ServerEntry {
                plan: self.parse(&format!("server {source}: its move"), &plan)?,
                record: self.parse(&format!("server {source}: its record"), &record)?,
                state: self.parse(&format!("server {source}: its state"), &state)?,
            });
        }
        Ok(servers)
    }

    /// Writes that `action` is about to be sent for server `source`, durably,
    /// before it is; returns its sequence number for [`Journal::outcome`].
    pub fn intend(&mut self, source: &ServerId, action: &Action) -> Result<i64> {
        self.insert_intent("INSERT INTO actions (source, action) VALUES (?1, ?2)", source, &json(action)?)
    }

    /// Writes what came of the action `seq`.
    pub fn outcome(&mut self, seq: i64, outcome: std::result::Result<(), String>) -> Result<()> {
        self.complete("UPDATE actions SET ok = ?2, error = ?3 WHERE seq = ?1", seq, outcome)
    }

    /// Writes that `action` is about to be carried out for old host
    /// `host`, before it is; returns its number for [`Journal::host_outcome`].
    pub fn intend_host(&mut self, host: &HostName, action: &HostAction) -> Result<i64> {
        self.insert_intent("INSERT INTO host_actions (host, action) VALUES (?1, ?2)", host, &json(action)?)
    }

    /// Writes what came of the host action `seq`.
    pub fn host_outcome(&mut self, seq: i64, outcome: std::result::Result<(), String>) -> Result<()> {
        self.complete("UPDATE host_actions SET ok = ?2, error = ?3 WHERE seq = ?1", seq, outcome)
    }

    fn insert_intent(&mut self, sql: &str, subject: &str, action: &str) -> Result<i64> {
        self.conn.execute(sql, params![subject, action]).map_err(|e| Error::sql(&self.path, e))?;
        Ok(self.conn.last_insert_rowid())
    }

    fn complete(&mut self, sql: &str, seq: i64, outcome: std::result::Result<(), String>) -> Result<()> {
        let (ok, error) = match outcome {
            Ok(()) => (true, None),
            Err(e) => (false, Some(e)),
        };
        let changed = self.conn.execute(sql, params![seq, ok, error]).map_err(|e| Error::sql(&self.path, e))?;
        if changed != 1 {
            return Err(Error::Corrupt { path: self.path.clone(), reason: format!("no action {seq}") });
        }
        Ok(())
    }

    /// Saves a server's new state, with what changed, in one transaction.
    pub fn save(&mut self, source: &ServerId, state: &ServerState) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| Error::sql(&self.path, e))?;
        let changed = tx
            .execute("UPDATE servers SET state = ?2 WHERE source = ?1", params![source.as_str(), json(state)?])
            .map_err(|e| Error::sql(&self.path, e))?;
        if changed != 1 {
            return Err(Error::UnknownServer { path: self.path.clone(), server: source.to_string() });
        }
        tx.commit().map_err(|e| Error::sql(&self.path, e))
    }

    /// Gives `source` another move and state at once: a `wait` server
    /// turned into a move when the deadline passed (see `docs/journal.md`).
    pub fn convert(&mut self, source: &ServerId, plan: &ServerMove, state: &ServerState) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| Error::sql(&self.path, e))?;
        let changed = tx
            .execute(
                "UPDATE servers SET plan = ?2, state = ?3 WHERE source = ?1",
                params![source.as_str(), json(plan)?, json(state)?],
            )
            .map_err(|e| Error::sql(&self.path, e))?;
        if changed != 1 {
            return Err(Error::UnknownServer { path: self.path.clone(), server: source.to_string() });
        }
        tx.commit().map_err(|e| Error::sql(&self.path, e))
    }

    /// The actions of `source` (all servers with `None`), oldest first.
    pub fn actions(&self, source: Option<&ServerId>) -> Result<Vec<ActionEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, source, action, ok, error FROM actions WHERE ?1 IS NULL OR source = ?1 ORDER BY seq")
            .map_err(|e| Error::sql(&self.path, e))?;
        let rows = stmt
            .query_map(params![source.map(ServerId::as_str)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<bool>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(|e| Error::sql(&self.path, e))?;
        let mut actions = Vec::new();
        for row in rows {
            let (seq, source, action, ok, error) = row.map_err(|e| Error::sql(&self.path, e))?;
            let outcome = outcome_of(ok, error);
            let action = self.parse(&format!("action {seq} of server {source}"), &action)?;
            actions.push(ActionEntry { seq, source: source.into(), action, outcome });
        }
        Ok(actions)
    }

    /// Everything a resumed run needs, read at once.
    pub fn load(&self) -> Result<Loaded> {
        Ok(Loaded {
            servers: self.servers()?,
            actions: self.actions(None)?,
            host_actions: self.host_actions(None)?,
            hosts: self.hosts()?,
            notes: self.notes()?,
        })
    }

    /// Puts a layer under the journal's writes, as a storage backend is
    /// put under a database: `refuse` is asked before each write commits,
    /// and `true` refuses it (the write fails, nothing of it lands), as a
    /// process killed right before that commit would leave the file. The
    /// crash tests stop runs at each of their writes with it.
    pub fn refuse_commits_when(&mut self, refuse: impl FnMut() -> bool + Send + 'static) -> Result<()> {
        self.conn.commit_hook(Some(refuse)).map_err(|e| Error::sql(&self.path, e))
    }

    fn execute(&mut self, sql: &str, params: impl rusqlite::Params) -> Result<()> {
        self.conn.execute(sql, params).map(drop).map_err(|e| Error::sql(&self.path, e))
    }

    fn rows(&self, sql: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| Error::sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
            .map_err(|e| Error::sql(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| Error::sql(&self.path, e))
    }

    /// Reads one stored value, e.g. for the run's own bookkeeping.
    pub fn value(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |row| row.get(0))
            .optional()
            .map_err(|e| Error::sql(&self.path, e))
    }

    pub fn set_value(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])
            .map(drop)
            .map_err(|e| Error::sql(&self.path, e))
    }

    /// Removes a stored value (nothing when there is none).
    pub fn remove_value(&mut self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", params![key])
            .map(drop)
            .map_err(|e| Error::sql(&self.path, e))
    }

    /// The stored values whose keys start with `prefix`, in key order.
    pub fn values_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key")
            .map_err(|e| Error::sql(&self.path, e))?;
        let rows = stmt
            .query_map(params![prefix], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
            .map_err(|e| Error::sql(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| Error::sql(&self.path, e))
    }

    /// Parses one stored record; one that does not parse is an error naming
    /// it (`what`), never a fresh start.
    fn parse<T: serde::de::DeserializeOwned>(&self, what: &str, text: &str) -> Result<T> {
        serde_json::from_str(text)
            .map_err(|e| Error::Corrupt { path: self.path.clone(), reason: format!("{what}: {e}") })
    }
}

/// Everything a journal holds for a resumed run ([`Journal::load`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub servers: Vec<ServerEntry>,
    pub actions: Vec<ActionEntry>,
    pub host_actions: Vec<HostActionEntry>,
    pub hosts: BTreeMap<HostName, HostEntry>,
    pub notes: BTreeMap<ServerId, Notes>,
}

/// An action's outcome from its `ok` and `error` columns.
fn outcome_of(ok: Option<bool>, error: Option<String>) -> Option<std::result::Result<(), String>> {
    match ok {
        None => None,
        Some(true) => Some(Ok(())),
        Some(false) => Some(Err(error.unwrap_or_default())),
    }
}

/// Records a driver keeps in the journal's `meta` table while the engine
/// holds the journal (e.g. a key pair copy it is about to create, written
/// before the create so that a run killed in between can find it). Each
/// write is committed before it returns, like the journal's own.
pub struct Ledger {
    journal: Mutex<Journal>,
}

impl Ledger {
    fn with<T>(&self, f: impl FnOnce(&mut Journal) -> Result<T>) -> Result<T> {
        // A panic elsewhere while holding it leaves the connection usable.
        let mut journal = self.journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut journal)
    }

    pub fn value(&self, key: &str) -> Result<Option<String>> {
        self.with(|j| j.value(key))
    }

    pub fn set_value(&self, key: &str, value: &str) -> Result<()> {
        self.with(|j| j.set_value(key, value))
    }

    pub fn remove_value(&self, key: &str) -> Result<()> {
        self.with(|j| j.remove_value(key))
    }

    pub fn values_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        self.with(|j| j.values_with_prefix(prefix))
    }
}

/// Checks the schema and reads what the journal belongs to, and its version.
fn read_meta(path: &Path, conn: &Connection) -> Result<(Meta, i64)> {
    let version = schema::check(conn).map_err(|e| Error::from_schema(path, e))?;
    let meta: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'meta'", [], |row| row.get(0))
        .map_err(|e| Error::sql(path, e))?;
    let meta = serde_json::from_str(&meta)
        .map_err(|e| Error::Corrupt { path: path.to_path_buf(), reason: format!("meta: {e}") })?;
    Ok((meta, version))
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Encode(e.to_string()))
}

/// `<journal>.lock`, held with an exclusive advisory lock for as long as the
/// journal is open. The kernel drops it when the process dies, so a killed
/// run never blocks the resume.
fn lock(path: &Path) -> Result<File> {
    let lock_path = lock_path(path);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::Io { path: lock_path.clone(), source: e })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Busy { path: path.to_path_buf() }),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::Io { path: lock_path, source: e }),
    }
}

/// Where a journal is written before it is renamed to `path`.
fn staging_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".creating");
    path.with_file_name(name)
}

/// Removes an SQLite file and its WAL and shared-memory files, if any.
fn remove_sqlite_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(&name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Io { path: PathBuf::from(name), source: e });
            }
            _ => {}
        }
    }
    Ok(())
}

/// A rename is durable once its directory is synced.
fn sync_parent(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent).and_then(|dir| dir.sync_all()).map_err(|e| Error::Io { path: parent.to_path_buf(), source: e })
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// WAL with `synchronous = FULL`: a committed transaction is on disk
/// before `commit` returns, so it survives a power loss, not only a crash.
fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| Error::sql(path, e))?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| Error::sql(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL").map_err(|e| Error::sql(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| Error::sql(path, e))?;
    Ok(conn)
}

#[cfg(test)]
mod tests;
