/*!
The demo's progress on stderr: a line of servers done out of all, and how
many are at each phase, redrawn in place on a terminal (elsewhere a line
each time the counts change); and above it, a line for each thing an old
host did (see `hosts`).
*/

use std::io::{IsTerminal, Write};
use std::time::Duration;

use cutover_engine::Progress;

pub struct Display {
    terminal: bool,
    last: String,
    /// The progress line as last drawn (redrawn under an event).
    drawn: String,
}

impl Display {
    pub fn new() -> Display {
        Display { terminal: std::io::stderr().is_terminal(), last: String::new(), drawn: String::new() }
    }

    pub fn update(&mut self, progress: &Progress) {
        let phases: Vec<String> = progress.phases.iter().map(|(phase, n)| format!("{phase} {n}")).collect();
        let counts = format!("{}/{} done · {}", progress.done, progress.total, phases.join(" · "));
        if counts == self.last {
            return;
        }
        let line = format!("[{:>6.1}s] {counts}", progress.elapsed.as_secs_f64());
        let mut err = std::io::stderr().lock();
        let _ = match self.terminal {
            true => write!(err, "\r\x1b[2K{line}"),
            false => writeln!(err, "{line}"),
        };
        let _ = err.flush();
        self.last = counts;
        self.drawn = line;
    }

    /// A line of its own (what a host did), above the progress line.
    pub fn event(&mut self, elapsed: Duration, what: &str) {
        let line = format!("[{:>6.1}s] {what}", elapsed.as_secs_f64());
        let mut err = std::io::stderr().lock();
        let _ = match self.terminal {
            true => write!(err, "\r\x1b[2K{line}\n{}", self.drawn),
            false => writeln!(err, "{line}"),
        };
        let _ = err.flush();
    }

    pub fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
