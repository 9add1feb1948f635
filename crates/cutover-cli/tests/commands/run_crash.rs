/*!
Crash safety of the real binary: `cutover run` killed with SIGKILL at
seeded random moments (the simulator at a small time scale, so kills land
during stops, snapshots, deletes and boots), resumed, maybe killed again.
After every kill no server is lost or duplicated and nothing it needs is
gone (`util::endstate::safety`); when a run completes, the end state is
checked (`util::endstate::check`) and equals that of a run never killed.
[`handoff`] does the same to runs that hand the emptied hosts off
(`--on-host-empty`), then to `cutover retire` after them ([`retire`]).

`CUTOVER_CRASH_TRIALS` (default 20; the hand-off trials are three tenths
as many, or `CUTOVER_CRASH_HANDOFF_TRIALS`) and `CUTOVER_CRASH_SEED`
(default fixed) choose the trials; a failing trial prints its seed, and
`CUTOVER_CRASH_TRIALS=1 CUTOVER_CRASH_SEED=<seed>` replays its kill
schedule (the moments are wall-clock times or events polled every few
milliseconds, so a replay lands close to, not exactly on, the same steps).
`CUTOVER_CRASH_PARALLEL` (default 2) trials run at once.
*/

mod handoff;
mod landed;
mod retire;

use std::path::PathBuf;
use std::process::Child;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cutover_core::plan::Plan;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use self::landed::Landed;
use crate::util::endstate::{self, safety, Before, Canonical};
use crate::util::kill::{kill_at, Moment};
use crate::util::moves::{demo_with, run_to_end, spawn_run, sync_and_plan, DEMO_HOST_MAP, DEMO_RULE};
use crate::util::trials::run_seeded;
use crate::util::SimCloud;

/// Every kind of move, and one rollback: snapshot (a server group, user
/// data, tags, a floating IP, a user port with its MAC, a data volume, shut
/// off), volume (a data volume, a floating IP), redeploy (a key pair) and
/// legacy-1, whose boot on new-3 fails.
const SERVERS: &[&str] = &["web-1", "web-2", "db-1", "report-1", "cache-1", "worker-2", "app-3", "dev-2", "legacy-1"];
/// 30 s boots take 0.3 s, a snapshot about 1 s: a run lasts about 3 s.
const SCALE: f64 = 0.01;
/// A run never killed usually takes 3 to 4 s on two busy cores (5 to 6
/// with the hand-off).
const SLOW_CLEAN_RUN: Duration = Duration::from_secs(8);
const MIGRATION: &str = "crash";
/// Kills per trial, at most (then one run to the end).
const MAX_KILLS: u32 = 3;
/// Runs to the end that may stop short (servers held by errors).
const RESUMES: usize = 3;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text} is not a number")),
        Err(_) => default,
    }
}

/// What the trials of one test do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `cutover run` alone: the drained hosts stay disabled.
    Run,
    /// `cutover run --on-host-empty`: the emptied hosts handed off,
    /// rejoined and retired; then `cutover retire`.
    HandOff,
}

impl Kind {
    /// The share of a clean run's length that time-based kills fall in:
    /// from the start (connecting, creating the journal) to most of a run,
    /// so a resumed run, with less left to do, is killed less often than
    /// the first. The hand-off trials kill on its events besides.
    fn span(self, clean: Duration) -> Duration {
        match self {
            Kind::Run => clean.mul_f64(0.8),
            Kind::HandOff => clean,
        }
    }
}

/// A fresh cloud, synced and planned, and how `cutover run` is called on it.
struct Trial {
    kind: Kind,
    cloud: SimCloud,
    plan: Plan,
    /// What the clouds held before the run.
    before: Before,
    /// `cutover run`'s arguments besides `util::moves::run_command`'s.
    args: Vec<String>,
}

impl Trial {
    fn prepare(kind: Kind) -> Trial {
        let mut scenario = demo_with(SERVERS);
        if kind == Kind::HandOff {
            scenario.time = Some(handoff::time());
            handoff::spare_in_its_own_aggregate(&mut scenario);
        }
        let cloud = SimCloud::with_scale(scenario, SCALE);
        let plan = sync_and_plan(&cloud, DEMO_HOST_MAP, &[DEMO_RULE], MIGRATION);
        let before = Before::take(&cloud.sim().read());
        let args = match kind {
            Kind::Run => Vec::new(),
            Kind::HandOff => handoff::run_args(&cloud),
        };
        Trial { kind, cloud, plan, before, args }
    }

    fn args(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }

    fn journal(&self) -> PathBuf {
        self.cloud.dir().join("journal.db")
    }

    fn spawn(&self) -> Child {
        spawn_run(&self.cloud, &self.args())
    }

