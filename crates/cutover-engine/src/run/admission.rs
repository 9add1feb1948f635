/*!
Admission: which pending moves start this round. A move holds a slot from
its first action until it ends (total, per old host, per project); builds
in the new region are bounded per new host times the hosts counted there,
and while a move waits for a build slot no new one starts: it would only
wait too, its server already down.
*/

use std::time::Duration;

use cutover_core::machine::Strategy;
use tokio::time::Instant;

use super::Engine;
use crate::limits::Slots;

/// How often the new region's hosts are counted again (hosts join it
/// while the old ones drain).
const RECOUNT_NEW_HOSTS: Duration = Duration::from_secs(60);

impl Engine {
    /// Counts the new region's hosts when due; a failed count keeps the
    /// last one (one host before any), which only slows the boots.
    pub(super) async fn count_new_hosts(&mut self) {
        if self.new_hosts.is_some_and(|(_, at)| at.elapsed() < RECOUNT_NEW_HOSTS) {
            return;
        }
        let last = self.new_hosts.map_or(1, |(n, _)| n);
        let hosts = match self.driver.new_hosts(&self.plan).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("counting the new region's hosts failed (keeping {last}): {e}");
                last
            }
        };
        self.new_hosts = Some((hosts, Instant::now()));
    }

    /// Gives free slots to pending servers, in drain order; none while
    /// moves wait for a build slot.
    pub(super) fn admit(&mut self) -> Slots {
        let mut slots = Slots::new(self.options.limits, self.new_hosts.map_or(1, |(n, _)| n));
        for t in self.servers.iter().filter(|t| t.holds_slot()) {
            slots.take(&t.host, &t.project);
            if t.booting() {
                slots.take_build();
            }
        }
        if self.boots_waiting > 0 {
            return slots;
        }
        let only = self.only.clone();
        for (i, t) in self.servers.iter_mut().enumerate() {
            let selected = only.as_ref().is_none_or(|only| only.contains(&i));
            if selected
                && !t.started
                && !t.done()
                && t.plan.strategy != Strategy::Wait
                && slots.admits(&t.host, &t.project)
            {
                t.started = true;
                slots.take(&t.host, &t.project);
            }
        }
        slots
    }
}
