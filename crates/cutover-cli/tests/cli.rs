//! The `cutover` binary end to end: `cutover sim` serves, writes its
//! clouds.yaml, stops cleanly on SIGTERM, and refuses bad input with one
//! line and exit status 2; `cutover demo` runs the whole job on its own
//! simulator.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn cutover() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
}

/// A bare HTTP/1.1 GET, enough to see the simulator answer.
fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut stream = TcpStream::connect(authority).expect("connects");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn sim_serves_writes_clouds_yaml_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let clouds = dir.path().join("clouds.yaml");
    let mut child = cutover()
        .args(["sim", "--listen", "127.0.0.1:0", "--time-scale", "0", "--write-clouds-yaml"])
        .arg(&clouds)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cutover sim starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let auth_url = line.trim().to_string();
    assert!(auth_url.starts_with("http://127.0.0.1:") && auth_url.ends_with("/v3"), "{auth_url}");
    let yaml = std::fs::read_to_string(&clouds).unwrap();
    assert!(
        yaml.contains(&format!("auth_url: {auth_url}"))
            && yaml.contains("region_name: RegionOne")
            && yaml.contains("regions: [RegionOne, RegionTwo]"),
        "{yaml}"
    );
    assert!(http_get(&auth_url).starts_with("HTTP/1.1 200"));

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "clean stop on SIGTERM: {exit:?}");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("stopping"), "{stderr}");
}

fn refused(args: &[&str]) -> String {
    let out = cutover().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "exit 2 for {args:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(out.stdout.is_empty());
    stderr
}

#[test]
fn bad_input_is_refused_with_one_line() {
    let e = refused(&["sim", "--scenario", "/nonexistent/scenario.yaml"]);
    assert!(e.starts_with("cutover: error: cannot read scenario /nonexistent/scenario.yaml"), "{e}");
    let e = refused(&["sim", "--time-scale", "-1"]);
    assert!(e.contains("--time-scale must be a number >= 0"), "{e}");
    let e = refused(&["sim", "--listen", "0.0.0.0:0"]);
    assert!(e.contains("loopback only"), "{e}");
}

#[test]
fn bad_scenario_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, "regions:\n  - name: R1\n    servers:\n      - {name: a, project: nope, user: x, host: h, flavor: f, image: i}\n").unwrap();
    let e = refused(&["sim", "--scenario", path.to_str().unwrap()]);
    assert!(e.contains("unknown project 'nope'"), "{e}");
}

