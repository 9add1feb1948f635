/*!
Issue 15's bad inputs, each as a hostile operator would give it: one line
on stderr, the exit status of the README's table, no secret, and no change
to either region. The table itself is checked against `cutover --help`
and against a command ending with each status.
*/

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};

use crate::util::SimCloud;

const PASSWORD: &str = "S3cret-Passw0rd-42";

/// stderr of a finished command: exactly one line, the error, and the exit
/// status `code`; the line is returned.
fn only_line(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "stdout: {}\nstderr: {stderr}", String::from_utf8_lossy(&out.stdout));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {stderr}");
    assert!(lines[0].starts_with("cutover: error: "), "{stderr}");
    lines[0].to_string()
}

/// Everything both regions and the shared services hold (not Keystone's
/// tokens, which every authentication adds).
fn regions(cloud: &SimCloud) -> Value {
    let w = cloud.sim().read();
    json!({"compute": w.compute, "image": w.image, "network": w.network, "volume": w.volume})
}

/// The requests the simulator answered, all endpoints together.
fn requests(cloud: &SimCloud) -> u64 {
    cloud.sim().request_counts().values().sum()
}

/// A clouds.yaml entry for `sim` whose `password:` line is `line` (the
/// rest as the simulator's own clouds.yaml has it).
fn clouds_with_password_line(cloud: &SimCloud, line: &str) -> String {
    format!(
        "clouds:\n  sim:\n    auth:\n      auth_url: {}\n      username: admin\n{line}\n      project_name: admin\n      \
         user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n",
        cloud.auth_url()
    )
}

#[test]
fn a_broken_clouds_yaml_named_is_refused_by_file_and_line_never_its_password_nor_another_file() {
    let cloud = SimCloud::start();
    // ./clouds.yaml (the working directory) holds a good `sim`: a fallback
    // to it would authenticate and run.
    std::fs::copy(cloud.clouds_yaml(), cloud.dir().join("named.yaml")).unwrap();
    let broken = cloud.dir().join("broken.yaml");
    let variants = [
        // One level too deep, one too shallow: YAML syntax errors.
        clouds_with_password_line(&cloud, &format!("        password: {PASSWORD}")),
        clouds_with_password_line(&cloud, &format!("     password: {PASSWORD}")),
        // One level too shallow for `auth`'s block: the password becomes
        // `auth`'s value, which openstack_sdk quoted in its error log.
        format!("clouds:\n  sim:\n    auth:\n    {PASSWORD}\n    region_name: RegionOne\n"),
        format!("clouds:\n  sim:\n    auth: {PASSWORD}\n    region_name: RegionOne\n"),
        format!("clouds:\n  sim:\n    verify: {PASSWORD}\n"),
    ];
    for text in variants {
        std::fs::write(&broken, &text).unwrap();
        let out = cloud.cutover().env("OS_CLIENT_CONFIG_FILE", &broken).arg("preflight").output().unwrap();
        let line = only_line(&out, 2);
        assert!(line.contains("broken.yaml") && line.contains("line "), "{text}\n{line}");
        assert_eq!(line.matches("broken.yaml").count(), 1, "said once: {line}");
        assert!(!line.contains(PASSWORD) && !line.to_lowercase().contains(&PASSWORD.to_lowercase()), "{line}");
    }
    assert_eq!(requests(&cloud), 0, "no cloud was asked anything");
}

