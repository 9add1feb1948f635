/*!
The deadline of `wait`: servers left to their owners are watched until
they are gone; once the run's deadline passes, those still there are held
and reported (the run can then end), their hosts kept out of scheduling.
*/

use cutover_core::machine::Strategy;

use super::Engine;

impl Engine {
    /// Holds every `wait` server still in the old region once the deadline
    /// (the clock's Unix seconds) has passed.
    pub(super) fn pass_deadline(&mut self) {
        let Some(deadline) = self.options.deadline else { return };
        if self.clock.now() < deadline {
            return;
        }
        let when = chrono::DateTime::from_timestamp(deadline, 0).map_or(deadline.to_string(), |t| t.to_rfc3339());
        for t in self.servers.iter_mut().filter(|t| t.plan.strategy == Strategy::Wait && !t.done()) {
            tracing::warn!(server = t.plan.source, "deadline passed; still in the old region");
            t.held =
                Some(format!("the deadline ({when}) passed with the server still in the old region (strategy wait)"));
        }
    }
}
