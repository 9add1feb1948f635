/*!
The journal's tables. `meta` holds what the journal belongs to, `servers`
one row per planned move with its current state, `actions` every action as
an intent (outcome columns NULL) later completed with its outcome. The
schema version lives in SQLite's `user_version`; a later cutover adds
migrations here and never rewrites older ones.
*/

use rusqlite::Connection;

/// The schema this cutover writes.
pub const VERSION: i64 = 1;

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

pub enum SchemaError {
    Sql(rusqlite::Error),
    NotAJournal,
    TooNew(i64),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sql(e)
    }
}

pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(V1)?;
    conn.pragma_update(None, "user_version", VERSION)
}

/// Checks that `conn` is a journal this cutover can read.
pub fn check(conn: &Connection) -> Result<(), SchemaError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match version {
        0 => Err(SchemaError::NotAJournal),
        v if v > VERSION => Err(SchemaError::TooNew(v)),
        _ => Ok(()),
    }
}
