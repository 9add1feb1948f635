/*!
`kill -9` at a chosen moment: a process started by a test (`cutover run`,
`cutover retire`) killed after some time or a little after an event the
test watches for, as a power loss or an operator's SIGKILL would.
*/

use std::process::Child;
use std::time::{Duration, Instant};

/// How often a kill's moment is looked for.
const POLL: Duration = Duration::from_millis(2);

/// When a process is killed.
pub enum Moment<'a> {
    /// This long after it started.
    After(Duration),
    /// `delay` after `reached` first holds (looked at every [`POLL`]).
    When { what: &'static str, reached: Box<dyn Fn() -> bool + 'a>, delay: Duration },
}

impl Moment<'_> {
    /// What sets the kill off, for the figures.
    pub fn what(&self) -> &'static str {
        match self {
            Moment::After(_) => "time",
            Moment::When { what, .. } => what,
        }
    }
}

impl std::fmt::Display for Moment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Moment::After(after) => write!(f, "at {after:?}"),
            Moment::When { what, delay, .. } => write!(f, "{delay:?} after: {what}"),
        }
    }
}

/// Kills `child` with SIGKILL at `moment`; false when it ended before.
pub fn kill_at(child: &mut Child, moment: &Moment<'_>) -> bool {
    let mut due = match moment {
        Moment::After(after) => Some(Instant::now() + *after),
        Moment::When { .. } => None,
    };
    loop {
        if child.try_wait().expect("waiting for the child").is_some() {
            return false;
        }
        let now = Instant::now();
        if let (None, Moment::When { reached, delay, .. }) = (due, moment) {
            if reached() {
                due = Some(now + *delay);
            }
        }
        if due.is_some_and(|due| now >= due) {
            break;
        }
        std::thread::sleep(POLL);
    }
    child.kill().expect("SIGKILL sent");
    child.wait().expect("the killed process reaped");
    true
}
