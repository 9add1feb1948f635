/*!
`cutover retire --yes` (with `--endpoints` in half the trials) killed at
seeded moments after a hand-off trial's run: by time (connecting, listing)
or right after its n-th service or endpoint deletion. After every kill
nothing but the old Nova's services and compute endpoints is gone, and an
endpoint went only once every service had; a rerun then ends the job, and
one more says there is nothing left to retire.
*/

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use cutover_core::retire::NOVA_SERVICE_TYPES;
use cutover_sim::model::World;
use rand::rngs::StdRng;
use rand::Rng;

use super::landed::Landed;
use super::{kill_at, Moment, Trial, MAX_KILLS};

/// A retire on the simulator connects, lists and deletes within this.
const RETIRE_SPAN: Duration = Duration::from_millis(800);
/// Reruns of a killed retire that may fail (a deletion refused) before
/// one must complete.
const RERUNS: usize = 2;

/// What the world holds that retire deletes or must keep.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// The old region's services: `binary@host id status`.
    old_services: BTreeSet<String>,
    /// The old region's endpoints of Nova's catalog services (ids).
    old_endpoints: BTreeSet<String>,
    /// Everything retire must not touch: the new region's services, every
    /// other endpoint, the catalog's services.
    kept: BTreeSet<String>,
}

impl Seen {
    fn take(world: &World, old: &str, new: &str) -> Seen {
        let services = |region: &str| -> BTreeSet<String> {
            world.compute[region]
                .services
                .values()
                .map(|s| format!("{}@{} {} disabled={} up={}", s.binary, s.host, s.id, s.disabled, s.up))
                .collect()
        };
        let identity = &world.identity;
        let nova = |service_id: &str| {
            identity.services.get(service_id).is_some_and(|s| NOVA_SERVICE_TYPES.contains(&s.kind.as_str()))
        };
        let (old_endpoints, other_endpoints): (Vec<_>, Vec<_>) =
            identity.endpoints.values().partition(|e| e.region_id.as_deref() == Some(old) && nova(&e.service_id));
        let mut kept: BTreeSet<String> = services(new).into_iter().map(|s| format!("{new} service {s}")).collect();
        kept.extend(other_endpoints.iter().map(|e| format!("endpoint {} {} {}", e.id, e.interface, e.url)));
        kept.extend(identity.services.values().map(|s| format!("catalog service {} {}", s.kind, s.id)));
        Seen { old_services: services(old), old_endpoints: old_endpoints.iter().map(|e| e.id.clone()).collect(), kept }
    }
}

fn seen(t: &Trial) -> Seen {
    Seen::take(&t.cloud.sim().read(), &t.plan.clouds.old_region, &t.plan.clouds.new_region)
}

/// The end of the old region's servers as an operator brings it about
/// after the run: the rolled-back server deleted by its owner, its host
/// handed off by `cutover run` again (the plan lists every old host, even
/// one with no server, so then every old host has moved).
fn make_retirable(t: &Trial) -> Result<(), String> {
    {
        let mut world = t.cloud.sim().world();
        let region = world.compute_region_mut(&t.plan.clouds.old_region).expect("the old region");
        let left: Vec<String> = region.servers.keys().cloned().collect();
        for id in left {
            region.remove_server(&id);
        }
    }
    let report = t.finish();
    let hosts = report["hosts"].as_array().cloned().unwrap_or_default();
    if hosts.len() != t.plan.hosts.len() || hosts.iter().any(|h| h["stage"] != "retired-old") {
        let planned: Vec<&str> = t.plan.hosts.iter().map(|h| h.name.as_str()).collect();
        return Err(format!(
            "the run after the rolled-back server was deleted left the hosts {hosts:?} (planned: {planned:?})"
        ));
    }
    Ok(())
}

fn retire(t: &Trial, endpoints: bool) -> Command {
    let mut command = t.cloud.cutover();
    command.args(["retire", "--yes", "-f", "json"]);
    if endpoints {
        command.arg("--endpoints");
    }
    command
}

