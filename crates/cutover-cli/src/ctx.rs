/*!
What every command gets ([`Ctx`]): the checked settings, the printer of
`-f` / `-c`, and the process's one async runtime, built once in `main`.
*/

use std::future::Future;

use crate::output::Printer;
use crate::settings::Settings;

/// Settings checked before any cloud call, the printer, and the runtime.
#[derive(Clone)]
pub struct Ctx {
    pub settings: Settings,
    pub out: Printer,
    pub runtime: tokio::runtime::Handle,
}

impl Ctx {
    /// Runs `future` to its end on the process's runtime (a multi-thread
    /// one, whose workers drive the I/O and timers).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}
