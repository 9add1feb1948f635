/*!
`tools/soak`: trial after trial, a generated cloud moved by `cutover run`
under injected faults and `kill -9`, then checked and counted from the
simulator's own model; the last line sums every trial up. `cargo test`
runs a few small trials; `tools/soak --trials N --servers M --seed S` the
real thing (see the README).
*/

#[path = "../util/mod.rs"]
mod util;

mod cloud;
mod tally;
mod trial;

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use clap::Parser;
use cutover_sim::model::compute::Networking;

use self::tally::Tally;
use self::trial::Outcome;
use crate::util::trials::run_seeded;

/// What `cargo test` runs: a few small trials (both networking modes).
const CI_TRIALS: u64 = 2;
const CI_SERVERS: u64 = 40;
const CI_PARALLEL: u64 = 2;
/// Bad cases (lost, duplicated, left down, leaked) printed per trial, at most.
const SHOWN: usize = 40;

/// Soak test of `cutover run`: generated clouds moved under injected
/// faults and kill -9, each checked and counted from the simulator's model.
#[derive(Debug, Parser)]
#[command(name = "tools/soak")]
struct Args {
    /// How many trials (each a fresh cloud, its seed the first seed plus its number).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Servers per generated cloud.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    servers: u64,
    /// The first trial's seed; an even seed is a Neutron cloud, an odd one nova-network.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Trials run at once (a trial mostly waits: on the simulator's
    /// scaled durations, retries, timeouts).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=16))]
    parallel: u64,
}

/// Set by `tools/soak`: the arguments are the soak's own. Without it the
/// soak runs as a test of `cargo test`, whose libtest arguments it gets.
const OWN_ARGUMENTS: &str = "CUTOVER_SOAK";

fn main() -> ExitCode {
    let args = if std::env::var_os(OWN_ARGUMENTS).is_some() {
        Args::parse()
    } else if util::libtest::runs("soak", &std::env::args().skip(1).collect::<Vec<_>>()) {
        Args { trials: CI_TRIALS, servers: CI_SERVERS, seed: 1, parallel: CI_PARALLEL }
    } else {
        return ExitCode::SUCCESS;
    };
    soak(&args)
}

fn soak(args: &Args) -> ExitCode {
    let started = Instant::now();
    // A trial that panics is reported on its own line, with the message.
    std::panic::set_hook(Box::new(|_| {}));
    let servers = args.servers as usize;
    println!("soak: {} trials of {servers} servers from seed {}, {} at a time", args.trials, args.seed, args.parallel);
    let tally = Mutex::new(Tally::default());
    let failed = Mutex::new(Vec::new());
    run_seeded(
        args.trials,
        args.seed,
        args.parallel,
        |seed| Ok(trial::run(seed, servers)),
        |seed, outcome| {
            let mut tally = tally.lock().unwrap();
            let good = match outcome {
                Ok(outcome) => {
                    tally.add(&outcome.counted, outcome.faulted);
                    print_trial(tally.trials, args.trials, seed, &outcome)
                }
                Err(why) => {
                    tally.trials += 1;
                    println!("trial {}/{} seed {seed}: did not run to its end: {why}", tally.trials, args.trials);
                    false
                }
            };
            if !good {
                failed.lock().unwrap().push(seed);
            }
        },
    );
    let tally = tally.into_inner().unwrap();
    let mut failed = failed.into_inner().unwrap();
    failed.sort_unstable();
    let share = 100.0 * tally.faulted as f64 / tally.requests.max(1) as f64;
    println!(
        "soak: {:.0?} in all; {} of {} requests failed by a fault ({share:.1}%)",
        started.elapsed(),
        tally.faulted,
        tally.requests
    );
    if !tally.faulted_enough() {
        println!("soak: FAILED: the faults hit under 5% of the requests");
    }
    if !failed.is_empty() {
        println!(
            "soak: failing seeds {failed:?} (run one again alone: tools/soak --trials 1 --servers {servers} --seed SEED)"
        );
    }
    println!("{tally}");
    match failed.is_empty() && tally.clean() && tally.faulted_enough() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    }
}

/// Prints a trial's line, then its bad cases and problems; whether it had none.
fn print_trial(n: u64, trials: u64, seed: u64, o: &Outcome) -> bool {
    let mode = match o.networking {
        Networking::Neutron => "neutron",
        Networking::NovaNetwork => "nova-network",
    };
    let c = &o.counted;
    let (faulted, requests) = o.faulted;
    println!(
        "trial {n}/{trials} seed {seed} ({mode}): moved {}, restored {}, in place {}; lost {}, duplicated {}, \
         left down {}, leaked {}; {} kills, {} runs, {faulted} of {requests} requests faulted ({:.1}%); {:.1} s",
        c.moved,
        c.restored,
        c.in_place,
        c.lost.len(),
        c.duplicated.len(),
        c.left_down.len(),
        c.leaked.len(),
        o.kills,
        o.runs,
        100.0 * faulted as f64 / requests.max(1) as f64,
        o.took.as_secs_f64(),
    );
    let cases: Vec<String> = c.cases().collect();
    for line in cases.iter().take(SHOWN) {
        println!("  {line}");
    }
    if cases.len() > SHOWN {
        println!("  ... and {} more", cases.len() - SHOWN);
    }
    // Problems come by the hundred when one thing is wrong for every
    // server: one line of each kind, with how many are like it.
    let mut kinds: Vec<((&str, &str), &str, usize)> = Vec::new();
    for line in &o.problems {
        match kinds.iter_mut().find(|(kind, _, _)| *kind == kind_of(line)) {
            Some((_, _, n)) => *n += 1,
            None => kinds.push((kind_of(line), line, 1)),
        }
    }
    for (_, line, n) in &kinds {
        match n {
            1 => println!("  {line}"),
            n => println!("  {line} (and {} more like it)", n - 1),
        }
    }
    cases.is_empty() && kinds.is_empty()
}

/// What a problem line is about, without the server it names: where it
/// was found (`end state`, `after kill 2`) and the field or finding after
/// the server (`tags`, `not in the report`).
fn kind_of(line: &str) -> (&str, &str) {
    let (place, rest) = line.split_once(": ").unwrap_or(("", line));
    let finding = rest.rsplit_once("): ").map_or(rest, |(_, finding)| finding);
    (place, finding.split_once(':').map_or(finding, |(field, _)| field))
}