    /// Runs `cutover run` until it completes (resuming when servers were
    /// held); the last report.
    fn finish(&self) -> Value {
        for _ in 0..RESUMES {
            let (out, report) = run_to_end(&self.cloud, &self.args());
            let totals = &report["totals"];
            if totals["held"] == 0 && totals["unfinished"] == 0 {
                return report;
            }
            assert!(matches!(out.status.code(), Some(1 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
        }
        panic!("servers still held or unfinished after {RESUMES} runs");
    }

    /// The end state after the run that printed `report`: the servers
    /// (`util::endstate::check`) and, with the hand-off, the old hosts.
    fn end_state(&self, report: &Value) -> Result<Canonical, Vec<String>> {
        if self.kind == Kind::HandOff {
            handoff::hooks_ended(self)?;
        }
        let world = self.cloud.sim().read();
        let mut canonical = endstate::check(&self.plan, report, &self.before, &world)?;
        if self.kind == Kind::HandOff {
            canonical.0.insert("~hosts".into(), handoff::hosts_end(self, &world)?);
        }
        Ok(canonical)
    }
}

/// A run never killed: its canonical end state and how long it took.
fn clean_run(kind: Kind) -> (Canonical, Duration) {
    let t = Trial::prepare(kind);
    let started = Instant::now();
    let report = t.finish();
    let took = started.elapsed();
    let canonical = t.end_state(&report).unwrap_or_else(|problems| {
        panic!("the run never killed: the end state is wrong:\n  {}", problems.join("\n  "))
    });
    let results: Vec<&str> =
        report["servers"].as_array().unwrap().iter().map(|s| s["result"].as_str().unwrap()).collect();
    assert!(results.contains(&"moved") && results.contains(&"rolled_back"), "{results:?}");
    (canonical, took)
}

/// One trial: kills at seeded moments (within `span`, or on the hand-off's
/// events), a run to the end, the checks, and for the hand-off the retire
/// trial; `Err` says what went wrong.
fn trial(kind: Kind, seed: u64, span: Duration, expected: &Canonical) -> Result<Landed, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let t = Trial::prepare(kind);
    let journal = t.journal();
    let mut landed = Landed::default();
    for _ in 0..rng.random_range(1..=MAX_KILLS) {
        let moment = match kind {
            Kind::Run => Moment::After(span.mul_f64(rng.random_range(0.0..1.0))),
            Kind::HandOff => handoff::moment(&mut rng, &t, span),
        };
        let mut child = t.spawn();
        if !kill_at(&mut child, &moment) {
            break;
        }
        let problems = safety::check(&t.plan, &journal, &t.cloud.sim().read());
        if !problems.is_empty() {
            let n = landed.kills + 1;
            return Err(format!("after kill {n} ({moment}):\n  {}", problems.join("\n  ")));
        }
        landed.note(&t, moment.what());
    }
    let report = t.finish();
    let canonical = t.end_state(&report).map_err(|problems| format!("at the end:\n  {}", problems.join("\n  ")))?;
    if &canonical != expected {
        return Err(format!("the end state differs from a run never killed:\n{}", canonical.diff(expected)));
    }
    if kind == Kind::HandOff {
        landed.note_end(&t);
        retire::trial(&mut rng, &t, &mut landed)?;
    }
    Ok(landed)
}

/// Runs `trials` trials of `kind` (`CUTOVER_CRASH_PARALLEL` at once) from
/// `CUTOVER_CRASH_SEED`, prints the figures, fails naming the failed seeds;
/// where the kills landed.
fn run_trials(kind: Kind, trials: u64) -> Landed {
    let seed = env_u64("CUTOVER_CRASH_SEED", 20_251_126);
    let parallel = env_u64("CUTOVER_CRASH_PARALLEL", 2).max(1);
    let started = Instant::now();
    let (expected, mut took) = clean_run(kind);
    if took > SLOW_CLEAN_RUN {
        // The kills are spread over a clean run's length: one slowed down
        // by a busy machine would let most runs end before their kill.
        let (again, took_again) = clean_run(kind);
        assert_eq!(again, expected, "two runs never killed end alike:\n{}", again.diff(&expected));
        took = took.min(took_again);
    }
    let span = kind.span(took);
    let failures = Mutex::new(Vec::new());
    let landed = Mutex::new(Landed::default());
    run_seeded(
        trials,
        seed,
        parallel,
        |trial_seed| trial(kind, trial_seed, span, &expected),
        |trial_seed, outcome| match outcome {
            Ok(l) => landed.lock().unwrap().add(l),
            Err(why) => {
                eprintln!("crash trial ({kind:?}) with CUTOVER_CRASH_SEED={trial_seed} failed: {why}");
                failures.lock().unwrap().push(trial_seed);
            }
        },
    );
    let failures = failures.into_inner().unwrap();
    let landed = landed.into_inner().unwrap();
    eprintln!(
        "{trials} crash trials ({kind:?}) from seed {seed} in {:?} (a run never killed: {took:?}): {landed}; \
         failed seeds {failures:?}",
        started.elapsed(),
    );
    assert!(
        failures.is_empty(),
        "failing trials (replay each with CUTOVER_CRASH_TRIALS=1 CUTOVER_CRASH_SEED=<seed>): {failures:?}"
    );
    landed
}

#[test]
fn a_run_killed_at_random_moments_resumes_to_the_end_of_a_run_never_killed() {
    let trials = env_u64("CUTOVER_CRASH_TRIALS", 20);
    let landed = run_trials(Kind::Run, trials);
    if trials >= 20 {
        assert!(landed.kills >= trials && landed.mid_call > 0, "kills landed mid-run: {landed:?}");
    }
}
