//! `cutover env render` end to end on real-looking nova.conf files: the
//! diff (snapshot), the written file (only the listed keys differ, secrets
//! intact), and refusals that write nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ICEHOUSE: &str = "nova-icehouse.conf";
const MITAKA: &str = "nova-mitaka.conf";

/// Keys `env render` may change or add; every other line must survive.
const RENDERED_KEYS: &[&str] = &[
    "sql_connection",
    "connection",
    "metadata_host",
    "vncserver_proxyclient_address",
    "vncserver_listen",
    "server_proxyclient_address",
    "server_listen",
    "novncproxy_base_url",
    "cert_topic",
    "compute_topic",
    "console_topic",
    "consoleauth_topic",
    "notification_topics",
    "notifications_topic",
    "scheduler_topic",
    "topic",
    "conductor_topic",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs in the fixtures directory, so that the diff names files as given.
fn render(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .current_dir(fixtures())
        .args(["env", "render"])
        .args(args)
        .env_remove("CUTOVER_DATABASE_URL")
        .env_remove("CUTOVER_API_DATABASE_URL")
        .output()
        .unwrap()
}

const ICEHOUSE_ARGS: &[&str] = &[
    "--old",
    ICEHOUSE,
    "--database-url",
    "mysql://nova:N3w-DB-Pass@192.168.122.110/nova_juno",
    "--metadata-host",
    "192.168.122.198",
    "--vnc-address",
    "192.168.122.199",
    "--novncproxy-base-url",
    "http://192.168.122.198:6080/vnc_auto.html",
];

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A one-line refusal with exit status 2 and nothing on stdout.
fn refusal(out: &Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(out.stdout.is_empty());
    stderr
}

#[test]
fn icehouse_diff() {
    let diff = stdout(&render(&[ICEHOUSE_ARGS, &["--diff"]].concat()));
    assert!(!diff.contains("N3w-DB-Pass") && !diff.contains("N0va-DB-Pass"), "passwords hidden");
    insta::assert_snapshot!(diff);
}

#[test]
fn mitaka_diff() {
    let diff = stdout(&render(&[
        "--old",
        MITAKA,
        "--diff",
        "--database-url",
        "mysql+pymysql://nova:New-Main@db-new.cloud.example/nova",
        "--api-database-url",
        "mysql+pymysql://nova:New-Api@db-new.cloud.example/nova_api",
        "--metadata-host",
        "controller-new.cloud.example",
        "--vnc-address",
        "10.20.0.17",
        "--vnc-listen",
        "0.0.0.0",
        "--novncproxy-base-url",
        "https://console-new.cloud.example:6080/vnc_auto.html",
        "--topic-suffix",
        "_newton",
    ]));
    insta::assert_snapshot!(diff);
}

/// The written file differs from the old one only in the listed keys, and
/// keeps the secrets the diff hides.
#[test]
fn written_file_changes_only_the_listed_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nova.conf");
    let out = render(&[ICEHOUSE_ARGS, &["-o", path.to_str().unwrap()]].concat());
    assert!(stdout(&out).is_empty(), "without --diff, -o FILE prints nothing");
    let old = std::fs::read_to_string(fixtures().join(ICEHOUSE)).unwrap();
    let new = std::fs::read_to_string(&path).unwrap();
    let key = |line: &str| line.split_once('=').map(|(k, _)| k.trim().to_string());
    let (old_lines, new_lines): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let removed: Vec<&str> = old_lines.iter().copied().filter(|l| !new_lines.contains(l)).collect();
    let added: Vec<&str> = new_lines.iter().copied().filter(|l| !old_lines.contains(l)).collect();
    for line in removed.iter().chain(&added) {
        assert!(key(line).is_some_and(|k| RENDERED_KEYS.contains(&k.as_str())), "unexpected change: {line}");
    }
    assert_eq!(removed.len(), 9, "{removed:?}");
    assert_eq!(added.len(), 14, "{added:?}");
    assert!(new.contains("sql_connection=mysql://nova:N3w-DB-Pass@192.168.122.110/nova_juno\n"));
    assert!(new.contains("rabbit_password=R4bbit-Secret\n") && new.contains("admin_password=N0va-Keystone-Pass\n"));
}

#[test]
fn stdout_gets_the_file_without_diff() {
    let text = stdout(&render(ICEHOUSE_ARGS));
    assert!(text.starts_with("# /etc/nova/nova.conf on rdo-icehouse-compute-net0"));
    assert!(text.contains("compute_topic=compute_juno\n"));
}

