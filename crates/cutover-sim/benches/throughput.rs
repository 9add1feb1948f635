//! Simulator throughput on loopback: requests per second and latency for
//! token validation, `server show`, and `servers/detail` over 1,000
//! servers, with concurrent clients.
//!
//! `cargo bench -p cutover-sim --bench throughput` (env: `BENCH_SECS`,
//! default 5 per case; `BENCH_CLIENTS`, default 16). Client and server share
//! the machine's cores, so the figures are a lower bound for the server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutover_sim::model::compute::Networking;
use cutover_sim::{generate, GenerateOptions, RunningSim};
use serde_json::json;

struct Case {
    name: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let secs = env_or("BENCH_SECS", 5);
    let clients = env_or("BENCH_CLIENTS", 16) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(Duration::from_secs(secs), clients));
}

async fn run(duration: Duration, clients: usize) {
    let scenario = generate(&GenerateOptions {
        hosts: 50,
        servers: 1000,
        new_hosts: None,
        networking: Networking::Neutron,
        seed: 1,
    });
    let sim = RunningSim::start("127.0.0.1:0".parse().unwrap(), &scenario, Some(0.0)).await.expect("simulator starts");
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let token = admin_token(&http, &base).await;
    let server_id = sim.sim.world().compute["RegionOne"].servers.keys().next().cloned().expect("a server");
    let auth = ("x-auth-token", token.clone());
    let cases = [
        Case {
            name: "token validation",
            path: "/v3/auth/tokens?nocatalog".into(),
            headers: vec![auth.clone(), ("x-subject-token", token.clone())],
        },
        Case {
            name: "server show",
            path: format!("/compute/RegionOne/v2.1/servers/{server_id}"),
            headers: vec![auth.clone(), ("openstack-api-version", "compute 2.96".into())],
        },
        Case {
            name: "servers/detail, 1,000 servers",
            path: "/compute/RegionOne/v2.1/servers/detail?all_tenants=1&limit=1000".into(),
            headers: vec![auth.clone(), ("openstack-api-version", "compute 2.96".into())],
        },
    ];
    println!("{clients} concurrent clients, {} s per case, loopback", duration.as_secs());
    println!("{:<32} {:>10} {:>10} {:>10} {:>10}", "case", "req/s", "p50 ms", "p99 ms", "errors");
    for case in &cases {
        check_once(&http, &base, case).await;
        let (count, errors, mut latencies) = load(&http, &base, case, clients, duration).await;
        latencies.sort_unstable();
        let pct = |p: f64| latencies.get(((latencies.len() as f64) * p) as usize).copied().unwrap_or_default();
        println!(
            "{:<32} {:>10.0} {:>10.2} {:>10.2} {:>10}",
            case.name,
            count as f64 / duration.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            errors
        );
    }
    sim.stop().await.expect("simulator stops");
}

async fn admin_token(http: &reqwest::Client, base: &str) -> String {
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": "secret"}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}});
    let resp = http.post(format!("{base}/v3/auth/tokens")).json(&body).send().await.expect("token request");
    resp.headers()["x-subject-token"].to_str().expect("ascii token").to_string()
}

fn request(http: &reqwest::Client, base: &str, case: &Case) -> reqwest::RequestBuilder {
    case.headers.iter().fold(http.get(format!("{base}{}", case.path)), |r, (k, v)| r.header(*k, v))
}

/// One request first, so a broken case fails loudly instead of measuring errors.
async fn check_once(http: &reqwest::Client, base: &str, case: &Case) {
    let resp = request(http, base, case).send().await.expect("request");
    assert!(resp.status().is_success(), "{}: {} {}", case.name, resp.status(), resp.text().await.unwrap_or_default());
}

async fn load(
    http: &reqwest::Client,
    base: &str,
    case: &Case,
    clients: usize,
    duration: Duration,
) -> (u64, u64, Vec<Duration>) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, stop) = (http.clone(), stop.clone());
        let req = request(&http, base, case);
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let resp = req.try_clone().expect("cloneable request").send().await;
                let success = match resp {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if success {
                    ok += 1;
                    latencies.push(started.elapsed());
                } else {
                    errors += 1;
                }
            }
            (ok, errors, latencies)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = (0, 0, Vec::new());
    for t in tasks {
        let (ok, errors, latencies) = t.await.expect("client task");
        total.0 += ok;
        total.1 += errors;
        total.2.extend(latencies);
    }
    total
}
