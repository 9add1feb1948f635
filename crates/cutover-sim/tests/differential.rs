//! Differential conformance: the call script `differential/calls.yaml` run
//! against the simulator (scenario `scenarios/realcloud.yaml`, the cloud
//! `tools/realcloud` bootstraps), its response shapes compared with the
//! fixtures recorded from the real cloud by `tools/realcloud/record`.

mod util;

mod differential {
    pub mod compare;
    pub mod script;
}

use std::path::Path;

use cutover_sim::Scenario;
use differential::compare::{allowed, compare, load_allow};
use differential::script::Runner;
use serde_json::Value;
use util::TestCloud;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

#[test]
fn simulator_matches_the_recorded_real_cloud() {
    let scenario = Scenario::from_yaml(include_str!("scenarios/realcloud.yaml")).expect("scenario parses");
    let cloud = TestCloud::with(scenario, 0.0);
    let script: Value = yaml_serde::from_str(include_str!("differential/calls.yaml")).expect("calls.yaml parses");
    let mut allow = load_allow(include_str!("differential/allow.yaml"));

    let outcomes = Runner::new(&cloud.auth_url(), &script).run(&script);
    let mut report = Vec::new();
    let mut allowed_count = 0;
    for o in outcomes.iter().filter(|o| o.record) {
        let path = dir().join("fixtures").join(format!("{}.json", o.id));
        let Ok(text) = std::fs::read_to_string(&path) else {
            report.push(format!("{}: no fixture {} (re-record: tools/realcloud/record)", o.id, path.display()));
            continue;
        };
        let real: Value = serde_json::from_str(&text).expect("fixture is JSON");
        for d in compare(&o.id, &real, &o.fixture) {
            if allowed(&mut allow, &d) {
                allowed_count += 1;
            } else {
                report.push(format!("{}: {}", d.step, d.detail));
            }
        }
    }
    let recorded: usize = std::fs::read_dir(dir().join("fixtures")).expect("fixtures dir").count();
    let ran = outcomes.iter().filter(|o| o.record).count();
    if recorded != ran {
        report.push(format!("{recorded} fixtures on disk but the script records {ran}: re-record"));
    }
    for a in allow.iter().filter(|a| !a.used) {
        report.push(format!("allow.yaml entry matches nothing (remove it): {} {} {}", a.step, a.kind, a.path));
    }
    assert!(
        report.is_empty(),
        "{} difference(s) between the simulator and the real cloud ({allowed_count} allow-listed):\n  {}",
        report.len(),
        report.join("\n  ")
    );
}
