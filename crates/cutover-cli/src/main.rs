/*!
`cutover`: upgrade an OpenStack cloud's compute service by the parallel
compute method.

Layout: [`cli`] is the clap tree, [`commands`] one module per subcommand,
[`exit_code`] the documented exit statuses. `main` only parses, runs, and
prints a failure as one line.
*/

mod cli;
mod commands;
mod exit_code;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    init_logging(args.verbose, args.quiet);
    match commands::run(args) {
        Ok(()) => ExitCode::from(exit_code::OK),
        Err(err) => {
            eprintln!("cutover: error: {err:#}");
            ExitCode::from(exit_code::of(&err))
        }
    }
}

/// Logs go to stderr; `-v` and `-q` move the level, `RUST_LOG` overrides.
fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
