/*!
Getting a simulated cloud ready for `cutover run`, as an operator does and
as `cutover demo` does: `sync` with a host map, then `plan` with strategy
rules into `plan.yaml`; and running the plan with the real binary.
*/

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use cutover_core::plan::Plan;
use cutover_sim::Scenario;
use serde_json::Value;

use super::kill::{kill_at, Moment};
use super::SimCloud;

/// The demo's host map (see `cutover demo`): old-3's zone, with the spare
/// kept for rollbacks, lands on new-3, the host whose boots fail.
pub const DEMO_HOST_MAP: &str = "old-1: new-1\nold-2: new-1\nold-3: new-3\nold-spare: new-3\n";
/// The demo's rule: servers marked stateless are redeployed from their image.
pub const DEMO_RULE: &str = "metadata=stateless=true:redeploy";
/// The demo scenario's server whose boot fails (on new-3): rolled back.
pub const FAILING_SERVER: &str = "legacy-1";

/// The demo scenario with only the servers named (the volumes and floating
/// IPs of the others stay, unattached).
pub fn demo_with(servers: &[&str]) -> Scenario {
    let mut scenario = Scenario::demo();
    for region in &mut scenario.regions {
        region.servers.retain(|s| servers.contains(&s.name.as_str()));
    }
    scenario
}

/// The demo scenario with room in RegionTwo for every server at once (a
/// host like the old ones, new-2), for runs that hand no host off: the
/// demo's own new region holds part of the servers only, the rest waiting
/// for the old hosts to join it.
pub fn roomy(mut scenario: Scenario) -> Scenario {
    let region = scenario.regions.iter_mut().find(|r| r.name == "RegionTwo").expect("the demo's RegionTwo");
    let host = "{name: new-2, vcpus: 32, memory_mb: 131072, disk_gb: 2000}";
    region.hosts.push(yaml_serde::from_str(host).expect("a host spec"));
    scenario
}

/// `cutover sync --host-map` then `cutover plan -o plan.yaml`; the plan.
pub fn sync_and_plan(cloud: &SimCloud, host_map: &str, rules: &[&str], migration: &str) -> Plan {
    std::fs::write(cloud.dir().join("hosts.yaml"), host_map).expect("host map written");
    let sync = cloud.run(&["sync", "--host-map", "hosts.yaml"]);
    assert_eq!(sync.status.code(), Some(0), "cutover sync: {}", String::from_utf8_lossy(&sync.stderr));
    let mut args = vec!["plan", "-o", "plan.yaml", "--force", "--migration", migration];
    for rule in rules {
        args.extend(["--strategy", rule]);
    }
    let plan = cloud.run(&args);
    assert_eq!(plan.status.code(), Some(0), "cutover plan: {}", String::from_utf8_lossy(&plan.stderr));
    read_plan(cloud)
}

pub fn read_plan(cloud: &SimCloud) -> Plan {
    let text = std::fs::read_to_string(cloud.dir().join("plan.yaml")).expect("plan.yaml read");
    yaml_serde::from_str(&text).expect("plan.yaml parses")
}

/// `cutover run plan.yaml` with the journal `journal.db`, watching the
/// simulator closely (`--poll-min 0.05`), report as JSON on stdout.
pub fn run_command(cloud: &SimCloud, extra: &[&str]) -> std::process::Command {
    let mut cmd = cloud.cutover();
    cmd.args(["run", "plan.yaml", "--journal", "journal.db", "--poll-min", "0.05", "--poll-max", "1", "-f", "json"])
        .args(extra);
    cmd
}

