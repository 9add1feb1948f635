/*!
Crash safety of the real binary: `cutover run` killed with SIGKILL at
seeded random moments (the simulator at a small time scale, so kills land
during stops, snapshots, deletes and boots), resumed, maybe killed again.
After every kill no server is lost or duplicated and nothing it needs is
gone (`util::endstate::safety`); when a run completes, the end state is
checked (`util::endstate::check`) and equals that of a run never killed.

`CUTOVER_CRASH_TRIALS` (default 20) and `CUTOVER_CRASH_SEED` (default
fixed) choose the trials; a failing trial prints its seed, and
`CUTOVER_CRASH_TRIALS=1 CUTOVER_CRASH_SEED=<seed>` replays its kill
schedule (the moments are wall-clock times, so a replay lands close to,
not exactly on, the same steps). `CUTOVER_CRASH_PARALLEL` (default 2)
trials run at once.
*/

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cutover_core::plan::Plan;
use cutover_journal::Journal;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::util::endstate::{self, safety, Before, Canonical};
use crate::util::moves::{demo_with, run_to_end, spawn_run, sync_and_plan, DEMO_HOST_MAP, DEMO_RULE};
use crate::util::SimCloud;

/// Every kind of move, and one rollback: snapshot (a server group, user
/// data, tags, a floating IP, a user port with its MAC, a data volume, shut
/// off), volume (a data volume, a floating IP), redeploy (a key pair) and
/// legacy-1, whose boot on new-3 fails.
const SERVERS: &[&str] = &["web-1", "web-2", "db-1", "report-1", "cache-1", "worker-2", "app-3", "dev-2", "legacy-1"];
/// 30 s boots take 0.3 s, a snapshot about 1 s: a run lasts about 3 s.
const SCALE: f64 = 0.01;
/// A run never killed usually takes 3 to 4 s on two busy cores.
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

/// A fresh cloud, synced and planned: the cloud, its plan, what it held.
fn prepared() -> (SimCloud, Plan, Before) {
    let cloud = SimCloud::with_scale(demo_with(SERVERS), SCALE);
    let plan = sync_and_plan(&cloud, DEMO_HOST_MAP, &[DEMO_RULE], MIGRATION);
    let before = Before::take(&cloud.sim().read());
    (cloud, plan, before)
}

