//! The figures issue 5 asks of a whole migration on the simulator: API
//! calls per moved server, tool-added time per server (downtime minus the
//! simulator's own step durations) and the makespan against the lower bound
//! the concurrency limits set.
//!
//! `cargo bench -p cutover-cli --bench migrate` (env: `BENCH_SCENARIO=demo`
//! for the demo's cloud, else a generated one of `BENCH_SERVERS` servers,
//! default 1,000, on `BENCH_HOSTS` old hosts, default 40; `BENCH_SCALE`,
//! the simulator's time scale, default 0.05; `BENCH_PER_NEW_HOST`, boots
//! at once per new host, default the engine's).
//!
//! Sync and plan run through the real `cutover` binary; the run is the
//! engine in this process, as `cutover demo` runs it, so that its polling
//! can follow the simulator's scaled time (the binary polls at most once a
//! second, which suits real clouds but would dwarf scaled steps).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutover_core::machine::Strategy;
use cutover_core::model::ServerStatus;
use cutover_core::plan::Plan;
use cutover_engine::{Clock, Engine, Limits, OpenStackDriver, Opened, Options, PollPolicy, Report};
use cutover_sim::clock::TimeModel;
use cutover_sim::model::compute::Networking;
use cutover_sim::{clouds_yaml, generate, GenerateOptions, RunningSim, Scenario};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The demo's cloud with room in RegionTwo for every server at once (new-2,
/// a host like the old ones): the bench hands no host off, and the demo's
/// own new region holds part of the servers only.
fn roomy_demo() -> Scenario {
    let mut scenario = Scenario::demo();
    let region = scenario.regions.iter_mut().find(|r| r.name == "RegionTwo").expect("the demo's RegionTwo");
    let host = "{name: new-2, vcpus: 32, memory_mb: 131072, disk_gb: 2000}";
    region.hosts.push(yaml_serde::from_str(host).expect("a host spec"));
    scenario
}

