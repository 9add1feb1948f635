/*!
Exit statuses, documented in the README so scripts can rely on them.
*/

/// Success.
pub const OK: u8 = 0;
/// The command failed while running (a cloud error, an I/O error).
pub const FAILURE: u8 = 1;
/// Bad input: flags, files, scenario; nothing was changed. (clap uses 2
/// for usage errors too.)
pub const USAGE: u8 = 2;

/// Picks the exit status for an error.
pub fn of(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.downcast_ref::<crate::commands::InputError>().is_some()) {
        USAGE
    } else {
        FAILURE
    }
}
