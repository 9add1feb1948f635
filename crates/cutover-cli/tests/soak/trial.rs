/*!
One soak trial: the cloud of [`super::cloud`] synced and planned, the
faults turned on, `cutover run` killed with SIGKILL one to three times at
seeded moments (after a seeded share of the requests a whole run makes),
the safety check after each kill, then `cutover run` again until only what
must stay is left (at most a few times, as an operator would); then the
end-state checker and the counts.
*/

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use cutover_sim::model::compute::Networking;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::cloud::{self, API_TIMEOUT_SECS};
use super::tally::Counted;
use crate::util::endstate::{self, safety, Before};
use crate::util::faults::hits_and_requests;
use crate::util::kill::{kill_at, Moment};
use crate::util::moves::{run_until, spawn_run, sync_and_plan};
use crate::util::SimCloud;

/// The simulator's durations scaled: a 30 s boot takes 60 ms.
const SCALE: f64 = 0.002;
const MIGRATION: &str = "soak";
/// Kills per trial, at most.
const MAX_KILLS: u32 = 3;
/// A run still going after this long hangs (a whole run takes a minute
/// or two, eight trials at once): it is killed, and that is a problem.
const HANGS: Duration = Duration::from_secs(300);
/// Runs beyond the kills wanted that may end by themselves.
const SPARE_RUNS: u32 = 3;
/// Runs after the kills, at most, to get every server settled.
const RESUMES: usize = 6;
/// About what a run sends per server it moves (observations, moves,
/// retries): a kill falls within that many requests per server left after
/// the run starts.
const REQUESTS_PER_SERVER: f64 = 15.0;
/// The `wait` servers' deadline, from the trial's start: they are held or
/// moved during the first runs.
const DEADLINE_SECS: i64 = 3;

/// How a trial went.
#[derive(Debug)]
pub struct Outcome {
    pub networking: Networking,
    pub counted: Counted,
    /// What the end-state checker and the safety checks after the kills
    /// found wrong.
    pub problems: Vec<String>,
    pub kills: u32,
    /// `cutover run`s, killed or not.
    pub runs: usize,
    /// Requests failed by an injected fault, and all requests.
    pub faulted: (u64, u64),
    pub took: Duration,
}

/// Requests the simulator has served so far.
fn requests(cloud: &SimCloud) -> u64 {
    cloud.sim().request_counts().values().sum()
}

/// The servers whose move has not ended, as the journal says (`None`
/// before there is one): what a resumed run still has to do.
fn unended(journal: &Path) -> Option<usize> {
    let journaled = safety::journaled(journal)?;
    Some(journaled.values().filter(|(state, _)| state.end.is_none()).count())
}

/// Every server ended, or held while left to its owner.
fn settled(report: &Value) -> bool {
    report["servers"].as_array().is_some_and(|servers| {
        servers.iter().all(|s| match s["result"].as_str() {
            Some("moved" | "rolled_back" | "failed") => true,
            Some("held") => s["strategy"] == "wait",
            _ => false,
        })
    })
}

/// The trial of `seed` on a cloud of `servers` servers.
pub fn run(seed: u64, servers: usize) -> Outcome {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let cloud = SimCloud::with_scale(cloud::scenario(servers, seed), SCALE);
    cloud.set_api_timeout(API_TIMEOUT_SECS);
    let plan = sync_and_plan(&cloud, &cloud::host_map(), cloud::RULES, MIGRATION);
    let before = Before::take(&cloud.sim().read());
    cloud.sim().reset_request_counts();
    cloud.sim().world().faults = cloud::faults();
    let deadline = Utc::now() + chrono::Duration::seconds(DEADLINE_SECS);
    let deadline = deadline.to_rfc3339_opts(SecondsFormat::Secs, true);
    // The runs' logs (`-v`) go with the journal when a run hangs.
    let args = ["--deadline", deadline.as_str(), "-v"];
    let journal = cloud.dir().join("journal.db");

    let mut problems = Vec::new();
    let (mut kills, mut spawned) = (0, 0);
    let wanted = rng.random_range(1..=MAX_KILLS);
    // A run may end by itself first (a token refused at the start, or
    // nothing left to do): a few more runs get their chance to be killed.
    while kills < wanted && spawned < wanted + SPARE_RUNS {
        let left = unended(&journal).unwrap_or(servers);
        let target = requests(&cloud) + (rng.random_range(0.0..1.0) * left as f64 * REQUESTS_PER_SERVER) as u64;
        let spawned_at = Instant::now();
        let due = || requests(&cloud) >= target || spawned_at.elapsed() > HANGS;
        let moment = Moment::When { what: "requests", reached: Box::new(due), delay: Duration::ZERO };
        let mut child = spawn_run(&cloud, &args);
        spawned += 1;
        if !kill_at(&mut child, &moment) {
            continue;
        }
        kills += 1;
        if spawned_at.elapsed() > HANGS {
            let kept = cloud.keep(&format!("soak-seed-{seed}-run-{spawned}"));
            problems.push(format!("cutover run: still going after {HANGS:?}: killed (kept in {})", kept.display()));
        }
        let found = safety::check(&plan, &journal, &cloud.sim().read());
        problems.extend(found.into_iter().map(|p| format!("after kill {kills}: {p}")));
    }
    let resumed = run_until(&cloud, &args, (RESUMES, HANGS), settled);
    problems.extend(resumed.wrong_exits.iter().map(|e| format!("cutover run: {e}")));
    let report = resumed.report;

    let world = cloud.sim().read();
    if let Err(found) = endstate::check(&plan, &report, &before, &world) {
        problems.extend(found.into_iter().map(|p| format!("end state: {p}")));
    }
    let counted = Counted::of(&plan, &report, &before, &journal, &world);
    drop(world);
    let faulted = hits_and_requests(&cloud, cloud::fails_requests);
    Outcome {
        networking: cloud::networking(seed),
        counted,
        problems,
        kills,
        runs: resumed.runs + spawned as usize,
        faulted,
        took: started.elapsed(),
    }
}