#[test]
fn generated_scenario_prints_as_yaml() {
    let out =
        cutover().args(["sim", "--hosts", "3", "--servers", "10", "--seed", "5", "--print-scenario"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("- name: vm-").count(), 10);
}

/// `cutover demo` end to end at time scale 0: exit 0, stdout is the runs'
/// reports alone (one JSON document, a list: the Neutron pair's first run
/// and its retry, then the nova-network run). Neutron: every server moved
/// but the one the scenario's fault hits, rolled back, then moved by a
/// second plan once new-3 is repaired; the new region has room for old-2's
/// servers alone at first, so old-1's wait until old-2 has been handed off
/// and joined it. Every old host is redeployed, joins the new region and
/// has its old record deleted; retire leaves no old Nova service.
// Long on purpose: one demo run (the slowest test) checked on every count it reports.
#[test]
fn demo_moves_every_server_recycles_every_host_and_retires_the_old_nova() {
    let out =
        cutover().args(["-f", "json", "demo", "--time-scale", "0"]).env("OS_CLOUD", "elsewhere").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {stderr}");
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let [report, retry, nova_network] = reports.as_array().unwrap().as_slice() else {
        panic!("three reports: {reports}")
    };
    assert_eq!((report["old_region"].as_str(), report["new_region"].as_str()), (Some("RegionOne"), Some("RegionTwo")));
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 30);
    for s in servers {
        let name = s["name"].as_str().unwrap();
        let wanted = if name == "legacy-1" { "rolled_back" } else { "moved" };
        assert_eq!(s["result"], wanted, "{name}: {s}");
        assert!(s["new_id"].is_string(), "{name} has a rebuild: {s}");
    }
    let legacy = servers.iter().find(|s| s["name"] == "legacy-1").unwrap();
    assert!(legacy["reason"].as_str().unwrap().contains("Failed to spawn on host new-3"), "{legacy}");
    let strategies =
        |servers: &[serde_json::Value], wanted: &str| servers.iter().filter(|s| s["strategy"] == wanted).count();
    assert_eq!(
        (strategies(servers, "snapshot"), strategies(servers, "volume"), strategies(servers, "redeploy")),
        (20, 4, 6)
    );
    let totals = &report["totals"];
    assert_eq!((totals["moved"].as_u64(), totals["rolled_back"].as_u64()), (Some(29), Some(1)));
    // old-3 keeps legacy-1, restored there, until the retry; the spare is
    // not handed off by the first run.
    assert_eq!(stages(report), [("old-3", "draining"), ("old-2", "retired-old"), ("old-1", "retired-old")]);
    assert_redeployed(report, "RegionTwo");

    assert_eq!(retry["migration"], "demo-retry");
    let servers = retry["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!((servers[0]["name"].as_str(), servers[0]["result"].as_str()), (Some("legacy-1"), Some("moved")));
    assert_eq!(stages(retry), [("old-3", "retired-old"), ("old-spare", "retired-old")]);
    assert_redeployed(retry, "RegionTwo");

    assert_eq!(
        (nova_network["old_region"].as_str(), nova_network["new_region"].as_str()),
        (Some("RegionThree"), Some("RegionFour"))
    );
    let servers = nova_network["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 7);
    assert!(servers.iter().all(|s| s["result"] == "moved"), "{servers:#?}");
    assert_eq!(
        (strategies(servers, "snapshot"), strategies(servers, "volume"), strategies(servers, "redeploy")),
        (4, 1, 2)
    );
    let mut hosts = stages(nova_network);
    hosts.sort();
    assert_eq!(hosts, [("net-old-1", "retired-old"), ("net-old-2", "retired-old")]);
    assert_redeployed(nova_network, "RegionFour");

    // The phases, the progress and the hosts' steps went to stderr.
    for phase in [
        "Neutron 1/7 preflight",
        "env verify",
        "sync",
        "plan",
        "Neutron 6/7 repair and retry",
        "Neutron 7/7 retire",
        "nova-network 5/6 run",
        "nova-network 6/6 retire",
        "What happened (nova-network)",
    ] {
        assert!(stderr.contains(phase), "stderr lacks {phase}: {stderr}");
    }
    assert!(stderr.contains("rolled back legacy-1"), "{stderr}");
    assert!(stderr.contains("7 fixed IPs asked for again at boot, 4 floating addresses"), "{stderr}");
    // Room for old-2's servers alone: old-1's wait until old-2 has joined.
    assert!(stderr.contains("waiting for room 15"), "{stderr}");
    let at = |what: &str| stderr.find(what).unwrap_or_else(|| panic!("stderr lacks {what}: {stderr}"));
    assert!(at("old-2 joined RegionTwo") < at("old-1 verified empty"), "{stderr}");
    assert!(at("old-2 joined RegionTwo") < at("old-1 joined RegionTwo"), "{stderr}");
    for retired in ["3 service(s) of RegionOne's Nova deleted", "4 service(s) of RegionThree's Nova deleted"] {
        assert!(stderr.contains(retired), "stderr lacks {retired}: {stderr}");
    }
    assert_eq!(stderr.matches("no old Nova service is left").count(), 2, "{stderr}");
}

/// Each old host a report lists, with its stage.
fn stages(report: &serde_json::Value) -> Vec<(&str, &str)> {
    let hosts = report["hosts"].as_array().unwrap_or_else(|| panic!("hosts in the report: {report}"));
    hosts.iter().map(|h| (h["host"].as_str().unwrap(), h["stage"].as_str().unwrap())).collect()
}

/// Every host a report has retired was redeployed into `new_region` by the
/// demo's hand-off.
fn assert_redeployed(report: &serde_json::Value, new_region: &str) {
    for host in report["hosts"].as_array().unwrap().iter().filter(|h| h["stage"] == "retired-old") {
        let name = host["host"].as_str().unwrap();
        let hook = host["hook"].as_str().unwrap_or_default();
        assert!(hook.starts_with(&format!("succeeded: {name} redeployed into {new_region}: ")), "{host}");
    }
}

/// The files in `dir` and their sizes: to see that nothing was written.
fn listing(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut files: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().to_string(), e.metadata().unwrap().len()))
        .collect();
    files.sort();
    files
}

