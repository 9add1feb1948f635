//! The example hand-off hooks of `examples/hooks/`, run by cutover's hook
//! runner as a run would: `sim-redeploy` against a simulated cloud (the host
//! becomes a compute of RegionTwo; again is a no-op; a host with servers
//! fails), and `ansible-redeploy` with a stand-in `ansible-playbook`.

use std::path::{Path, PathBuf};

use cutover_engine::hook::{CommandHook, HookEnd, HookReport, HookRequest};

use crate::util::SimCloud;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hooks").join(name)
}

fn run(hook: &CommandHook, host: &str) -> HookReport {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let request = HookRequest {
        host: host.into(),
        old_region: "RegionOne".into(),
        new_region: "RegionTwo".into(),
        migration: "m-1".into(),
    };
    runtime.block_on(hook.run(&request))
}

/// The hook as cutover runs it for the test's cloud.
fn for_cloud(hook: CommandHook, cloud: &SimCloud) -> CommandHook {
    hook.env("OS_CLIENT_CONFIG_FILE", cloud.clouds_yaml().display().to_string())
        .env("HOME", cloud.dir().display().to_string())
        .cloud(Some("sim"))
}

fn empty_host(cloud: &SimCloud, host: &str) {
    let mut w = cloud.sim().world();
    let region = w.compute_region_mut("RegionOne").expect("RegionOne");
    let ids: Vec<String> = region.servers_on_host(host).map(|s| s.id.clone()).collect();
    for id in ids {
        region.remove_server(&id);
    }
}

fn is_new_compute(cloud: &SimCloud, host: &str) -> bool {
    let w = cloud.sim().read();
    let new = &w.compute["RegionTwo"];
    new.service_of_host(host, "nova-compute").is_some_and(|s| s.up && !s.disabled) && new.hosts.contains_key(host)
}

#[test]
fn sim_redeploy_moves_an_empty_host_into_the_new_region_once() {
    let cloud = SimCloud::start();
    let script = example("sim-redeploy");
    let hook = for_cloud(CommandHook::new(script.display().to_string(), Vec::<String>::new()).unwrap(), &cloud);
    assert_eq!(hook.check().expect("the example is executable"), script);

    empty_host(&cloud, "old-1");
    let report = run(&hook, "old-1");
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(report.last_line(), "old-1 moved from RegionOne to RegionTwo");
    assert!(is_new_compute(&cloud, "old-1"));
    let old = cloud.sim().read().compute["RegionOne"].service_of_host("old-1", "nova-compute").cloned();
    assert!(old.is_some_and(|s| !s.up), "the old record stays, down, for retire");

    // A hook may run twice (a restart after a crash): the second is a no-op.
    let again = run(&hook, "old-1");
    assert!(again.succeeded(), "{again:?}");
    assert_eq!(again.last_line(), "old-1 already is a nova-compute of RegionTwo: nothing to do");

    let busy = run(&hook, "old-2");
    let HookEnd::Failed { status, output } = &busy.end else { panic!("old-2 still has servers: {busy:?}") };
    assert_eq!(*status, Some(1));
    assert!(output.contains("still holds") && output.contains("old-2"), "{output}");
    assert!(!is_new_compute(&cloud, "old-2"));
}

/// Without PyYAML (`python3 -S` leaves site-packages out) the hook reads
/// clouds.yaml itself.
#[test]
fn sim_redeploy_needs_only_pythons_standard_library() {
    let cloud = SimCloud::start();
    let hook = CommandHook::new("python3", ["-S".to_string(), example("sim-redeploy").display().to_string()]).unwrap();
    let hook = for_cloud(hook, &cloud);
    empty_host(&cloud, "old-3");
    let report = run(&hook, "old-3");
    assert!(report.succeeded(), "{report:?}");
    assert!(is_new_compute(&cloud, "old-3"));

    let wrong = for_cloud(
        CommandHook::new("python3", ["-S".to_string(), example("sim-redeploy").display().to_string()]).unwrap(),
        &cloud,
    )
    .cloud(Some("no-such-cloud"));
    let report = run(&wrong, "old-3");
    assert!(
        matches!(&report.end, HookEnd::Failed { status: Some(2), output } if output.contains("'no-such-cloud' is not in any clouds.yaml")),
        "{report:?}"
    );
}

#[test]
fn ansible_redeploy_limits_the_playbook_to_the_host_and_passes_json_vars() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("ansible-playbook");
    std::fs::write(&fake, "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$ARGV_OUT\"\necho 'PLAY RECAP ok=4 failed=0'\n")
        .unwrap();
    let mut perms = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).unwrap();
    let out = dir.path().join("argv");
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
    let line = format!("'{}' --diff", example("ansible-redeploy").display());
    let hook = CommandHook::parse(&line)
        .unwrap()
        .env("PATH", path)
        .env("ARGV_OUT", out.display().to_string())
        .env("CUTOVER_INVENTORY", "inventory/prod")
        .env("CUTOVER_PLAYBOOK", "site redeploy.yml");

    let report = run(&hook, "old-1.example.org");
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(report.last_line(), "PLAY RECAP ok=4 failed=0");
    let argv: Vec<String> = std::fs::read_to_string(&out).unwrap().split_terminator('\0').map(String::from).collect();
    let vars = r#"{"cutover_host": "old-1.example.org", "cutover_old_region": "RegionOne", "cutover_new_region": "RegionTwo", "cutover_migration": "m-1"}"#;
    assert_eq!(argv, ["-i", "inventory/prod", "--diff", "--limit=old-1.example.org", "-e", vars, "site redeploy.yml"]);
    let parsed: serde_json::Value = serde_json::from_str(&argv[5]).expect("extra vars are JSON");
    assert_eq!(parsed["cutover_host"], "old-1.example.org");

    // A name ansible would read as a host pattern never reaches --limit.
    std::fs::remove_file(&out).unwrap();
    for host in ["old-1,db-*", "all:!old-2", "h1; touch x"] {
        let refused = run(&hook, host);
        assert!(
            matches!(&refused.end, HookEnd::Failed { status: Some(2), output } if output.contains("refusing host name")),
            "{host}: {refused:?}"
        );
        assert!(!out.exists(), "ansible-playbook ran for {host:?}");
    }
}
