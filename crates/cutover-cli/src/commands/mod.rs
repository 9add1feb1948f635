/*!
One module per subcommand; [`run`] dispatches.
*/

mod env;
mod sim;

use crate::cli::{Cli, Command};

/// Bad input from the user (flags, files): exit status 2, nothing changed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Sim(args) => sim::run(args),
        Command::Env { command } => env::run(command),
    }
}
