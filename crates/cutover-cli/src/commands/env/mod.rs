/*!
`cutover env`: setting up the new Nova environment (design phase 2).
*/

mod render;

use crate::cli::EnvCommand;

pub fn run(command: EnvCommand) -> anyhow::Result<()> {
    match command {
        EnvCommand::Render(args) => render::run(args),
    }
}