#[test]
fn a_binary_clouds_yaml_is_one_short_line() {
    let cloud = SimCloud::start();
    // Bytes that are valid UTF-8 (a YAML string of garbage) and bytes that are not.
    let garbage: Vec<u8> = (0u32..2400).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let printable: String = garbage.iter().map(|b| char::from(b % 64 + 48)).collect();
    for bytes in [garbage, printable.into_bytes()] {
        std::fs::write(cloud.clouds_yaml(), &bytes).unwrap();
        let line = only_line(&cloud.run(&["preflight"]), 2);
        assert!(line.contains("clouds.yaml") && line.len() < 300, "{} bytes: {line}", line.len());
    }
    assert_eq!(requests(&cloud), 0);
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_keystone_that_does_not_answer_is_one_line_and_exit_1_even_unquieted() {
    let cloud = SimCloud::start();
    let text = std::fs::read_to_string(cloud.clouds_yaml()).unwrap();
    let closed = format!("http://127.0.0.1:{}/v3", closed_port());
    std::fs::write(cloud.clouds_yaml(), text.replace(&cloud.auth_url(), &closed)).unwrap();
    for args in [&["preflight"][..], &["-q", "preflight"], &["plan"]] {
        let line = only_line(&cloud.run(args), 1);
        assert!(line.contains("try again") && line.contains(&format!("no answer from Keystone at {closed}")), "{line}");
        assert!(!line.contains("secret"), "{args:?}: {line}");
    }
    // Asked for, the library's own lines are there.
    let out = cloud.run(&["-v", "preflight"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("openstack_sdk"), "-v shows the library's logs");
}

fn not_executable(cloud: &SimCloud) -> String {
    let path = cloud.dir().join("not-executable.sh");
    std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
    path.display().to_string()
}

#[test]
fn upgrade_checks_its_hook_and_rules_before_its_first_phase() {
    let cloud = SimCloud::start();
    let before = regions(&cloud);
    let hook = not_executable(&cloud);
    let out = cloud.run(&["upgrade", "--plan", "plan.yaml", "--approve", "--on-host-empty", &hook]);
    let line = only_line(&out, 2);
    assert!(line.contains("--on-host-empty") && line.contains("not-executable.sh"), "{line}");
    let out = cloud.run(&["upgrade", "--plan", "plan.yaml", "--strategy", "host=old-1:teleport"]);
    assert!(only_line(&out, 2).contains("--strategy"));
    let out = cloud.run(&["upgrade", "--plan", "plan.yaml", "--zone-map", "no-equals-sign"]);
    assert!(only_line(&out, 2).contains("--zone-map"));
    assert_eq!(requests(&cloud), 0, "not even preflight ran");
    assert_eq!(regions(&cloud), before);
    assert!(!cloud.dir().join("plan.yaml").exists());
}

#[test]
fn a_huge_one_line_plan_file_is_one_bounded_line() {
    let cloud = SimCloud::start();
    let plan = cloud.dir().join("plan.yaml");
    let big = "x".repeat(50 << 20);
    for text in [big.clone(), format!("version: 1\nmigration: m1\nhosts: [{{name: {big}}}]\n")] {
        std::fs::write(&plan, text).unwrap();
        for args in [&["plan", "--show"][..], &["plan", "--check"], &["run"]] {
            let out = cloud.cutover().args(args).arg(&plan).output().unwrap();
            let line = only_line(&out, 2);
            assert!(line.contains("plan.yaml") && line.len() < 600, "{args:?}: {} bytes", line.len());
        }
    }
    assert_eq!(requests(&cloud), 0);
    assert!(!cloud.dir().join("plan.journal").exists(), "no journal created");
}

#[test]
fn a_damaged_journal_is_bad_input_like_a_foreign_one() {
    let cloud = SimCloud::start();
    let out = cloud.run(&["plan", "-o", "plan.yaml", "--migration", "m1", "--zone-map", "az-fast="]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A real journal: the run's, then damaged past SQLite's 100-byte header.
    let out = cloud.run(&["run", "plan.yaml"]);
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 3), "{}", String::from_utf8_lossy(&out.stderr));
    let before = regions(&cloud);
    let journal = cloud.dir().join("plan.journal");
    let mut damaged = std::fs::read(&journal).unwrap();
    let half = damaged.len() / 2;
    for (i, byte) in damaged[100..half].iter_mut().enumerate() {
        *byte = (i as u32).wrapping_mul(2_246_822_519).to_be_bytes()[1];
    }
    for (bytes, said) in [(damaged, "damaged"), (b"not a database at all\n".repeat(200), "not SQLite")] {
        std::fs::write(&journal, &bytes).unwrap();
        for command in ["run", "status"] {
            let line = only_line(&cloud.run(&[command, "plan.yaml"]), 2);
            assert!(line.contains("plan.journal") && line.contains(said), "{line}");
        }
        assert_eq!(std::fs::read(&journal).unwrap(), bytes, "the journal left as it was");
    }
    assert_eq!(regions(&cloud), before, "nothing changed in either region");
}

/// The README's "Exit statuses" table: each status with its first words.
fn readme_statuses() -> Vec<(i32, String)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let table = readme.split("## Exit statuses").nth(1).expect("an Exit statuses section");
    table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse().ok()?;
            Some((code, cells.get(2)?.split(" (").next()?.to_string()))
        })
        .collect()
}

#[test]
fn exit_statuses_follow_the_readme_table() {
    let table = readme_statuses();
    assert_eq!(table.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [0, 1, 2, 3], "{table:?}");
    let help = String::from_utf8(SimCloud::start().run(&["--help"]).stdout).unwrap();
    for (code, meaning) in &table {
        assert!(help.contains(&format!("{code}  {meaning}")), "--help lacks `{code}  {meaning}`:\n{help}");
    }

    let cloud = SimCloud::start();
    // 0: success.
    assert_eq!(cloud.run(&["preflight"]).status.code(), Some(0));
    // 2: bad input (a flag, the settings file, a scenario), nothing changed.
    only_line(&cloud.run(&["plan", "--zone-map", "nonsense"]), 2);
    std::fs::write(cloud.dir().join("cutover.toml"), "[limits]\ntotal = \"many\"\n").unwrap();
    assert!(only_line(&cloud.run(&["preflight"]), 2).contains("limits.total"));
    std::fs::remove_file(cloud.dir().join("cutover.toml")).unwrap();
    std::fs::write(cloud.dir().join("s.yaml"), "regions: 5\n").unwrap();
    only_line(&cloud.run(&["sim", "--scenario", "s.yaml", "--print-scenario"]), 2);
    // 3: checks ran and one failed: a plan whose server is gone.
    let out = cloud.run(&["plan", "-o", "plan.yaml", "--zone-map", "az-fast="]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let gone = cloud.sim().read().compute["RegionOne"].servers.keys().next().cloned().unwrap();
    cloud.sim().world().compute.get_mut("RegionOne").unwrap().servers.remove(&gone);
    assert_eq!(cloud.run(&["plan", "--check", "plan.yaml"]).status.code(), Some(3));
    // 1: a cloud that does not answer (try again).
    let text = std::fs::read_to_string(cloud.clouds_yaml()).unwrap();
    let closed = format!("http://127.0.0.1:{}/v3", closed_port());
    std::fs::write(cloud.clouds_yaml(), text.replace(&cloud.auth_url(), &closed)).unwrap();
    only_line(&cloud.run(&["preflight"]), 1);
}
