/*!
Delayed transitions: a queue of events due at monotonic instants.

The world runs due events lazily, when a request locks it, so no background
task owns the state and a time scale of 0 makes every operation finish by
the next request.
*/

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// An event: a change to the state `S` (the simulator's `World`), run once
/// when due. Generic so that the queue does not depend on the world.
pub type Event<S> = Box<dyn FnOnce(&mut S) + Send + Sync>;

struct Entry<S> {
    due: Instant,
    seq: u64,
    event: Event<S>,
}

impl<S> PartialEq for Entry<S> {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due && self.seq == other.seq
    }
}
impl<S> Eq for Entry<S> {}
impl<S> PartialOrd for Entry<S> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<S> Ord for Entry<S> {
    // Reversed so the max-heap pops the earliest (then first-scheduled) event.
    fn cmp(&self, other: &Self) -> Ordering {
        other.due.cmp(&self.due).then_with(|| other.seq.cmp(&self.seq))
    }
}

pub struct Timeline<S> {
    heap: BinaryHeap<Entry<S>>,
    seq: u64,
}

impl<S> Default for Timeline<S> {
    fn default() -> Self {
        Timeline { heap: BinaryHeap::new(), seq: 0 }
    }
}

impl<S> Timeline<S> {
    pub fn push(&mut self, due: Instant, event: Event<S>) {
        self.seq += 1;
        self.heap.push(Entry { due, seq: self.seq, event });
    }

    /// Removes and returns the earliest event due at or before `until`.
    pub fn pop_due(&mut self, until: Instant) -> Option<(Instant, Event<S>)> {
        if self.heap.peek().is_some_and(|e| e.due <= until) {
            self.heap.pop().map(|e| (e.due, e.event))
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// When the next event is due, if any.
    pub fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_due_then_schedule_order() {
        let mut t = Timeline::<()>::default();
        let base = Instant::now();
        let order = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
        for (delay, tag) in [(5, 'c'), (1, 'a'), (1, 'b'), (9, 'd')] {
            let order = order.clone();
            t.push(base + Duration::from_millis(delay), Box::new(move |_| order.lock().push(tag)));
        }
        let mut seen = Vec::new();
        while let Some((due, _)) = t.pop_due(base + Duration::from_millis(6)) {
            seen.push(due - base);
        }
        assert_eq!(seen, vec![Duration::from_millis(1), Duration::from_millis(1), Duration::from_millis(5)]);
        assert_eq!(t.len(), 1);
    }
}
