/*!
What the loop observes besides the servers: the new region's hosts and
room (counted when due, see `decide::admission`), and whether an old host
joining the new region takes servers before it is in its aggregates.
*/

use tokio::time::Instant;

use super::Engine;
use crate::decide::Counted;

impl Engine {
    /// Counts the new region when due (`RunState::count_due`); reads what
    /// it offers the moves once a run. A failed count keeps the last one;
    /// before any, no move starts.
    pub(super) async fn count_new_region(&mut self) {
        let joined = self.hosts.joined();
        if !self.state.count_due(joined, Instant::now()) {
            return;
        }
        if self.state.offer.is_none() && self.state.only.is_none() {
            self.state.offer = Some(self.driver.offer(&self.state.plan).await);
        }
        match self.driver.new_region(&self.state.plan).await {
            Ok(region) => self.state.new_region = Some(Counted { region, at: Instant::now(), joined }),
            Err(e) => tracing::warn!("counting the new region's hosts failed (keeping the last count): {e}"),
        }
    }

    /// Notes whether a host joining the new region may take servers there
    /// before it is in its old aggregates (it came enabled, up or about to
    /// be; the host round disables it until it is in them): no boot is sent
    /// meanwhile, lest Nova place it on that host outside its zone. Asked
    /// afresh each round while a host joins; not knowing counts as taking.
    pub(super) async fn check_joining(&mut self) {
        let joining = self.hosts.joining();
        self.state.joining_taking = match joining.is_empty() {
            true => None,
            false => match self.driver.new_region(&self.state.plan).await {
                Ok(region) => joining.into_iter().find(|h| region.enabled.contains(*h)).cloned(),
                Err(_) => joining.first().map(|&h| h.clone()),
            },
        };
        if let Some(host) = &self.state.joining_taking {
            tracing::info!(host = %host, "boots wait: the host joins the new region's aggregates first");
        }
    }
}
