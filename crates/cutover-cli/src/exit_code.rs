/*!
Exit statuses, documented in the README and in `cutover --help` so scripts
can rely on them.
*/

use crate::errors::{
    ChecksFailed, CleanupIncomplete, HostsStopped, InputError, NotAllBack, NotAllMoved, RetireRefused, SyncIncomplete,
};

/// Success.
pub const OK: u8 = 0;
/// The command failed while running (a cloud error, an I/O error).
pub const FAILURE: u8 = 1;
/// Bad input: flags, settings file, scenario; nothing was changed. (clap
/// uses 2 for usage errors too.)
pub const USAGE: u8 = 2;
/// Checks ran and at least one failed (preflight, env verify), sync
/// found resources it cannot make equal, a run left servers rolled back
/// or failed, a rollback left servers out of the old region, a cleanup
/// left resources, or retire found servers or hosts left in the old
/// region: the report on stdout says which.
pub const CHECKS_FAILED: u8 = 3;

/// The `--help` epilogue; keep it in step with the README's "Exit statuses".
pub const HELP: &str = "\
Exit statuses:
  0  success
  1  the command failed while running (a cloud or I/O error; a cloud
     that does not answer is 1 too): try again
  2  bad input (flags, settings file, scenario); nothing was changed
  3  checks ran and at least one failed (preflight, env verify, plan
     --check, plan's capacity), sync left resources that differ and
     cutover cannot fix, run ended with servers rolled back, failed
     or held or an old host stopped short of the new region,
     rollback with servers not back in the old region,
     cleanup with resources it did not delete, or retire found servers
     or unmoved hosts in the old region

Settings: a flag wins over its environment variable, which wins over
cutover.toml (--config, CUTOVER_CONFIG, or ./cutover.toml), which wins over
the defaults. `cutover config show` prints what is in force.";

/// Picks the exit status for an error.
pub fn of(err: &anyhow::Error) -> u8 {
    if telling(err).any(|e| {
        e.downcast_ref::<InputError>().is_some() || is_bad_cloud_input(e) || is_refused_run(e) || is_bad_step_input(e)
    }) {
        USAGE
    } else if telling(err).any(|e| {
        e.downcast_ref::<ChecksFailed>().is_some()
            || e.downcast_ref::<SyncIncomplete>().is_some()
            || e.downcast_ref::<NotAllMoved>().is_some()
            || e.downcast_ref::<NotAllBack>().is_some()
            || e.downcast_ref::<CleanupIncomplete>().is_some()
            || e.downcast_ref::<RetireRefused>().is_some()
            || e.downcast_ref::<HostsStopped>().is_some()
    }) {
        CHECKS_FAILED
    } else {
        FAILURE
    }
}

/// The causes that tell the kind of failure: those down to a failed call
/// of the engine's. The cloud error under it is the run's failure, after
/// changes were made, even one that would be bad input before a run (a
/// password changed in the middle of it).
fn telling(err: &anyhow::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    err.chain().take_while(|e| e.downcast_ref::<cutover_engine::DriverError>().is_none())
}

/// The cloud client's errors that are the user's input, not the cloud
/// failing: the cloud configuration, the credentials, a region name.
fn is_bad_cloud_input(err: &(dyn std::error::Error + 'static)) -> bool {
    use cutover_cloud::Error;
    err.downcast_ref::<cutover_cloud::ConfigError>().is_some()
        || matches!(
            err.downcast_ref::<Error>(),
            Some(Error::Config(_) | Error::Auth { .. } | Error::UnknownRegion { .. })
        )
}

/// A procedure step's input the operator must fix.
fn is_bad_step_input(err: &(dyn std::error::Error + 'static)) -> bool {
    err.downcast_ref::<cutover_procedure::Error>().is_some_and(cutover_procedure::Error::is_input)
}

/// A run refused before it changed anything: a plan the engine cannot
/// apply, a journal of another plan, a journal another run holds.
fn is_refused_run(err: &(dyn std::error::Error + 'static)) -> bool {
    err.downcast_ref::<cutover_engine::Error>().is_some_and(cutover_engine::Error::is_refusal)
}

#[cfg(test)]
mod tests {
    use cutover_engine::DriverError;

    use super::*;

    #[test]
    fn a_cloud_refusal_during_a_run_is_a_failure_not_bad_input() {
        let auth = || cutover_cloud::Error::Auth {
            cloud: "prod".into(),
            region: "RegionOne".into(),
            reason: "401 Unauthorized".into(),
        };
        assert_eq!(of(&anyhow::Error::new(auth())), USAGE);
        let failed = DriverError::temporary(auth().to_string()).caused_by(auth());
        let err = cutover_engine::Error::ObserveFailed { attempts: 3, source: failed };
        assert_eq!(of(&anyhow::Error::new(err)), FAILURE);
    }
}
