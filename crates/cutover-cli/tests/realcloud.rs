//! cutover against the real two-region OpenStack of `tools/realcloud`, on
//! request only: `CUTOVER_REALCLOUD=1 cargo test -p cutover-cli --test
//! realcloud` runs `tools/realcloud/cutover-check` (preflight, env verify,
//! sync, a snapshot-strategy move keeping port, IP, MAC and floating IP,
//! a second run, a rollback, all checked with the `openstack` client) with
//! this build's `cutover`. The check is the Python script; this only hands
//! it the binary and turns its exit status into the test's.
//!
//! Without the variable nothing is checked, and this says so instead of
//! reporting a pass: the test has its own `main` (`harness = false`), so no
//! "1 passed" is printed for a check that did not run.

#[path = "util/libtest.rs"]
mod libtest;

use std::path::Path;
use std::process::{Command, ExitCode};

const VARIABLE: &str = "CUTOVER_REALCLOUD";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !libtest::runs("realcloud", &args) {
        return ExitCode::SUCCESS;
    }
    if !std::env::var(VARIABLE).is_ok_and(|v| !v.is_empty() && v != "0") {
        println!(
            "realcloud: NOT RUN (no result): {VARIABLE} is not set. This check needs the real cloud: \
             `tools/realcloud/realcloud up`, then `{VARIABLE}=1 cargo test -p cutover-cli --test realcloud` \
             (or `.ci/realcloud`, which does both). See tools/realcloud/README.md."
        );
        return ExitCode::SUCCESS;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/realcloud/cutover-check");
    let binary = env!("CARGO_BIN_EXE_cutover");
    println!("realcloud: {} {binary}", script.display());
    match Command::new(&script).arg(binary).status() {
        Ok(status) if status.success() => {
            println!("realcloud: passed");
            ExitCode::SUCCESS
        }
        Ok(status) => {
            println!("realcloud: FAILED ({status})");
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("realcloud: FAILED: cannot run {}: {e}", script.display());
            ExitCode::FAILURE
        }
    }
}
