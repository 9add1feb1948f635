/*!
Fuzzing of every parser of the operator's input, through the entry points
the commands use: the plan file, the scenario, cutover.toml, the host map,
nova.conf, clouds.yaml and secure.yaml. Random bytes and mutations of
valid files (the planner's own plan, `examples/scenario.yaml`, the nova.conf
fixtures) must each give a value or a one-line error quoting at most about
200 characters of the input, never a panic. Bounded: `CUTOVER_FUZZ_CASES`
cases per parser and generator (default 64), so it runs in every
`tools/test`.
*/

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;

/// The most an error may say: its own words and a few bounded quotes.
const MAX_ERROR: usize = 600;

/// A password planted in the clouds.yaml seeds, to be found in no error.
const PASSWORD: &str = "Fuzz-Pa55word-9d2c";

const PLAN: &str = include_str!("../../tests/fixtures/plan-builtin.yaml");
const SCENARIO: &str = include_str!("../../../../examples/scenario.yaml");
const NOVA_ICEHOUSE: &str = include_str!("../../tests/fixtures/nova-icehouse.conf");
const NOVA_MITAKA: &str = include_str!("../../tests/fixtures/nova-mitaka.conf");
const SETTINGS: &str = r#"cloud = "prod"
old_region = "RegionOne"
new_region = "RegionTwo"

[sync]
host_map = "hosts.yaml"   # relative to this file

[limits]
total = 20
per_old_host = 5
per_new_host = 10
per_project = 4

[plan]
rules = ["host=old-3:wait", "project=acme:redeploy"]
keep_snapshots = false
zone_map = { az-fast = "nova", az-old = "" }
"#;
const HOST_MAP: &str = "old-1: new-1\nold-2: new-1\nold-3: old-3     # same name\nold-4:\n";

fn clouds_yaml(password: bool) -> String {
    let password = if password { format!("      password: {PASSWORD}\n") } else { String::new() };
    format!(
        "clouds:\n  sim:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: admin\n{password}      \
         project_name: admin\n      user_domain_name: Default\n      project_domain_name: Default\n    \
         region_name: RegionOne\n    interface: public\n    identity_api_version: 3\n"
    )
}

fn secure_yaml() -> String {
    format!("clouds:\n  sim:\n    auth:\n      password: {PASSWORD}\n")
}

/// A fixed seed, so that every run of the suite tries the same inputs and
/// a failure is one to reproduce; `CUTOVER_FUZZ_SEED` explores others.
fn config() -> ProptestConfig {
    let cases = std::env::var("CUTOVER_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64);
    let seed = std::env::var("CUTOVER_FUZZ_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0xf022);
    ProptestConfig {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// What a slip of the hand, a bad editor or a hostile operator does to a file.
#[derive(Debug, Clone)]
enum Edit {
    Delete {
        at: Index,
        len: usize,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Replace {
        at: Index,
        byte: u8,
    },
    Truncate {
        at: Index,
    },
    /// A line indented more or less (the YAML slip of issue 15).
    Indent {
        line: Index,
        by: i8,
    },
    DuplicateLine {
        line: Index,
    },
    /// A piece repeated: long lines and large files.
    Repeat {
        at: Index,
        len: usize,
        times: usize,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), 1usize..64).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<Index>(), prop::sample::select(&b":-[]{}#\"'`=\n\t \\\0|>&*!%@,"[..]))
            .prop_map(|(at, byte)| Edit::Replace { at, byte }),
        any::<Index>().prop_map(|at| Edit::Truncate { at }),
        (any::<Index>(), -4i8..5).prop_map(|(line, by)| Edit::Indent { line, by }),
        any::<Index>().prop_map(|line| Edit::DuplicateLine { line }),
        (any::<Index>(), 1usize..40, 2usize..3000).prop_map(|(at, len, times)| Edit::Repeat { at, len, times }),
    ]
}

fn apply(seed: &str, edits: &[Edit]) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    for edit in edits {
        let at = |i: &Index, bytes: &Vec<u8>| i.index(bytes.len() + 1);
        match edit {
            Edit::Delete { at: i, len } => {
                let start = at(i, &bytes);
                let end = (start + len).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::Insert { at: i, bytes: new } => {
                let start = at(i, &bytes);
                bytes.splice(start..start, new.iter().copied());
            }
            Edit::Replace { at: i, byte } => {
                if !bytes.is_empty() {
                    let i = i.index(bytes.len());
                    bytes[i] = *byte;
                }
            }
            Edit::Truncate { at: i } => bytes.truncate(at(i, &bytes)),
            Edit::Indent { line, by } => {
                let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                let i = line.index(lines.len());
                let line = &mut lines[i];
                if *by >= 0 {
                    line.splice(0..0, std::iter::repeat_n(b' ', *by as usize));
                } else {
                    let spaces = line.iter().take_while(|b| **b == b' ').count().min(by.unsigned_abs() as usize);
                    line.drain(..spaces);
                }
                bytes = lines.join(&b'\n');
            }
            Edit::DuplicateLine { line } => {
                let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                let i = line.index(lines.len());
                lines.insert(i, lines[i].clone());
                bytes = lines.join(&b'\n');
            }
            Edit::Repeat { at: i, len, times } => {
                let start = at(i, &bytes);
                let end = (start + len).min(bytes.len());
                let piece = bytes[start..end].to_vec();
                let more: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * (times - 1)).collect();
                bytes.splice(end..end, more);
            }
        }
    }
    bytes
}

/// A generated file; shown as text (lossy, escaped) when a case fails.
#[derive(Clone)]
struct Input(Vec<u8>);

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl std::ops::Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Mutations of `seed`, and random bytes.
fn inputs(seed: &'static str) -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => prop::collection::vec(edit(), 1..6).prop_map(move |edits| Input(apply(seed, &edits))),
        1 => prop::collection::vec(any::<u8>(), 0..4096).prop_map(Input),
    ]
}

