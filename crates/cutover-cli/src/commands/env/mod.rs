/*!
`cutover env`: setting up the new Nova environment (design phase 2):
`render` its nova.conf, `register` its region in Keystone, `verify` that
its services run.
*/

mod register;
mod render;
mod verify;

use anyhow::Context as _;
use cutover_cloud::{Error, Profile, RegionClient, RetryPolicy};

use super::{Ctx, InputError};
use crate::cli::EnvCommand;

pub fn run(command: EnvCommand, ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        EnvCommand::Render(args) => render::run(args),
        EnvCommand::Register(args) => register::run(args, ctx),
        EnvCommand::Verify(args) => verify::run(args, ctx),
    }
}

/// A connection to `region` of the settings' cloud. What the operator
/// must fix (the cloud configuration, the credentials, the region's name)
/// is an [`InputError`]; `hint` is added to an unknown region's message.
pub(super) async fn connect(ctx: &Ctx, region: &str, hint: &str) -> anyhow::Result<RegionClient> {
    let profile = Profile::resolve(ctx.settings.cloud()).map_err(|e| InputError(e.to_string()))?;
    match RegionClient::connect(&profile, region, RetryPolicy::default()).await {
        Ok(client) => Ok(client),
        Err(e @ Error::UnknownRegion { .. }) => Err(InputError(format!("{e}{hint}")).into()),
        Err(e @ (Error::Config(_) | Error::Auth { .. })) => Err(InputError(e.to_string()).into()),
        Err(e) => Err(e.into()),
    }
}

/// The runtime the cloud calls of one command run on.
pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")
}

/// A line on stderr for the operator, unless `-q` asked for errors only.
pub(super) fn notice(message: &str) {
    if tracing::level_filters::LevelFilter::current() >= tracing::Level::WARN {
        eprintln!("cutover: {message}");
    }
}