/// The fuzzing of `commands::fuzz`, a few cases through the binary: each
/// parser's file broken three ways (binary bytes, a valid file cut short,
/// a megabyte on one line) is one bounded line, exit 2, nothing written.
#[test]
fn broken_input_files_through_the_binary_are_one_bounded_line_and_write_nothing() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read(root.join(path)).unwrap();
    let seeds: [(&str, Vec<u8>, &[&str]); 4] = [
        ("plan.yaml", read("tests/fixtures/plan-builtin.yaml"), &["plan", "--show", "FILE"]),
        ("scenario.yaml", read("../../examples/scenario.yaml"), &["sim", "--scenario", "FILE", "--print-scenario"]),
        (
            "nova.conf",
            read("tests/fixtures/nova-mitaka.conf"),
            &["env", "render", "--old", "FILE", "--metadata-host", "192.0.2.1", "-o", "new.conf"],
        ),
        ("cutover.toml", b"cloud = \"prod\"\n[limits]\ntotal = 20\n".to_vec(), &["--config", "FILE", "config", "show"]),
    ];
    let binary: Vec<u8> = (0u32..3000).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
    for (name, seed, args) in seeds {
        let cut_short = seed[..seed.len() * 2 / 3].iter().chain(b"\n  [{\"").copied().collect();
        let long_line = [&seed[..seed.len() / 2], &b"=[\"".repeat(1 << 20)[..]].concat();
        for (case, bytes) in [("binary", binary.clone()), ("cut short", cut_short), ("long line", long_line)] {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join(name);
            std::fs::write(&file, &bytes).unwrap();
            let before = listing(dir.path());
            let args: Vec<&str> = args.iter().map(|a| if *a == "FILE" { file.to_str().unwrap() } else { a }).collect();
            let out = cutover().current_dir(dir.path()).env_remove("OS_CLOUD").args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}, {case}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{name}, {case}: one line: {stderr}");
            assert!(stderr.len() < 1000 && !stderr.trim_end().contains(char::is_control), "{name}, {case}: {stderr}");
            assert_eq!(listing(dir.path()), before, "{name}, {case}: nothing written");
        }
    }
}

/// A rule or a zone mapping 96 KiB long, with control characters, is
/// quoted in at most 200 characters, before any cloud is asked.
#[test]
fn a_huge_flag_value_is_quoted_bounded() {
    let huge = format!("\u{1b}[2J{}:teleport", "h\"o\\st ".repeat(12_000));
    for flag in ["--strategy", "--zone-map"] {
        let dir = tempfile::tempdir().unwrap();
        let out =
            cutover().current_dir(dir.path()).env_remove("OS_CLOUD").args(["plan", flag, &huge]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{flag}: one line");
        assert!(stderr.starts_with(&format!("cutover: error: {flag}: bad")), "{flag}: {stderr}");
        assert!(stderr.len() < 1000 && !stderr.trim_end().contains(char::is_control), "{flag}: {stderr}");
    }
}

#[test]
fn completions_load_in_their_shells_and_know_every_command() {
    let script = |shell: &str| {
        let out = cutover().args(["completions", shell]).output().expect("runs");
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("text")
    };
    let bash = script("bash");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cutover.bash");
    std::fs::write(&file, &bash).unwrap();
    // Sourced by bash itself: the completion function is defined and
    // registered for `cutover`.
    let check = Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && declare -F _cutover && complete -p cutover", file.display()))
        .output()
        .expect("bash runs");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    assert!(String::from_utf8_lossy(&check.stdout).contains("-F _cutover cutover"), "{check:?}");
    for command in ["upgrade", "rollback", "retire", "completions", "man"] {
        assert!(bash.contains(command), "bash completes {command}");
    }
    assert!(script("zsh").starts_with("#compdef cutover"));
    assert!(script("fish").contains("complete -c cutover"));
    let tcsh = cutover().args(["completions", "tcsh"]).output().expect("runs");
    assert_eq!(tcsh.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&tcsh.stderr).starts_with("error: invalid value 'tcsh' for '<SHELL>'"));
}

#[test]
fn man_prints_the_page_and_writes_one_per_command() {
    let out = cutover().arg("man").output().expect("runs");
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH cutover 1"), "{page}");
    assert!(page.contains("parallel compute method"));
    let dir = tempfile::tempdir().unwrap();
    let out = cutover().arg("man").arg("--dir").arg(dir.path()).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for page in ["cutover.1", "cutover-run.1", "cutover-env-verify.1", "cutover-upgrade.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".ie") && text.contains(".TH"), "{page}");
    }
    let missing = dir.path().join("nowhere");
    let line = refused(&["man", "--dir", missing.to_str().unwrap()]);
    assert_eq!(line.trim_end(), format!("cutover: error: --dir {}: not a directory", missing.display()));
}
