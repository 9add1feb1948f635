//! The procedure's steps called as a library, against the simulator over
//! real HTTP: what each returns, and what it leaves in the cloud.

use std::collections::BTreeMap;

use cutover_cloud::Profile;
use cutover_core::model::Interface;
use cutover_core::newenv::register::{Outcome as RegisterOutcome, Request, Shared, SharedService};
use cutover_core::newenv::verify::Verdict as RowVerdict;
use cutover_core::plan::planner::Meta;
use cutover_core::plan::rules::Rules;
use cutover_core::plan::zones::ZoneMap;
use cutover_core::preflight::{AllocationRatios, Status};
use cutover_core::sync::{Kind, Outcome, Verdict};
use cutover_procedure::register::{self, Options};
use cutover_procedure::sync::Sync;
use cutover_procedure::verify::NewRegion;
use cutover_procedure::{plan, preflight, retire};
use cutover_sim::{clouds_yaml_entry, RunningSim, Scenario};

/// The built-in scenario on loopback, and a clouds.yaml naming it `sim`.
struct Cloud {
    running: RunningSim,
    dir: tempfile::TempDir,
}

impl Cloud {
    async fn start() -> Cloud {
        let scenario = Scenario::builtin();
        let running = RunningSim::start("127.0.0.1:0".parse().unwrap(), &scenario, Some(0.0)).await.expect("starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let entry =
            clouds_yaml_entry("sim", &running.auth_url(), &["RegionOne", "RegionTwo"], "admin", "secret", "admin");
        std::fs::write(dir.path().join("clouds.yaml"), format!("clouds:\n{entry}")).expect("clouds.yaml written");
        Cloud { running, dir }
    }

    fn profile(&self) -> Profile {
        Profile::resolve_in(Some("sim"), Some(&self.dir.path().join("clouds.yaml")), None).expect("profile")
    }

    async fn stop(self) {
        self.running.stop().await.expect("stops");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_creates_once_what_the_new_region_lacks_and_a_dry_run_changes_nothing() {
    let cloud = Cloud::start().await;
    let kinds = [Kind::Flavor, Kind::Keypair, Kind::Quota];
    let flavors_before = cloud.running.sim.read().compute["RegionTwo"].flavors.len();

    let dry = Sync::connect(cloud.profile(), "RegionOne", "RegionTwo", true, None).await.expect("connects");
    let planned = dry.run(&kinds).await;
    assert!(planned.report.dry_run);
    let would_create = planned.report.count(Outcome::Created);
    assert!(would_create > 0, "the new region lacks the old one's flavors: {:?}", planned.report.entries);
    assert_eq!(
        cloud.running.sim.read().compute["RegionTwo"].flavors.len(),
        flavors_before,
        "a dry run creates nothing"
    );

    let sync = Sync::connect(cloud.profile(), "RegionOne", "RegionTwo", false, None).await.expect("connects");
    let done = sync.run(&kinds).await;
    assert_eq!(done.report.verdict(), Verdict::Done, "{:?}", done.report.entries);
    assert_eq!(done.report.count(Outcome::Created), would_create, "what the dry run said would be created was");
    let made_flavors = done.report.entries.iter().filter(|e| e.kind == Kind::Flavor && e.outcome == Outcome::Created);
    assert_eq!(cloud.running.sim.read().compute["RegionTwo"].flavors.len(), flavors_before + made_flavors.count());

    let again = sync.run(&kinds).await;
    assert_eq!(again.report.count(Outcome::Created), 0, "a second sync creates nothing: {:?}", again.report.entries);
    assert_eq!(again.report.verdict(), Verdict::Done);
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_region_is_the_operators_input_to_fix() {
    let cloud = Cloud::start().await;
    let err = Sync::connect(cloud.profile(), "RegionOne", "RegionNine", false, None).await.err().expect("refused");
    assert!(err.is_input(), "{err}");
    assert!(err.to_string().contains("RegionNine"), "{err}");
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retire_is_refused_while_servers_remain_and_deletes_nothing() {
    let cloud = Cloud::start().await;
    let services_before = cloud.running.sim.read().compute["RegionOne"].services.len();
    let retire = retire::assess(&cloud.profile(), "RegionOne", "RegionTwo", false).await.expect("assessed");
    assert!(retire.old_listed());
    let refusal = retire.retirement.refusal().expect("refused while old servers remain");
    assert!(refusal.contains("server"), "{refusal}");
    assert_eq!(cloud.running.sim.read().compute["RegionOne"].services.len(), services_before);
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_creates_the_region_and_its_endpoints_once() {
    let cloud = Cloud::start().await;
    let url = "http://nova.new.example:8774/v2.1";
    let request = Request {
        old_region: "RegionOne".into(),
        new_region: "RegionFive".into(),
        compute_urls: BTreeMap::from(
            [Interface::Public, Interface::Internal, Interface::Admin].map(|i| (i, url.into())),
        ),
        shared: vec![Shared { service: SharedService::Identity, required: true }],
    };
    let options = Options { request: &request, description: "the new Nova", dry_run: false, update: false };

    let first = register::register(&cloud.profile(), &options).await.expect("registers");
    assert!(first.failure.is_none());
    assert_eq!(first.rows[0].resource, "region");
    assert_eq!(first.rows[0].outcome, RegisterOutcome::Created);
    let compute: Vec<_> = first.rows.iter().filter(|r| r.name == "compute").collect();
    assert_eq!(compute.len(), 3, "one compute endpoint per interface");
    assert!(compute.iter().all(|r| r.outcome == RegisterOutcome::Created && r.url.as_deref() == Some(url)));
    assert!(first.rows.iter().any(|r| r.name == "identity"), "the shared Keystone's endpoints copied");
    assert_eq!(first.changed(), first.rows.len());

    let second = register::register(&cloud.profile(), &options).await.expect("registers");
    assert!(second.failure.is_none());
    assert_eq!(second.changed(), 0, "a second run changes nothing");
    assert!(second.rows.iter().all(|r| r.outcome == RegisterOutcome::Exists));
    assert!(second.plan.is_done());
    cloud.stop().await;
}

/// Only reads and authentications reached the cloud.
fn assert_read_only(cloud: &Cloud) {
    for (request, _) in cloud.running.sim.request_counts() {
        let read = request.starts_with("GET ") || request.starts_with("HEAD ") || request == "POST /v3/auth/tokens";
        assert!(read, "a read-only step sent {request}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_returns_the_checks_and_changes_nothing() {
    let cloud = Cloud::start().await;
    let checks = preflight::preflight(&cloud.profile(), "RegionOne", "RegionTwo", &ZoneMap::new()).await.unwrap();
    let failed: Vec<_> = checks.iter().filter(|c| c.status == Status::Fail).collect();
    assert!(failed.is_empty(), "the built-in cloud is ready: {failed:?}");
    assert!(checks.iter().any(|c| c.name == "capacity" && c.region.as_deref() == Some("RegionTwo")), "{checks:?}");
    assert_read_only(&cloud);

    // A new region the catalog lacks is a finding; an old one, an error.
    let checks = preflight::preflight(&cloud.profile(), "RegionOne", "RegionNine", &ZoneMap::new()).await.unwrap();
    assert!(checks.iter().any(|c| c.status == Status::Fail && c.reason.contains("RegionNine")), "{checks:?}");
    let err = preflight::preflight(&cloud.profile(), "RegionNine", "RegionTwo", &ZoneMap::new()).await.unwrap_err();
    assert!(err.is_input() && err.to_string().contains("RegionNine"), "{err}");
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_verify_returns_a_row_per_service_and_fails_a_host_that_is_not_there() {
    let cloud = Cloud::start().await;
    let new = NewRegion::connect(&cloud.profile(), "RegionTwo").await.unwrap();
    let rows = new.verify(None).await.unwrap();
    assert!(rows.iter().all(|r| r.verdict != RowVerdict::Fail), "the new region runs: {rows:?}");
    for binary in ["nova-conductor", "nova-scheduler", "nova-compute"] {
        assert!(rows.iter().any(|r| r.binary == binary), "{binary}: {rows:?}");
    }
    let expected = [cutover_core::id::HostName::from("new-9")].into();
    let rows = new.verify(Some(&expected)).await.unwrap();
    let missing = rows.iter().find(|r| r.host.as_deref() == Some("new-9")).expect("a row for the expected host");
    assert_eq!(missing.verdict, RowVerdict::Fail, "{missing:?}");

    let err = NewRegion::connect(&cloud.profile(), "RegionNine").await.err().expect("refused");
    assert!(err.is_input() && err.to_string().ends_with("register it first with `cutover env register`"), "{err}");
    assert_read_only(&cloud);
    cloud.stop().await;
}

/// What `cutover plan --migration m1` records, with `zone_map`.
fn meta(zone_map: ZoneMap) -> Meta {
    let options = cutover_core::plan::Options { zone_map, ..Default::default() };
    Meta {
        migration: "m1".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        options,
        ratios: AllocationRatios::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_made_then_checked_against_the_clouds_fits_and_an_edited_one_does_not() {
    let cloud = Cloud::start().await;
    let profile = cloud.profile();
    let old_servers = cloud.running.sim.read().compute["RegionOne"].servers.len();

    // The built-in RegionTwo has no zone like old-3's az-fast.
    let made = plan::make(&profile, "RegionOne", "RegionTwo", &Rules::new(Vec::new()), meta(ZoneMap::new())).await;
    let made = made.unwrap();
    assert_eq!(made.missing_zones.len(), 1, "{:?}", made.missing_zones);
    assert!(made.missing_zones[0].0 > 0 && made.missing_zones[0].1.contains("az-fast"), "{:?}", made.missing_zones);
    let mapped = ZoneMap::from([("az-fast".to_string(), String::new())]);
    let made = plan::make(&profile, "RegionOne", "RegionTwo", &Rules::new(Vec::new()), meta(mapped)).await.unwrap();
    assert!(made.missing_zones.is_empty(), "{:?}", made.missing_zones);
    let plan = made.planned.plan;
    assert_eq!(plan.migration, "m1");
    assert_eq!(plan.servers().count() + plan.unplanned.len(), old_servers, "every old server is in the plan");
    assert_ne!(made.planned.capacity.status, Status::Fail, "{:?}", made.planned.capacity);

    let problems = plan::check(&profile, "RegionOne", "RegionTwo", &plan).await.unwrap();
    assert!(problems.is_empty(), "a fresh plan fits: {problems:?}");
    let mut edited = plan.clone();
    let server = &mut edited.hosts.iter_mut().find(|h| !h.servers.is_empty()).unwrap().servers[0].server;
    server.id = "0000-gone".into();
    let problems = plan::check(&profile, "RegionOne", "RegionTwo", &edited).await.unwrap();
    assert!(problems.iter().any(|p| p.subject.contains("0000-gone")), "{problems:?}");
    assert_read_only(&cloud);
    cloud.running.sim.reset_request_counts();

    let err = plan::check(&profile, "RegionOne", "RegionFour", &plan).await.unwrap_err();
    assert!(err.is_input() && err.to_string().contains("new region \"RegionTwo\""), "{err}");
    assert!(cloud.running.sim.request_counts().is_empty(), "a plan for other clouds is refused before any call");
    cloud.stop().await;
}
