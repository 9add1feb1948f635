/*!
What can stop a run, each variant naming the step that failed. A refusal
([`Error::is_refusal`]) happens before anything is changed: a bad plan, a
journal of another plan, a journal in use.
*/

use std::path::PathBuf;

use crate::driver::DriverError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan breaks a rule the engine relies on.
    #[error("the plan is not valid: {0}")]
    InvalidPlan(String),
    /// The journal was started from another plan or for other clouds.
    #[error("journal {path} belongs to {found}, not to this plan ({wanted}); give another --journal or the plan it was started from")]
    OtherPlan { path: PathBuf, found: String, wanted: String },
    #[error(transparent)]
    Journal(#[from] cutover_journal::Error),
    /// A server asked for (by `cutover rollback`) that the plan does not move.
    #[error("server {0} is not in the plan")]
    NotPlanned(String),
    /// A command that needs a run's journal found none.
    #[error("no journal at {} (has `cutover run` started?)", .0.display())]
    NoJournal(PathBuf),
    /// What cleanup would delete could not be seen whole: nothing is deleted.
    #[error("server {0} was not observed: its left-overs cannot be told")]
    Unobserved(String),
    #[error("disabling scheduling on old host {host} failed: {source}")]
    DisableHostFailed {
        host: String,
        #[source]
        source: DriverError,
    },
    #[error("observing the clouds failed {attempts} times in a row: {source}")]
    ObserveFailed {
        attempts: u32,
        #[source]
        source: DriverError,
    },
}

impl Error {
    /// True when the run was refused before it changed anything.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::InvalidPlan(_)
                | Error::OtherPlan { .. }
                | Error::NotPlanned(_)
                | Error::NoJournal(_)
                | Error::Journal(
                    cutover_journal::Error::Busy { .. }
                        | cutover_journal::Error::Corrupt { .. }
                        | cutover_journal::Error::TooNew { .. }
                )
        )
    }
}
