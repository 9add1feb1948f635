//! Time and peak memory to generate and load a large scenario.
//!
//! `cargo bench -p cutover-sim --bench load` (env: `BENCH_HOSTS`, default
//! 5,000; `BENCH_SERVERS`, default 100,000). Peak memory is the process's
//! high-water mark (`VmHWM`), so it includes the generated scenario.

use std::time::Instant;

use cutover_sim::model::compute::Networking;
use cutover_sim::scenario::load;
use cutover_sim::{generate, GenerateOptions};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let (hosts, servers) = (env_or("BENCH_HOSTS", 5_000), env_or("BENCH_SERVERS", 100_000));
    for networking in [Networking::Neutron, Networking::NovaNetwork] {
        let started = Instant::now();
        let scenario = generate(&GenerateOptions { hosts, servers, new_hosts: None, networking, seed: 1 });
        let generated = started.elapsed();
        let started = Instant::now();
        let world = load(&scenario, "http://127.0.0.1:1", Some(0.0)).expect("generated scenarios load");
        let loaded = started.elapsed();
        let count = world.compute["RegionOne"].servers.len();
        assert_eq!(count, servers);
        println!(
            "{networking:?}: {hosts} hosts, {servers} servers: generate {:.2} s, load {:.2} s, peak RSS {:.0} MiB",
            generated.as_secs_f64(),
            loaded.as_secs_f64(),
            peak_rss_mib()
        );
    }
}