/// Runs `cutover run` until it completes (resuming when servers were
/// held); the last report.
fn finish(cloud: &SimCloud) -> Value {
    for _ in 0..RESUMES {
        let (out, report) = run_to_end(cloud, &[]);
        let totals = &report["totals"];
        if totals["held"] == 0 && totals["unfinished"] == 0 {
            return report;
        }
        assert!(matches!(out.status.code(), Some(1 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    }
    panic!("servers still held or unfinished after {RESUMES} runs");
}

/// A run never killed: its canonical end state and how long it took.
fn clean_run() -> (Canonical, Duration) {
    let (cloud, plan, before) = prepared();
    let started = Instant::now();
    let report = finish(&cloud);
    let took = started.elapsed();
    let world = cloud.sim().read();
    let canonical = endstate::assert_end_state(&plan, &report, &before, &world, "the run never killed");
    let results: Vec<&str> =
        report["servers"].as_array().unwrap().iter().map(|s| s["result"].as_str().unwrap()).collect();
    assert!(results.contains(&"moved") && results.contains(&"rolled_back"), "{results:?}");
    (canonical, took)
}

/// Kills `child` once `after` has passed; false when it ended before.
fn kill_after(child: &mut std::process::Child, after: Duration) -> bool {
    let deadline = Instant::now() + after;
    while Instant::now() < deadline {
        if child.try_wait().expect("waiting for cutover run").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL sent");
    child.wait().expect("the killed run reaped");
    true
}

/// Where the kills of the trials landed.
#[derive(Debug, Default)]
struct Landed {
    kills: u64,
    /// Kills with a call sent and its outcome not written (an intent
    /// without outcome in the journal).
    mid_call: u64,
    /// Kills before the journal existed.
    before_journal: u64,
    /// The stages servers were at when killed.
    stages: BTreeSet<String>,
}

impl Landed {
    fn add(&mut self, other: Landed) {
        self.kills += other.kills;
        self.mid_call += other.mid_call;
        self.before_journal += other.before_journal;
        self.stages.extend(other.stages);
    }

    /// What the journal at `path` says the killed run was doing.
    fn note(&mut self, plan: &Plan, path: &Path) {
        self.kills += 1;
        let Some(journaled) = safety::journaled(path) else {
            self.before_journal += 1;
            return;
        };
        for (_, planned) in plan.servers() {
            let (state, _) = &journaled[&planned.server.id];
            let stage = state.stage(&plan.server_move(planned));
            if let Some(stage) = stage.filter(|_| state.at > 0 || state.stopped_at.is_some()) {
                self.stages.insert(format!("{:?} {stage:?}", state.route));
            }
        }
        let journal = Journal::open_read_only(path).expect("the journal opens");
        let actions = journal.actions(None).expect("the journal's actions read");
        self.mid_call += u64::from(actions.iter().any(|a| a.outcome.is_none()));
    }
}

/// One trial: kills at seeded moments within `span`, a run to the end,
/// the checks; `Err` says what went wrong.
fn trial(seed: u64, span: Duration, expected: &Canonical) -> Result<Landed, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let (cloud, plan, before) = prepared();
    let journal = cloud.dir().join("journal.db");
    let mut landed = Landed::default();
    for _ in 0..rng.random_range(1..=MAX_KILLS) {
        let after = span.mul_f64(rng.random_range(0.0..1.0));
        let mut child = spawn_run(&cloud);
        if !kill_after(&mut child, after) {
            break;
        }
        let problems = safety::check(&plan, &journal, &cloud.sim().read());
        if !problems.is_empty() {
            let n = landed.kills + 1;
            return Err(format!("after kill {n} at {after:?}:\n  {}", problems.join("\n  ")));
        }
        landed.note(&plan, &journal);
    }
    let report = finish(&cloud);
    let world = cloud.sim().read();
    let canonical = endstate::check(&plan, &report, &before, &world)
        .map_err(|problems| format!("at the end:\n  {}", problems.join("\n  ")))?;
    if &canonical != expected {
        return Err(format!("the end state differs from a run never killed:\n{}", canonical.diff(expected)));
    }
    Ok(landed)
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    match (panic.downcast_ref::<String>(), panic.downcast_ref::<&str>()) {
        (Some(text), _) => text.clone(),
        (None, Some(text)) => text.to_string(),
        (None, None) => "(no message)".into(),
    }
}

#[test]
fn a_run_killed_at_random_moments_resumes_to_the_end_of_a_run_never_killed() {
    let trials = env_u64("CUTOVER_CRASH_TRIALS", 20);
    let seed = env_u64("CUTOVER_CRASH_SEED", 20_251_126);
    let parallel = env_u64("CUTOVER_CRASH_PARALLEL", 2).max(1);
    let started = Instant::now();
    let (expected, mut took) = clean_run();
    if took > SLOW_CLEAN_RUN {
        // The kills are spread over a clean run's length: one slowed down
        // by a busy machine would let most runs end before their kill.
        let (again, took_again) = clean_run();
        assert_eq!(again, expected, "two runs never killed end alike:\n{}", again.diff(&expected));
        took = took.min(took_again);
    }
    // Kills fall anywhere from the start (connecting, creating the journal)
    // to most of a run: a resumed run, with less left to do, is killed
    // less often than the first.
    let span = took.mul_f64(0.8);
    let next = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    let landed = Mutex::new(Landed::default());
    std::thread::scope(|scope| {
        for _ in 0..parallel {
            scope.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= trials {
                    break;
                }
                let trial_seed = seed.wrapping_add(n);
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| trial(trial_seed, span, &expected)));
                match outcome.unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(&panic)))) {
                    Ok(l) => landed.lock().unwrap().add(l),
                    Err(why) => {
                        eprintln!("crash trial with CUTOVER_CRASH_SEED={trial_seed} failed: {why}");
                        failures.lock().unwrap().push(trial_seed);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let landed = landed.into_inner().unwrap();
    eprintln!(
        "{trials} crash trials from seed {seed} in {:?} (a run never killed: {took:?}): {} kills, {} during a call, \
         {} before the journal existed; servers were killed at {:?}; failed seeds {failures:?}",
        started.elapsed(),
        landed.kills,
        landed.mid_call,
        landed.before_journal,
        landed.stages
    );
    assert!(
        failures.is_empty(),
        "failing trials (replay each with CUTOVER_CRASH_TRIALS=1 CUTOVER_CRASH_SEED=<seed>): {failures:?}"
    );
    if trials >= 20 {
        assert!(landed.kills >= trials && landed.mid_call > 0, "kills landed mid-run: {landed:?}");
    }
}