/// The next kill: by time (one in three), else right after the next few
/// deletions of services or (with `--endpoints`) of endpoints.
fn moment<'a>(rng: &mut StdRng, t: &'a Trial, endpoints: bool) -> Moment<'a> {
    let now = seen(t);
    let delay = Duration::from_millis(rng.random_range(0..=3));
    match rng.random_range(0..3) {
        2 if endpoints && !now.old_endpoints.is_empty() => {
            let left = now.old_endpoints.len() - rng.random_range(1..=now.old_endpoints.len());
            let reached = Box::new(move || seen(t).old_endpoints.len() <= left);
            Moment::When { what: "retire: endpoint deleted", reached, delay }
        }
        1 | 2 if !now.old_services.is_empty() => {
            let left = now.old_services.len() - rng.random_range(1..=now.old_services.len());
            let reached = Box::new(move || seen(t).old_services.len() <= left);
            Moment::When { what: "retire: service deleted", reached, delay }
        }
        _ => Moment::After(RETIRE_SPAN.mul_f64(rng.random_range(0.0..1.0))),
    }
}

/// What must hold at every moment: nothing kept is gone; endpoints go
/// only once every service went, `nova-conductor` last of them.
fn safe(before: &Seen, now: &Seen) -> Vec<String> {
    let mut problems: Vec<String> = before.kept.difference(&now.kept).map(|k| format!("{k} is gone")).collect();
    if now.old_endpoints.len() < before.old_endpoints.len() && !now.old_services.is_empty() {
        problems.push(format!("an endpoint went while services are left: {:?}", now.old_services));
    }
    let conductor = |s: &Seen| s.old_services.iter().filter(|s| s.starts_with("nova-conductor@")).count();
    if conductor(now) < conductor(before) && now.old_services.len() > conductor(now) {
        problems.push(format!("a nova-conductor went before {:?}", now.old_services));
    }
    problems
}

/// The retire trial after `t`'s run completed.
pub(super) fn trial(rng: &mut StdRng, t: &Trial, landed: &mut Landed) -> Result<(), String> {
    make_retirable(t)?;
    let endpoints = rng.random_bool(0.5);
    let before = seen(t);
    for _ in 0..rng.random_range(1..=MAX_KILLS) {
        let moment = moment(rng, t, endpoints);
        let mut child = retire(t, endpoints)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cutover retire starts");
        if !kill_at(&mut child, &moment) {
            break;
        }
        let now = seen(t);
        landed.retire_kills += 1;
        let what = match moment {
            Moment::After(_) => "retire: time",
            _ => moment.what(),
        };
        *landed.triggers.entry(what).or_default() += 1;
        let done =
            before.old_services.len() - now.old_services.len() + before.old_endpoints.len() - now.old_endpoints.len();
        landed.retire_midway += u64::from(done > 0 && !(now.old_services.is_empty() && now.old_endpoints.is_empty()));
        let problems = safe(&before, &now);
        if !problems.is_empty() {
            return Err(format!("after retire was killed ({moment}):\n  {}", problems.join("\n  ")));
        }
    }
    let mut out = retire(t, endpoints).output().expect("cutover retire runs");
    for _ in 0..RERUNS {
        if out.status.success() {
            break;
        }
        out = retire(t, endpoints).output().expect("cutover retire runs");
    }
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if !out.status.success() {
        return Err(format!("cutover retire, resumed, exited {:?}: {stderr}", out.status.code()));
    }
    let end = seen(t);
    let mut problems = safe(&before, &end);
    if !end.old_services.is_empty() {
        problems.push(format!("old services left: {:?}", end.old_services));
    }
    match endpoints {
        true if !end.old_endpoints.is_empty() => problems.push(format!("endpoints left: {:?}", end.old_endpoints)),
        false if end.old_endpoints != before.old_endpoints => {
            problems.push(format!("endpoints {:?} went unasked", before.old_endpoints.difference(&end.old_endpoints)))
        }
        _ => {}
    }
    let again = retire(t, endpoints).output().expect("cutover retire runs");
    let said = String::from_utf8_lossy(&again.stderr).to_string();
    if !again.status.success() || !said.contains("nothing left to retire in") || !again.stdout.is_empty() {
        problems.push(format!("a retire after the end exited {:?} saying {said:?}", again.status.code()));
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(format!("retire (endpoints: {endpoints}) at the end:\n  {}", problems.join("\n  "))),
    }
}
