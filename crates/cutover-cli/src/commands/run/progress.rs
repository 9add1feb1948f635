/*!
The live progress of `cutover run` on stderr: on a terminal an overall bar
with servers per phase, the rate and the ETA; otherwise (logs, CI) plain
lines, one whenever the picture changes, at most every few seconds unless
a server finished.
*/

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use cutover_engine::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Plain lines come at most this often while no server finishes.
const LINE_EVERY: Duration = Duration::from_secs(10);

pub struct Display {
    bar: Option<ProgressBar>,
    last: Option<(String, usize, Instant)>,
}

impl Display {
    pub fn new(total: usize) -> Display {
        let live = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let bar = live.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("[{bar:30}] {pos}/{len} {wide_msg}") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Display { bar, last: None }
    }

    pub fn update(&mut self, progress: &Progress) {
        if let Some(bar) = &self.bar {
            bar.set_position(progress.done as u64);
            bar.set_message(format!("{} | {}", phases(progress), pace(progress)));
            return;
        }
        let text = line(progress);
        let due = match &self.last {
            None => true,
            Some((last, done, at)) => *last != text && (progress.done != *done || at.elapsed() >= LINE_EVERY),
        };
        if due {
            eprintln!("{text}");
            self.last = Some((text, progress.done, Instant::now()));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// One plain line: `12/40 done | stop 3, snapshot 5, moved 12 | 1.5/min, ETA 19m`.
pub fn line(progress: &Progress) -> String {
    format!("{}/{} done | {} | {}", progress.done, progress.total, phases(progress), pace(progress))
}

fn phases(progress: &Progress) -> String {
    progress.phases.iter().map(|(phase, n)| format!("{phase} {n}")).collect::<Vec<_>>().join(", ")
}

/// Servers finished per minute in this run, and when the rest will be at
/// that pace.
fn pace(progress: &Progress) -> String {
    let minutes = progress.elapsed.as_secs_f64() / 60.0;
    if progress.done_this_run == 0 || minutes <= 0.0 {
        return "ETA -".into();
    }
    let rate = progress.done_this_run as f64 / minutes;
    let left = (progress.total - progress.done) as f64 / rate;
    format!("{rate:.1}/min, ETA {}", duration(left * 60.0))
}

fn duration(secs: f64) -> String {
    let secs = secs.round() as u64;
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs.div_ceil(60)),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use cutover_core::machine::Stage;
    use cutover_engine::Phase;

    use super::*;

    #[test]
    fn a_plain_line_says_where_every_server_is_and_when_the_rest_will_be_done() {
        let progress = Progress {
            total: 40,
            done: 12,
            done_this_run: 6,
            phases: vec![
                (Phase::Moving(Stage::Stop), 3),
                (Phase::Moving(Stage::Snapshot), 5),
                (Phase::RollingBack(Stage::Boot), 1),
                (Phase::Moved, 12),
            ],
            elapsed: Duration::from_secs(240),
            journal_writes: 0,
        };
        insta::assert_snapshot!(line(&progress), @"12/40 done | stop 3, snapshot 5, rollback: boot 1, moved 12 | 1.5/min, ETA 19m");
        let start = Progress { done: 0, done_this_run: 0, phases: vec![(Phase::Pending, 40)], ..progress };
        insta::assert_snapshot!(line(&start), @"0/40 done | pending 40 | ETA -");
    }
}
