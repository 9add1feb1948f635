/*!
Counting the HTTP requests a piece of work makes: [`metered`] runs a future
with a counter that every request sent inside it (each retry included)
adds to. The engine uses it to say what each server's move cost, in the
same units as the cloud's own request logs.
*/

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

tokio::task_local! {
    static REQUESTS: Arc<AtomicU64>;
}

/// Runs `work`, returning its output and the requests sent while it ran.
/// Requests of tasks it spawns are not counted (cutover's calls never
/// spawn).
pub async fn metered<F: Future>(work: F) -> (F::Output, u64) {
    let counter = Arc::new(AtomicU64::new(0));
    let output = REQUESTS.scope(counter.clone(), work).await;
    (output, counter.load(Ordering::Relaxed))
}

/// Adds `n` requests to the enclosing [`metered`] count, if any. Public
/// for stand-ins of the cloud (test models) to count like the client does.
pub fn count(n: u64) {
    let _ = REQUESTS.try_with(|c| c.fetch_add(n, Ordering::Relaxed));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_inside_the_scope_only() {
        count(5);
        let ((), n) = metered(async {
            count(1);
            tokio::join!(async { count(2) }, async { count(3) });
        })
        .await;
        assert_eq!(n, 6);
        let (_, nested) = metered(metered(async { count(4) })).await;
        assert_eq!(nested, 0, "the innermost scope takes the count");
    }
}
