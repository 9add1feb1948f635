//! Settings and output conventions through the real binary: flags over
//! environment over cutover.toml, bad settings files refused with one line
//! and exit status 2, `-f`/`-c` on `cutover config show`, a quiet broken pipe.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const VARS: &[&str] =
    &["OS_CLOUD", "CUTOVER_OLD_REGION", "CUTOVER_NEW_REGION", "CUTOVER_CONFIG", "RUST_LOG", "NO_COLOR"];

/// `cutover` run in `dir`, with none of the caller's settings variables.
fn cutover(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.current_dir(dir);
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd
}

fn show_json(cmd: &mut Command) -> Value {
    let out = cmd.args(["config", "show", "-f", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(out: Output) -> String {
    assert_eq!(out.status.code(), Some(2), "exit 2");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn flags_over_environment_over_the_file_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cutover.toml"),
        "cloud = 'filecloud'\nold_region = 'FileOld'\nnew_region = 'FileNew'\n[sync]\nhost_map = 'hosts.yaml'\n",
    )
    .unwrap();

    let file_only = show_json(&mut cutover(dir.path()));
    assert_eq!(file_only["cloud"], "filecloud");
    assert_eq!(file_only["old_region"], "FileOld");
    assert_eq!(file_only["config_file"], "cutover.toml", "./cutover.toml is read when present");
    assert_eq!(file_only["sync.host_map"], "hosts.yaml");
    assert_eq!(file_only["limits.per_old_host"], 5);

    let env = show_json(cutover(dir.path()).env("OS_CLOUD", "envcloud").env("CUTOVER_OLD_REGION", "EnvOld"));
    assert_eq!((env["cloud"].as_str(), env["old_region"].as_str()), (Some("envcloud"), Some("EnvOld")));
    assert_eq!(env["new_region"], "FileNew");

    let flag = show_json(cutover(dir.path()).env("OS_CLOUD", "envcloud").args([
        "--os-cloud",
        "flagcloud",
        "--new-region",
        "FlagNew",
    ]));
    assert_eq!((flag["cloud"].as_str(), flag["new_region"].as_str()), (Some("flagcloud"), Some("FlagNew")));
    assert_eq!(flag["old_region"], "FileOld");
}

#[test]
fn a_named_settings_file_replaces_the_default_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cutover.toml"), "cloud = 'default'\n").unwrap();
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "cloud = 'other'\n[limits]\ntotal = 8\n").unwrap();
    let s = show_json(cutover(dir.path()).env("CUTOVER_CONFIG", &other));
    assert_eq!((s["cloud"].as_str(), s["limits.total"].as_u64()), (Some("other"), Some(8)));
    let s = show_json(cutover(dir.path()).env("CUTOVER_CONFIG", "/nonexistent").arg("--config").arg(&other));
    assert_eq!(s["config_file"].as_str(), other.to_str(), "--config wins over CUTOVER_CONFIG");
}

#[test]
fn without_a_file_nothing_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let s = show_json(&mut cutover(dir.path()));
    assert_eq!((&s["config_file"], &s["cloud"], &s["old_region"]), (&Value::Null, &Value::Null, &Value::Null));
}

#[test]
fn bad_settings_files_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cutover.toml"), "cloud = 'c'\nold_regoin = 'A'\n").unwrap();
    let e = refused(cutover(dir.path()).args(["config", "show"]).output().unwrap());
    assert!(e.starts_with("cutover: error: settings file cutover.toml:2:1: unknown field `old_regoin`"), "{e}");

    std::fs::write(dir.path().join("cutover.toml"), "[limits\ntotal = 3\n").unwrap();
    let e = refused(cutover(dir.path()).args(["config", "show"]).output().unwrap());
    assert!(e.starts_with("cutover: error: settings file cutover.toml:1:"), "{e}");

    let e = refused(cutover(dir.path()).args(["config", "show", "--config", "/nonexistent/c.toml"]).output().unwrap());
    assert!(e.starts_with("cutover: error: cannot read settings file /nonexistent/c.toml"), "{e}");
}

#[test]
fn the_same_region_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = cutover(dir.path())
        .env("CUTOVER_OLD_REGION", "RegionOne")
        .args(["config", "show", "--new-region", "RegionOne"])
        .output()
        .unwrap();
    assert!(refused(out).contains("both 'RegionOne'"));
}

#[test]
fn formats_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = cutover(dir.path()).args(["config", "show", "--os-cloud", "prod"]).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(&["-c", "cloud", "-c", "limits.per_new_host"]),
        concat!(
            "+---------------------+-------+\n",
            "| Field               | Value |\n",
            "+---------------------+-------+\n",
            "| cloud               | prod  |\n",
            "| limits.per_new_host | 10    |\n",
            "+---------------------+-------+\n",
        )
    );
    assert_eq!(run(&["-f", "yaml", "-c", "cloud"]), "cloud: prod\n");
    assert_eq!(run(&["--format", "csv", "--column", "cloud", "--column", "old_region"]), "cloud,old_region\nprod,\n");

    let e = refused(cutover(dir.path()).args(["config", "show", "-c", "nope"]).output().unwrap());
    assert!(e.contains("no column 'nope'; the columns are 'config_file', 'cloud'"), "{e}");
}

#[test]
fn help_documents_the_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let out = cutover(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Exit statuses:") && help.contains("3  checks ran and at least one failed"), "{help}");
    assert!(help.contains("--os-cloud <NAME>") && help.contains("-f, --format <FORMAT>"), "{help}");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // The reader (`true`) is gone before cutover, started 0.3 s later, writes.
    let script =
        r#"set -o pipefail; (sleep 0.3; exec "$0" config show -f json) | true; echo "status ${PIPESTATUS[0]}""#;
    let dir = tempfile::tempdir().unwrap();
    let mut bash = Command::new("bash");
    VARS.iter().for_each(|v| {
        bash.env_remove(v);
    });
    let out = bash.args(["-c", script, env!("CARGO_BIN_EXE_cutover")]).current_dir(dir.path()).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "status 0\n", "{stderr}");
    assert_eq!(stderr, "");
}