/// The error is one line, printable, and bounded.
fn said_well(what: &str, error: &str) {
    assert!(!error.chars().any(char::is_control), "{what}: a control character in {error:?}");
    let count = error.chars().count();
    assert!(count <= MAX_ERROR, "{what}: {count} characters: {}…", error.chars().take(300).collect::<String>());
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plan_files(bytes in inputs(PLAN)) {
        if let Err(e) = super::plan::file::parse(&text(&bytes)) {
            said_well("plan file", &e);
        }
    }

    #[test]
    fn settings_files(bytes in inputs(SETTINGS)) {
        if let Err(e) = crate::settings::parse(&text(&bytes)) {
            said_well("cutover.toml", &e);
        }
    }

    #[test]
    fn host_maps(bytes in inputs(HOST_MAP)) {
        if let Err(e) = crate::hostmap::HostMap::parse(&text(&bytes)) {
            said_well("host map", &e);
        }
    }

    #[test]
    fn scenarios(bytes in inputs(SCENARIO)) {
        match super::sim::parse_scenario(&text(&bytes)) {
            Err(e) => said_well("scenario", &e),
            // What `cutover sim` then loads, refusing what refers to nothing.
            Ok(scenario) => {
                if let Err(e) = cutover_sim::scenario::load(&scenario, "http://127.0.0.1:9", Some(0.0)) {
                    said_well("scenario", &super::sim::refused_scenario(&e.into()).to_string());
                }
            }
        }
    }

    #[test]
    fn nova_confs(bytes in prop_oneof![inputs(NOVA_ICEHOUSE), inputs(NOVA_MITAKA)]) {
        let settings = cutover_core::novaconf::RenderSettings {
            database_url: Some("mysql://nova:pw@db/nova_new".into()),
            api_database_url: Some("mysql://nova:pw@db/nova_api_new".into()),
            metadata_host: Some("192.0.2.10".into()),
            vnc_address: Some("192.0.2.11".into()),
            novncproxy_base_url: Some("http://192.0.2.10:6080/vnc_auto.html".into()),
            ..Default::default()
        };
        match cutover_core::novaconf::render(&text(&bytes), &settings) {
            Err(e) => said_well("nova.conf", &e.to_string()),
            // What is written reads back: oslo.config's rules, mirrored.
            Ok(rendered) => {
                let again = cutover_core::novaconf::render(&rendered.text, &settings);
                prop_assert!(
                    !matches!(again, Err(cutover_core::novaconf::RenderError::Parse { .. })),
                    "the rendered file does not parse: {again:?}\n{}", rendered.text
                );
            }
        }
    }

    #[test]
    fn clouds_yamls(clouds in inputs(leak(clouds_yaml(true)))) {
        let dir = tempfile::tempdir().unwrap();
        resolves_or_says_well(dir.path(), &clouds, None);
    }

    #[test]
    fn secure_yamls(secure in inputs(leak(secure_yaml()))) {
        let dir = tempfile::tempdir().unwrap();
        resolves_or_says_well(dir.path(), clouds_yaml(false).as_bytes(), Some(&secure));
    }
}

/// The seeds built at run time live as long as the test binary.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// Resolves cloud `sim` from these files as every command does; an error
/// is said well and, while the password is still a password's value in
/// them, never quotes it.
fn resolves_or_says_well(dir: &Path, clouds: &[u8], secure: Option<&[u8]>) {
    let clouds_path = dir.join("clouds.yaml");
    std::fs::write(&clouds_path, clouds).unwrap();
    let secure_path = dir.join("secure.yaml");
    if let Some(secure) = secure {
        std::fs::write(&secure_path, secure).unwrap();
    }
    let secure_path = secure.map(|_| secure_path.as_path());
    let Err(e) = cutover_cloud::Profile::resolve_in(Some("sim"), Some(&clouds_path), secure_path) else { return };
    let e = e.to_string();
    said_well("clouds.yaml", &e);
    let still_a_value = [clouds, secure.unwrap_or_default()]
        .iter()
        .any(|file| text(file).lines().any(|l| l.trim() == format!("password: {PASSWORD}")));
    assert!(!(still_a_value && e.contains(PASSWORD)), "the password in: {e}");
}

#[test]
fn the_seeds_are_valid() {
    super::plan::file::parse(PLAN).expect("the planner's plan parses (regenerate the fixture if the schema changed)");
    super::sim::parse_scenario(SCENARIO).expect("the example scenario parses");
    crate::settings::parse(SETTINGS).expect("the README's cutover.toml parses");
    crate::hostmap::HostMap::parse(HOST_MAP).expect("the host map parses");
    let dir = tempfile::tempdir().unwrap();
    let clouds = dir.path().join("clouds.yaml");
    std::fs::write(&clouds, clouds_yaml(true)).unwrap();
    cutover_cloud::Profile::resolve_in(Some("sim"), Some(&clouds), None).expect("the clouds.yaml seed resolves");
}
