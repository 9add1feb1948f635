/*!
One module per subcommand; [`run`] builds the [`Ctx`] every command gets
(checked [`Settings`], the [`Printer`], the runtime) and dispatches.

A new command: a variant in `cli::Command`, a module here with
`pub fn run(args, ctx: &Ctx) -> anyhow::Result<()>`, a match arm below. It
prints data only through `ctx.out` (see `crate::output`), asks
`ctx.settings.regions()?` when it needs both regions, runs async code with
`ctx.block_on`, and returns `crate::errors::InputError` for bad input (exit
2), `ChecksFailed` when checks failed (exit 3), anything else for a failure
(exit 1). What a command does beyond parsing and printing belongs in a
library crate (`cutover-procedure`, `cutover-engine`).
*/

mod cleanup;
mod config;
#[cfg(feature = "sim")]
mod demo;
mod env;
mod manual;
// Its scenario cases go through `cutover sim`'s parser.
#[cfg(all(test, feature = "sim"))]
mod fuzz;
mod plan;
mod plan_file;
mod preflight;
mod report;
mod retire;
mod rollback;
mod run;
#[cfg(feature = "sim")]
mod sim;
mod status;
mod sync;
mod upgrade;

use crate::cli::{Cli, Command};
use crate::ctx::Ctx;
use crate::output::Printer;
use crate::settings::Settings;

/// Runs the command `cli` names on `runtime`, the process's one.
pub fn run(cli: Cli, runtime: tokio::runtime::Handle) -> anyhow::Result<()> {
    // The demo makes its own settings and cloud: a cutover.toml here is not its business.
    let ctx = || {
        anyhow::Ok(Ctx {
            settings: Settings::load(&cli.cloud)?,
            out: Printer::new(&cli.output),
            runtime: runtime.clone(),
        })
    };
    match cli.command {
        #[cfg(feature = "sim")]
        Command::Demo(args) => demo::run(args, &cli.output, &runtime),
        #[cfg(feature = "sim")]
        Command::Sim(args) => {
            ctx()?;
            sim::run(args, &runtime)
        }
        #[cfg(not(feature = "sim"))]
        Command::Demo(_) => Err(no_simulator("demo")),
        #[cfg(not(feature = "sim"))]
        Command::Sim(_) => Err(no_simulator("sim")),
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
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { dir } => manual::man(dir.as_deref()),
    }
}

/// `cutover sim` or `cutover demo` in a build without the simulator.
#[cfg(not(feature = "sim"))]
fn no_simulator(command: &str) -> anyhow::Error {
    crate::errors::InputError(format!(
        "`cutover {command}` needs the simulator, and this build of cutover has none (built without the `sim` feature)"
    ))
    .into()
}

#[cfg(all(test, not(feature = "sim")))]
mod tests {
    /// Run with `cargo test -p cutover-cli --no-default-features --bin cutover`.
    #[test]
    fn without_the_simulator_sim_and_demo_say_so_on_one_line_and_exit_2() {
        for command in ["sim", "demo"] {
            let err = super::no_simulator(command);
            assert_eq!(crate::exit_code::of(&err), crate::exit_code::USAGE);
            let line = crate::failure::line(&err);
            assert!(line.starts_with(&format!("`cutover {command}` needs the simulator")), "{line}");
            assert!(line.contains("without the `sim` feature") && !line.contains('\n'), "{line}");
        }
    }
}
