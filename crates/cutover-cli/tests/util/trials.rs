/*!
Seeded trials run a few at a time: each trial gets its own seed (the first
seed plus its number, so a failing one can be run again alone), a panic in
it counts as its failure with the panic's message, and each outcome is
handed over as soon as the trial ends.
*/

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};

/// Runs `trial(seed)` for the `count` seeds from `first` on, `parallel` at
/// once, and `done(seed, outcome)` as each one ends (in the order they end).
pub fn run_seeded<T>(
    count: u64,
    first: u64,
    parallel: u64,
    trial: impl Fn(u64) -> Result<T, String> + Sync,
    done: impl Fn(u64, Result<T, String>) + Sync,
) {
    let next = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..parallel.max(1) {
            scope.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= count {
                    break;
                }
                let seed = first.wrapping_add(n);
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| trial(seed)));
                done(seed, outcome.unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(&panic)))));
            });
        }
    });
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    match (panic.downcast_ref::<String>(), panic.downcast_ref::<&str>()) {
        (Some(text), _) => text.clone(),
        (None, Some(text)) => text.to_string(),
        (None, None) => "(no message)".into(),
    }
}
