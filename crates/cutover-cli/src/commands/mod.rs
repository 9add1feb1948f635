/*!
One module per subcommand; [`run`] builds the [`Ctx`] every command gets
(checked [`Settings`] and the [`Printer`]) and dispatches.

A new command: a variant in `cli::Command`, a module here with
`pub fn run(args, ctx: &Ctx) -> anyhow::Result<()>`, a match arm below. It
prints data only through `ctx.out` (see `crate::output`), asks
`ctx.settings.regions()?` when it needs both regions, and returns
[`InputError`] for bad input (exit 2), [`ChecksFailed`] when checks failed
(exit 3), anything else for a failure (exit 1).
*/

mod cleanup;
mod config;
mod demo;
mod env;
#[cfg(test)]
mod fuzz;
mod plan;
mod plan_file;
mod preflight;
mod report;
mod retire;
mod rollback;
mod run;
mod sim;
mod status;
mod sync;
mod upgrade;

use crate::cli::{Cli, Command};
use crate::output::Printer;
use crate::settings::Settings;

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

pub use cleanup::CleanupIncomplete;
pub use rollback::NotAllBack;
/// Retiring the old Nova was refused: servers or compute hosts remain in
/// the old region (the message names them): exit status 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RetireRefused(pub String);

/// What every command gets: settings checked before any cloud call, and
/// the printer of `-f` / `-c`.
pub struct Ctx {
    pub settings: Settings,
    pub out: Printer,
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // The demo makes its own settings and cloud: a cutover.toml here is not its business.
    let ctx = || anyhow::Ok(Ctx { settings: Settings::load(&cli.cloud)?, out: Printer::new(&cli.output) });
    match cli.command {
        Command::Demo(args) => demo::run(args, &cli.output),
        Command::Sim(args) => {
            ctx()?;
            sim::run(args)
        }
        Command::Config { command } => config::run(command, &ctx()?),
        Command::Sync(args) => sync::run(args, &ctx()?),
        Command::Env { command } => env::run(command, &ctx()?),
        Command::Preflight => preflight::run(&ctx()?),
        Command::Plan(args) => plan::run(args, &ctx()?),
        Command::Run(args) => run::run(args, &ctx()?),
        Command::Status(args) => status::run(args, &ctx()?),
        Command::Rollback(args) => rollback::run(args, &ctx()?),
        Command::Cleanup(args) => cleanup::run(args, &ctx()?),
        Command::Retire(args) => retire::run(args, &ctx()?),
        Command::Upgrade(args) => upgrade::run(args, &ctx()?),
    }
}
