/*!
What can go wrong with a journal; every message names the file.
*/

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("journal {path} already exists (to resume it, run again with the same journal)")]
    Exists { path: PathBuf },
    #[error("journal {path} does not exist")]
    Missing { path: PathBuf },
    #[error("journal {path} is in use by another cutover run")]
    Busy { path: PathBuf },
    #[error("journal {path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("journal {path} was written by a newer cutover (schema {found}, this one knows up to {known})")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("journal {path} has no server {server}")]
    UnknownServer { path: PathBuf, server: String },
    #[error("journal {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("journal {path}: {source}")]
    Sql { path: PathBuf, source: rusqlite::Error },
    #[error("cannot encode a journal record: {0}")]
    Encode(String),
}

impl Error {
    pub(crate) fn sql(path: &std::path::Path, source: rusqlite::Error) -> Error {
        // A file that is not SQLite at all is reported as such, not as an
        // SQL error an operator cannot read.
        if let rusqlite::Error::SqliteFailure(e, _) = &source {
            let reason = match e.code {
                rusqlite::ErrorCode::NotADatabase => Some("not a cutover journal (not SQLite)"),
                // A damaged file is the operator's to restore, as a foreign
                // one is: bad input, not a failure that trying again mends.
                rusqlite::ErrorCode::DatabaseCorrupt => Some("damaged: SQLite finds the file malformed"),
                _ => None,
            };
            if let Some(reason) = reason {
                return Error::Corrupt { path: path.to_path_buf(), reason: reason.into() };
            }
        }
        Error::Sql { path: path.to_path_buf(), source }
    }

    pub(crate) fn from_schema(path: &std::path::Path, error: crate::schema::SchemaError) -> Error {
        match error {
            crate::schema::SchemaError::Sql(e) => Error::sql(path, e),
            crate::schema::SchemaError::NotAJournal => {
                Error::Corrupt { path: path.to_path_buf(), reason: "not a cutover journal".into() }
            }
            crate::schema::SchemaError::TooNew(found) => {
                Error::TooNew { path: path.to_path_buf(), found, known: crate::schema::VERSION }
            }
            crate::schema::SchemaError::Unmigratable(what) => {
                Error::Corrupt { path: path.to_path_buf(), reason: format!("cannot carry over {what}") }
            }
        }
    }
}
