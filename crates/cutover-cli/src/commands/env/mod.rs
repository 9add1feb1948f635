/*!
`cutover env`: setting up the new Nova environment (design phase 2):
`render` its nova.conf, `register` its region in Keystone, `verify` that
its services run.
*/

mod register;
mod render;
pub(super) mod verify;

use crate::cli::EnvCommand;
use crate::ctx::Ctx;

pub fn run(command: EnvCommand, ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        EnvCommand::Render(args) => render::run(args),
        EnvCommand::Register(args) => register::run(args, ctx),
        EnvCommand::Verify(args) => verify::run(args, ctx),
    }
}