/// `cutover run` to its end: its exit status and report.
pub fn run_to_end(cloud: &SimCloud, extra: &[&str]) -> (Output, Value) {
    let (out, report) = try_run(cloud, extra);
    let report = report.unwrap_or_else(|| {
        panic!(
            "cutover run (exit {:?}) printed no JSON report: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, report)
}

/// `cutover run` to its end; no report when it stopped before running
/// the plan (e.g. a cloud that could not be reached: exit 1).
pub fn try_run(cloud: &SimCloud, extra: &[&str]) -> (Output, Option<Value>) {
    let out = run_command(cloud, extra).output().expect("cutover run starts");
    let report = serde_json::from_slice(&out.stdout).ok();
    (out, report)
}

/// What [`run_until`] saw.
#[derive(Debug)]
pub struct Resumed {
    pub runs: usize,
    /// The last report (`Null` when no run got to the plan).
    pub report: Value,
    /// Runs that ended otherwise than the README's exit statuses say: one
    /// that stopped before running the plan (a cloud failing at the start)
    /// prints one error line and exits 1; one that ran it exits 0, or 1 or
    /// 3 when servers are left.
    pub wrong_exits: Vec<String>,
}

/// `cutover run` run again, as an operator would, until its report is
/// `settled`, at most `runs` times; a run still going after `limit` is
/// killed, a wrong exit.
pub fn run_until(
    cloud: &SimCloud,
    extra: &[&str],
    (runs, limit): (usize, Duration),
    settled: impl Fn(&Value) -> bool,
) -> Resumed {
    let mut resumed = Resumed { runs: 0, report: Value::Null, wrong_exits: Vec::new() };
    while resumed.runs < runs {
        resumed.runs += 1;
        let (killed, out, last) = try_run_within(cloud, extra, limit);
        if killed {
            let name = cloud.dir().file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let kept = cloud.keep(&format!("{name}-run-{}", resumed.runs));
            resumed.wrong_exits.push(format!("still going after {limit:?}: killed (kept in {})", kept.display()));
            continue;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("cutover: error:")).collect();
        let code = out.status.code();
        let Some(last) = last else {
            if code != Some(1) || errors.len() != 1 {
                resumed.wrong_exits.push(format!("no report, exit {code:?}: {}", stderr.trim()));
            }
            continue;
        };
        resumed.report = last;
        let done = settled(&resumed.report);
        if !matches!((done, code), (true, Some(0 | 3)) | (false, Some(1 | 3))) {
            resumed.wrong_exits.push(format!("exit {code:?}, servers settled: {done}: {}", errors.join(" / ")));
        }
        if done {
            break;
        }
    }
    resumed
}

/// [`try_run`], killed (SIGKILL) if it has not ended after `limit`: a run
/// that hangs. Whether it was killed, its output (stdout and stderr go
/// through files in the cloud's directory, which a large report cannot
/// fill as it can a pipe) and its report.
pub fn try_run_within(cloud: &SimCloud, extra: &[&str], limit: Duration) -> (bool, Output, Option<Value>) {
    let (stdout, stderr) = (cloud.dir().join("run.stdout"), cloud.dir().join("run.stderr"));
    let file = |path: &PathBuf| File::create(path).expect("an output file created");
    let mut child = run_command(cloud, extra)
        .stdin(Stdio::null())
        .stdout(file(&stdout))
        .stderr(file(&stderr))
        .spawn()
        .expect("cutover run starts");
    let killed = kill_at(&mut child, &Moment::After(limit));
    let status = child.wait().expect("cutover run's status");
    let read = |path: &PathBuf| std::fs::read(path).expect("an output file read");
    let out = Output { status, stdout: read(&stdout), stderr: read(&stderr) };
    let report = serde_json::from_slice(&out.stdout).ok();
    (killed, out, report)
}

/// `cutover run` started in the background, its report discarded, what
/// it says on stderr added to `spawned.stderr` in the cloud's directory.
pub fn spawn_run(cloud: &SimCloud, extra: &[&str]) -> Child {
    let stderr = File::options().create(true).append(true).open(cloud.dir().join("spawned.stderr"));
    run_command(cloud, extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr.expect("spawned.stderr opened"))
        .spawn()
        .expect("cutover run starts")
}
