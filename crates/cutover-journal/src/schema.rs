/*!
The journal's tables. `meta` holds what the journal belongs to (and the
driver's own records), `servers` one row per planned move with its current
state, `actions` every server action as an intent (outcome columns NULL)
later completed with its outcome; `hosts`, `host_actions` and `notes` the
same for the old hosts and the engine's notes per server. The schema
version lives in SQLite's `user_version`; each later version adds a
migration here and never rewrites an older one.
*/

use rusqlite::{params, Connection, Transaction};

/// The schema this cutover writes.
pub const VERSION: i64 = 2;

const V1: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE servers (
    source TEXT PRIMARY KEY,
    plan   TEXT NOT NULL,
    record TEXT NOT NULL,
    state  TEXT NOT NULL
);
CREATE TABLE actions (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL REFERENCES servers(source),
    action TEXT NOT NULL,
    ok     INTEGER,
    error  TEXT
);
CREATE INDEX actions_by_source ON actions(source, seq);
";

/// Version 2: the old hosts and the engine's notes in tables of their own
/// (version 1 kept them as JSON under `host/...` and `server/...` keys of
/// `meta`), and host actions journaled as server actions are.
const V2: &str = "
CREATE TABLE hosts (
    name                   TEXT PRIMARY KEY,
    state                  TEXT,
    hook                   TEXT,
    disabled_at            INTEGER,
    enabled_for_rebuild_at INTEGER
);
CREATE TABLE host_actions (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    host   TEXT NOT NULL,
    action TEXT NOT NULL,
    ok     INTEGER,
    error  TEXT
);
CREATE INDEX host_actions_by_host ON host_actions(host, seq);
CREATE TABLE notes (
    source TEXT PRIMARY KEY REFERENCES servers(source),
    notes  TEXT NOT NULL
);
";

pub enum SchemaError {
    Sql(rusqlite::Error),
    NotAJournal,
    TooNew(i64),
    /// A version 1 row that cannot be carried over: its key and why.
    Unmigratable(String),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sql(e)
    }
}

pub fn create(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(V1)?;
    tx.execute_batch(V2)?;
    tx.pragma_update(None, "user_version", VERSION)
}

/// The version of the journal behind `conn`, checked to be one this
/// cutover can read.
pub fn check(conn: &Connection) -> Result<i64, SchemaError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match version {
        0 => Err(SchemaError::NotAJournal),
        v if v > VERSION => Err(SchemaError::TooNew(v)),
        v => Ok(v),
    }
}

/// Brings a journal up to [`VERSION`], in one transaction: a run killed
/// meanwhile leaves it as it was.
pub fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    if check(conn)? == VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Checked again inside the transaction: another process may have
    // migrated it between the check and the lock.
    if check(&tx)? == 1 {
        tx.execute_batch(V2)?;
        move_v1_records(&tx)?;
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

/// A version 1 journal's engine records, as they are in `meta`: per host
/// `host/NAME/state`, `host/NAME/hook` (JSON), `host/NAME/disabled` and
/// `host/NAME/enabled-for-rebuild` (Unix seconds); per server
/// `server/SOURCE` (the notes' JSON).
pub fn v1_records(conn: &Connection) -> Result<Vec<V1Record>, SchemaError> {
    let mut stmt = conn.prepare(
        "SELECT key, value FROM meta WHERE substr(key, 1, 5) = 'host/' OR substr(key, 1, 7) = 'server/' ORDER BY key",
    )?;
    let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
    let mut records = Vec::new();
    for row in rows {
        let (key, value) = row?;
        if let Some(source) = key.strip_prefix("server/") {
            records.push(V1Record::Notes { source: source.to_string(), notes: value });
            continue;
        }
        let rest = key.strip_prefix("host/").unwrap_or_default();
        let Some((host, field)) = rest.rsplit_once('/') else {
            return Err(SchemaError::Unmigratable(format!("{key}: not a key cutover wrote")));
        };
        let seconds = || value.parse::<i64>().map_err(|_| SchemaError::Unmigratable(format!("{key}: {value:?}")));
        let column = match field {
            "state" => V1Column::State(value.clone()),
            "hook" => V1Column::Hook(value.clone()),
            "disabled" => V1Column::DisabledAt(seconds()?),
            "enabled-for-rebuild" => V1Column::EnabledForRebuildAt(seconds()?),
            _ => return Err(SchemaError::Unmigratable(format!("{key}: not a key cutover wrote"))),
        };
        records.push(V1Record::Host { host: host.to_string(), column });
    }
    Ok(records)
}

/// One engine record of a version 1 journal.
pub enum V1Record {
    Notes { source: String, notes: String },
    Host { host: String, column: V1Column },
}

pub enum V1Column {
    State(String),
    Hook(String),
    DisabledAt(i64),
    EnabledForRebuildAt(i64),
}

fn move_v1_records(tx: &Transaction) -> Result<(), SchemaError> {
    for record in v1_records(tx)? {
        match record {
            V1Record::Notes { source, notes } => {
                tx.execute("INSERT INTO notes (source, notes) VALUES (?1, ?2)", params![source, notes])?;
            }
            V1Record::Host { host, column } => {
                tx.execute("INSERT OR IGNORE INTO hosts (name) VALUES (?1)", params![host])?;
                match column {
                    V1Column::State(v) => tx.execute("UPDATE hosts SET state = ?2 WHERE name = ?1", params![host, v]),
                    V1Column::Hook(v) => tx.execute("UPDATE hosts SET hook = ?2 WHERE name = ?1", params![host, v]),
                    V1Column::DisabledAt(at) => {
                        tx.execute("UPDATE hosts SET disabled_at = ?2 WHERE name = ?1", params![host, at])
                    }
                    V1Column::EnabledForRebuildAt(at) => {
                        tx.execute("UPDATE hosts SET enabled_for_rebuild_at = ?2 WHERE name = ?1", params![host, at])
                    }
                }?;
            }
        }
    }
    tx.execute("DELETE FROM meta WHERE substr(key, 1, 5) = 'host/' OR substr(key, 1, 7) = 'server/'", [])?;
    Ok(())
}
