/*!
`cutover`: upgrade an OpenStack cloud's compute service by the parallel
compute method.

Layout: [`cli`] is the clap tree, [`commands`] one module per subcommand,
[`settings`] the checked cloud/region/file settings, [`output`] the `-f`/`-c`
formatting of what commands print, [`exit_code`] the documented exit
statuses, [`errors`] the errors that pick them, [`ctx`] what every
command gets, [`failure`] how an error is said on one line, [`hostmap`] the old-to-new host map file. `main` only parses, sets up logging, runs, and prints a failure as
one line.
*/

mod cli;
mod commands;
mod ctx;
mod errors;
mod exit_code;
mod failure;
mod hostmap;
mod output;
mod settings;

use std::process::ExitCode;

use clap::Parser;

/// Planning or checking a cloud of 100,000 servers is mostly allocating and
/// freeing small values (the listings' JSON, the records, the plan's YAML):
/// glibc's allocator spent over half the time there (`perf`, issue 17).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    init_logging(args.verbose, args.quiet);
    // One runtime for the whole process; commands enter it through their `Ctx`.
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cutover: error: starting the async runtime: {e}");
            return ExitCode::from(exit_code::FAILURE);
        }
    };
    match commands::run(args, runtime.handle().clone()) {
        Ok(()) => ExitCode::from(exit_code::OK),
        Err(err) if output::is_broken_pipe(&err) => ExitCode::from(exit_code::OK),
        Err(err) => {
            eprintln!("cutover: error: {}", failure::line(&err));
            ExitCode::from(exit_code::of(&err))
        }
    }
}

/// The prefix of every cutover crate's log target (`cutover`, the binary,
/// and `cutover_*`): tracing matches targets by prefix.
const OWN: &str = "cutover";

/// Crates whose trace output is a firehose (every socket read): held at
/// debug even with `-vvv`, unless `RUST_LOG` asks for more.
const NOISY: &[&str] = &["openstack_sdk", "hyper", "hyper_util", "reqwest", "h2", "rustls", "tower"];

/// Logs go to stderr; `-v` info, `-vv` debug, `-vvv` trace, `-q` errors
/// only; a valid `RUST_LOG` overrides all of it. Without `-v` only
/// cutover's own crates log: a library's error lines (openstack_sdk logs
/// one per URL it tries) would bury, and repeat, the one line cutover says.
fn init_logging(verbose: u8, quiet: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives).unwrap_or_else(|e| {
            eprintln!("cutover: warning: RUST_LOG ignored: {e}");
            EnvFilter::new(log_directives(verbose, quiet))
        }),
        _ => EnvFilter::new(log_directives(verbose, quiet)),
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!no_color && std::io::stderr().is_terminal())
        .init();
}

fn log_directives(verbose: u8, quiet: bool) -> String {
    let level = match (quiet, verbose) {
        (true, _) => return format!("off,{OWN}=error"),
        (false, 0) => return format!("off,{OWN}=warn"),
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    if level != "trace" {
        return level.to_string();
    }
    std::iter::once(level.to_string()).chain(NOISY.iter().map(|c| format!("{c}=debug"))).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::log_directives;

    #[test]
    fn verbosity_maps_to_levels_and_noisy_crates_stay_at_debug() {
        assert_eq!(log_directives(0, true), "off,cutover=error");
        assert_eq!(log_directives(0, false), "off,cutover=warn");
        assert_eq!(log_directives(1, false), "info");
        assert_eq!(log_directives(2, false), "debug");
        let trace = log_directives(3, false);
        assert!(trace.starts_with("trace,") && trace.contains("openstack_sdk=debug") && trace.contains("hyper=debug"));
        assert_eq!(log_directives(7, false), trace);
        for d in trace.split(',') {
            tracing_subscriber::EnvFilter::try_new(d).unwrap();
        }
    }
}