#[test]
fn a_missing_value_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new-nova.conf");
    let out = render(&["--old", ICEHOUSE, "--metadata-host", "h", "--diff", "-o", path.to_str().unwrap()]);
    let e = refusal(&out);
    assert!(
        e.starts_with("cutover: error: nova-icehouse.conf: the old nova.conf sets [DEFAULT] sql_connection but no new database URL was given (--database-url"),
        "{e}"
    );
    assert!(!path.exists(), "output file not created");

    // An existing output file is left as it was.
    std::fs::write(&path, "keep me\n").unwrap();
    let out = render(&[ICEHOUSE_ARGS, &["--topic-suffix", "", "-o", path.to_str().unwrap()]].concat());
    assert!(refusal(&out).contains("the topic suffix is empty (--topic-suffix)"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
}

#[test]
fn the_old_database_and_the_old_file_are_refused() {
    let mut args = ICEHOUSE_ARGS.to_vec();
    args[3] = "mysql+pymysql://nova:other@192.168.122.110:3306/nova";
    let e = refusal(&render(&args));
    assert!(e.contains("names the same database as the old [DEFAULT] sql_connection"), "{e}");
    assert!(!e.contains("N0va-DB-Pass") && !e.contains("other@"), "no password in errors: {e}");

    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("nova.conf");
    std::fs::copy(fixtures().join(ICEHOUSE), &old).unwrap();
    let mut args = ICEHOUSE_ARGS.to_vec();
    args[1] = old.to_str().unwrap();
    let e = refusal(&render(&[&args[..], &["-o", old.to_str().unwrap()]].concat()));
    assert!(e.contains("refusing to overwrite the old nova.conf"), "{e}");
}

#[test]
fn unreadable_or_broken_input_is_refused() {
    let e = refusal(&render(&["--old", "/nonexistent/nova.conf", "--metadata-host", "h"]));
    assert!(e.starts_with("cutover: error: cannot read /nonexistent/nova.conf"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("nova.conf");
    std::fs::write(&old, "[DEFAULT]\nverbose=true\n[database\n").unwrap();
    let e = refusal(&render(&["--old", old.to_str().unwrap(), "--metadata-host", "h"]));
    assert!(e.ends_with("nova.conf: line 3: a section header must end with ']'\n"), "{e}");
}

/// oslo.config's own parser (`oslo_config.iniparser`, from the venv
/// `tools/test` installs) reads `path`: each key and its value, or the
/// parse error it raises.
fn oslo_reads(path: &Path) -> Result<Vec<(String, String)>, String> {
    let venv = std::env::var_os("CUTOVER_CONFORMANCE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/conformance-venv"));
    let python = venv.join("bin/python");
    assert!(python.exists(), "{} is missing: run tools/test (or tools/conformance/install)", python.display());
    let script = r#"
import json, sys
from oslo_config import iniparser
class Reader(iniparser.BaseParser):
    def __init__(self):
        self.found = []
    def new_section(self, section):
        pass
    def comment(self, comment):
        pass
    def assignment(self, key, value):
        self.found.append([key, "\n".join(value)])
reader = Reader()
try:
    with open(sys.argv[1]) as f:
        reader.parse(f)
except iniparser.ParseError as e:
    print(json.dumps({"error": str(e)}))
else:
    print(json.dumps({"found": reader.found}))
"#;
    let out = Command::new(python).args(["-c", script]).arg(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    match said.get("error") {
        Some(error) => Err(error.to_string()),
        None => Ok(serde_json::from_value(said["found"].clone()).unwrap()),
    }
}

/// Issue 15: a topic whose value oslo.config continues on the next line
/// used to come out with its suffixed last line unindented, a file
/// oslo.config rejects; its value is now the old one with the suffix.
#[test]
fn a_topic_continued_on_the_next_line_renders_as_oslo_config_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("nova.conf");
    let new = dir.path().join("nova-new.conf");
    std::fs::write(&old, "[DEFAULT]\ncompute_topic = compute\n   extra_line_of_topic\nscheduler_topic=scheduler\n")
        .unwrap();
    let old_value = oslo_reads(&old).unwrap();
    assert_eq!(old_value[0], ("compute_topic".to_string(), "compute\nextra_line_of_topic".to_string()));

    let out = render(&["--old", old.to_str().unwrap(), "-o", new.to_str().unwrap(), "--metadata-host", "10.0.0.2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = oslo_reads(&new).unwrap_or_else(|e| panic!("oslo.config rejects the rendered file: {e}"));
    let value = |key: &str| read.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(value("compute_topic"), Some("compute\nextra_line_of_topic_juno"));
    assert_eq!(value("scheduler_topic"), Some("scheduler_juno"));
    assert_eq!(value("metadata_host"), Some("10.0.0.2"));
}
