/*!
The demo's progress line on stderr: servers done out of all, and how many
are at each phase. Redrawn in place on a terminal; elsewhere a line each
time the counts change.
*/

use std::io::{IsTerminal, Write};

use cutover_engine::Progress;

pub struct Display {
    terminal: bool,
    last: String,
}

impl Display {
    pub fn new() -> Display {
        Display { terminal: std::io::stderr().is_terminal(), last: String::new() }
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
    }

    pub fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
