/*!
The errors commands return that choose an exit status other than 1 (see
[`crate::exit_code`]). A leaf module: commands, settings and output use it,
and it uses none of them.
*/

/// Bad input from the user (flags, files): exit status 2, nothing changed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Checks ran and some failed (the printed report says which): exit status 3.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} checks failed")]
pub struct ChecksFailed {
    pub failed: usize,
    pub total: usize,
}

/// A sync ran and some resources differ in ways cutover cannot fix (the
/// printed report says which): exit status 3.
#[derive(Debug, thiserror::Error)]
#[error("{different} of {total} resources differ and were left as they are")]
pub struct SyncIncomplete {
    pub different: usize,
    pub total: usize,
}

/// A run ended with servers that did not move (rolled back, failed, held;
/// the printed report says which): exit status 3.
#[derive(Debug, thiserror::Error)]
#[error("{not_moved} of {total} servers did not move (see the report)")]
pub struct NotAllMoved {
    pub not_moved: usize,
    pub total: usize,
}

/// Every server moved, but old hosts stopped short of the new region (a
/// hook failed, a host never rejoined; the report says why): exit status
/// 3. The next run takes them up again.
#[derive(Debug, thiserror::Error)]
#[error("old host(s) {} stopped short of the new region (see the report); `cutover run` again retries them", .0.join(", "))]
pub struct HostsStopped(pub Vec<String>);

/// A rollback ended with servers not in the old region (the printed report
/// says which and why): exit status 3.
#[derive(Debug, thiserror::Error)]
#[error("{not_back} of {total} servers are not back in the old region (see the report)")]
pub struct NotAllBack {
    pub not_back: usize,
    pub total: usize,
}

/// A cleanup left resources in place (the printed rows say which and why):
/// exit status 3.
#[derive(Debug, thiserror::Error)]
#[error("{kept} of {total} resources were not deleted (see the report)")]
pub struct CleanupIncomplete {
    pub kept: usize,
    pub total: usize,
}

/// Retiring the old Nova was refused: servers or compute hosts remain in
/// the old region (the message names them): exit status 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RetireRefused(pub String);