fn main() {
    let scale: f64 = env_or("BENCH_SCALE", 0.05);
    let demo = std::env::var("BENCH_SCENARIO").is_ok_and(|s| s == "demo");
    let (scenario, rules) = if demo {
        (roomy_demo(), vec!["--strategy", "metadata=stateless=true:redeploy"])
    } else {
        let options = GenerateOptions {
            hosts: env_or("BENCH_HOSTS", 40),
            servers: env_or("BENCH_SERVERS", 1000),
            new_hosts: None,
            networking: Networking::Neutron,
            seed: 1,
        };
        (generate(&options), Vec::new())
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let running = runtime
        .block_on(RunningSim::start(([127, 0, 0, 1], 0).into(), &scenario, Some(scale)))
        .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("temporary directory");
    let admin = scenario.users.iter().find(|u| u.name == "admin").expect("an admin user");
    let regions: Vec<&str> = scenario.regions.iter().map(|r| r.name.as_str()).collect();
    let project = admin.project.as_deref().unwrap_or("admin");
    let yaml = clouds_yaml(&running.auth_url(), &regions, &admin.name, &admin.password, project);
    std::fs::write(dir.path().join("clouds.yaml"), yaml).expect("clouds.yaml");

    let host_map = cutover(dir.path(), &["sync", "--print-host-map"]);
    std::fs::write(dir.path().join("hosts.yaml"), host_map).expect("host map");
    cutover(dir.path(), &["sync", "--host-map", "hosts.yaml"]);
    let mut plan_args = vec!["plan", "-o", "plan.yaml", "--migration", "bench"];
    plan_args.extend(&rules);
    cutover(dir.path(), &plan_args);

    let plan: Plan = yaml_serde::from_str(&std::fs::read_to_string(dir.path().join("plan.yaml")).expect("plan"))
        .expect("the plan parses");
    let per_new_host = env_or("BENCH_PER_NEW_HOST", Limits::default().per_new_host);
    let limits = Limits { per_new_host, ..Limits::default() };
    let sim = running.sim.clone();
    sim.reset_request_counts();
    let started = Instant::now();
    let report = runtime.block_on(run(&plan, &dir.path().join("journal.db"), dir.path(), limits, scale));
    let makespan = started.elapsed();
    let counts = sim.request_counts();
    let requests: u64 = counts.values().sum();
    let time = sim.read().time.clone();
    let disks = root_disks(&sim, &plan);
    let new_hosts = sim.read().compute[plan.clouds.new_region.as_str()]
        .services
        .values()
        .filter(|s| s.binary == "nova-compute" && !s.disabled)
        .count();
    runtime.block_on(running.stop()).expect("the simulator stops");

    print_figures(&plan, &report, &Figures { requests, makespan, time, disks, limits, new_hosts, scale });
    let mut routes: Vec<_> = counts.into_iter().collect();
    routes.sort_by_key(|r| std::cmp::Reverse(r.1));
    println!(
        "busiest routes: {}",
        routes.iter().take(8).map(|(r, n)| format!("{n} {r}")).collect::<Vec<_>>().join(", ")
    );
}

/// Runs `cutover ARGS` in `dir` against its clouds.yaml; its stdout.
fn cutover(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .current_dir(dir)
        .env("OS_CLIENT_CONFIG_FILE", dir.join("clouds.yaml"))
        .env("OS_CLOUD", "sim")
        .env("CUTOVER_OLD_REGION", "RegionOne")
        .env("CUTOVER_NEW_REGION", "RegionTwo")
        .env("HOME", dir)
        .output()
        .expect("cutover runs");
    // `sync` exits 3 when some resource cannot be made equal; the bench
    // goes on as an operator would after reading its report.
    assert!(matches!(out.status.code(), Some(0 | 3)), "cutover {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

async fn run(plan: &Plan, journal: &Path, dir: &Path, limits: Limits, scale: f64) -> Report {
    let opened = Opened::open(plan, journal).expect("journal");
    let profile = cutover_cloud::Profile::resolve_in(Some("sim"), Some(&dir.join("clouds.yaml")), None)
        .expect("the sim cloud resolves");
    let driver = OpenStackDriver::connect(
        &profile,
        &plan.clouds.old_region,
        &plan.clouds.new_region,
        cutover_cloud::RetryPolicy::default(),
    )
    .await
    .expect("both regions connect");
    // Polled as much faster as the simulator runs, as `cutover demo` does.
    let poll = PollPolicy {
        min: Duration::from_secs_f64((scale * 10.0).clamp(0.05, 1.0)),
        max: Duration::from_secs_f64((scale * 60.0).clamp(0.2, 30.0)),
    };
    let options = Options { limits, poll, ..Options::default() };
    let engine = Engine::start(plan.clone(), opened, Arc::new(driver), options, Clock::system()).expect("engine");
    engine.run(&mut |_| {}, std::future::pending()).await.expect("the run ends")
}

/// Each planned server's root disk in GB, as the simulator times snapshots.
fn root_disks(sim: &cutover_sim::Sim, plan: &Plan) -> BTreeMap<String, f64> {
    let world = sim.read();
    let flavors = &world.compute[plan.clouds.old_region.as_str()].flavors;
    plan.servers()
        .map(|(_, s)| {
            let gb = flavors.get(s.server.flavor_id.as_str()).map_or(0, |f| f.disk_gb).max(1);
            (s.server.id.to_string(), gb as f64)
        })
        .collect()
}

struct Figures {
    requests: u64,
    makespan: Duration,
    time: TimeModel,
    disks: BTreeMap<String, f64>,
    limits: Limits,
    /// Compute hosts of the new region: the build slots are per host.
    new_hosts: usize,
    scale: f64,
}

/// The simulator's own time (unscaled seconds) for a server's steps from
/// its stop to its verified rebuild, one after the other as the route
/// runs them; and the part of it spent booting in the new region.
fn simulated_secs(plan: &Plan, id: &str, f: &Figures) -> (f64, f64) {
    let (_, planned) = plan.servers().find(|(_, s)| s.server.id == id).expect("planned");
    let t = &f.time;
    let volumes = planned.server.data_volumes().next().is_some();
    let io = if volumes { t.volume_detach_secs + t.volume_attach_secs } else { 0.0 };
    let stop = if planned.server.status == ServerStatus::Shutoff { 0.0 } else { t.stop_secs };
    let copy = match planned.strategy {
        Strategy::Snapshot => (t.snapshot_secs_per_gb + t.image_upload_secs_per_gb) * f.disks[id],
        _ => 0.0,
    };
    let delete = if planned.strategy == Strategy::Redeploy { 0.0 } else { t.delete_secs };
    (stop + copy + io + delete + t.boot_secs, t.boot_secs)
}

fn print_figures(plan: &Plan, report: &Report, f: &Figures) {
    let moved: Vec<_> = report.servers.iter().filter(|s| s.new_id.is_some() && s.reason.is_none()).collect();
    println!(
        "{} servers: {} moved, {} rolled back, {} failed, {} held",
        report.totals.servers, report.totals.moved, report.totals.rolled_back, report.totals.failed, report.totals.held
    );
    println!(
        "API calls: {} requests seen by the simulator during the run = {:.1} per moved server (the report's own count: {:.1})",
        f.requests,
        f.requests as f64 / report.totals.moved.max(1) as f64,
        report.totals.api_calls_per_moved_server.unwrap_or(0.0)
    );
    let mut added: Vec<f64> = moved
        .iter()
        .filter_map(|s| Some(s.downtime_secs? as f64 - simulated_secs(plan, &s.old_id, f).0 * f.scale))
        .collect();
    added.sort_by(f64::total_cmp);
    if !added.is_empty() {
        let mean = added.iter().sum::<f64>() / added.len() as f64;
        let pct = |p: f64| added[((added.len() - 1) as f64 * p).round() as usize];
        println!(
            "tool-added time per server (downtime - simulated steps, {} servers, at time scale {}): mean {mean:.2} s, median {:.2} s, p95 {:.2} s, max {:.2} s (downtime is journaled in whole seconds)",
            added.len(),
            f.scale,
            pct(0.5),
            pct(0.95),
            pct(1.0)
        );
    }
    let bound = lower_bound(plan, f);
    println!(
        "makespan {:.1} s; lower bound from the limits (per old host {}, boots per new host {} on {} hosts) {:.1} s: {:.2}x",
        f.makespan.as_secs_f64(),
        f.limits.per_old_host,
        f.limits.per_new_host,
        f.new_hosts,
        bound,
        f.makespan.as_secs_f64() / bound.max(f64::EPSILON)
    );
}

/// No schedule can beat the longest single move, any old host's moves
/// spread over its slots, or all the boots spread over the new region's
/// build slots (scaled seconds).
fn lower_bound(plan: &Plan, f: &Figures) -> f64 {
    let mut per_host: BTreeMap<&str, f64> = BTreeMap::new();
    let (mut longest, mut boots) = (0.0f64, 0.0);
    for (_, planned) in plan.servers().filter(|(_, s)| s.strategy != Strategy::Wait) {
        let (secs, boot) = simulated_secs(plan, &planned.server.id, f);
        longest = longest.max(secs);
        boots += boot;
        *per_host.entry(planned.server.host.as_str()).or_default() += secs;
    }
    let host = per_host.values().fold(0.0f64, |a, b| a.max(*b)) / f.limits.per_old_host as f64;
    let builds = boots / (f.limits.per_new_host * f.new_hosts.max(1)) as f64;
    longest.max(host).max(builds) * f.scale
}
