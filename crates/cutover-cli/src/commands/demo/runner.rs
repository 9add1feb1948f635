/*!
`cutover run` on a plan file as the demo runs it: the journal created,
both regions connected, the engine's loop with the progress line, and the
old hosts handed off through the engine's own path (verified empty twice,
hand-off, rejoin checked, old `nova-compute` deleted) to the in-process
redeploy, each host's steps shown as they happen.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutover_cloud::{Profile, RetryPolicy};
use cutover_core::id::HostName;
use cutover_core::plan::Plan;
use cutover_engine::{Clock, Engine, HandOff, HostOptions, OpenStackDriver, Opened, Phase, PollPolicy, Progress};
use tokio::sync::watch;

use super::hosts::HostWatch;
use super::progress::Display;
use super::redeploy::{AfterMoves, Redeploy};
use super::script::Ran;
use crate::commands::plan;
use crate::ctx::Ctx;

/// Runs the plan in `plan_file` with the journal `journal`. Every host
/// with servers to move is redeployed once verified empty; a host with
/// none (a spare kept for rollbacks) only in the `last` run, once every
/// server of it has moved.
pub(super) fn run(
    runtime: &tokio::runtime::Handle,
    plan_file: &Path,
    journal: &Path,
    ctx: &Ctx,
    redeploy: &Arc<Redeploy>,
    last: bool,
    scale: f64,
) -> anyhow::Result<Ran> {
    let plan = plan::file::load(plan_file)?;
    let started = Instant::now();
    let (moves_over, moves) = watch::channel(None);
    let (hosts, spares) = hand_offs(&plan, redeploy, last, moves);
    let regions = (plan.clouds.old_region.as_str(), plan.clouds.new_region.as_str());
    let handed_off = plan.hosts.iter().map(|h| h.name.clone()).filter(|h| hosts.per_host.contains_key(h)).collect();
    let mut watch = HostWatch::new(journal.to_path_buf(), regions, handed_off, spares.clone());
    let options =
        cutover_engine::Options { poll: poll_policy(scale), hosts: scaled(hosts, scale), ..Default::default() };
    let mut room = RoomWait::default();
    let report = runtime.block_on(async {
        let opened = Opened::open(&plan, journal)?;
        let profile = Profile::resolve(ctx.settings.cloud()).map_err(cutover_cloud::Error::from)?;
        let driver = OpenStackDriver::connect(&profile, regions.0, regions.1, RetryPolicy::default()).await?;
        let engine = Engine::start(plan.clone(), opened, Arc::new(driver), options, Clock::system())?;
        let mut display = Display::new();
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let mut shown = |p: &Progress| {
            for line in watch.poll(p.elapsed) {
                display.event(p.elapsed, &line);
            }
            display.update(p);
            room.update(p);
            if let Some(free) = spares_free(p).filter(|_| moves_over.borrow().is_none()) {
                let _ = moves_over.send(Some(free));
            }
        };
        let report = engine.run(&mut shown, shutdown).await;
        display.finish();
        anyhow::Ok(report?)
    })?;
    let hosts = watch.times().clone();
    let waited_for_room = room.until.map(|until| (room.most, until));
    Ok(Ran { report, plan, makespan: started.elapsed(), hosts, spares, waited_for_room })
}

/// Servers waiting for room in the new region: the most at once, and when
/// the last of them got it.
#[derive(Default)]
struct RoomWait {
    waiting: usize,
    most: usize,
    until: Option<Duration>,
}

impl RoomWait {
    fn update(&mut self, p: &Progress) {
        let waiting = count(p, Phase::WaitingForRoom);
        if waiting == 0 && self.waiting > 0 {
            self.until = Some(p.elapsed);
        }
        self.most = self.most.max(waiting);
        self.waiting = waiting;
    }
}

/// Servers at `phase`.
fn count(p: &Progress, phase: Phase) -> usize {
    p.phases.iter().find(|(at, _)| *at == phase).map_or(0, |(_, n)| *n)
}

/// Whether the spares may go, once nothing is under way: every server
/// moved, or some wait for room in the new region that a spare could bring
/// (no move in flight to roll back). `Some(false)`: kept, as a server did
/// not move; `None`: moves are under way.
fn spares_free(p: &Progress) -> Option<bool> {
    let waiting = count(p, Phase::WaitingForRoom);
    match p.done + waiting >= p.total {
        true => Some(waiting > 0 || count(p, Phase::Moved) == p.total),
        false => None,
    }
}

/// Who hands each host off (see [`run`]), and the spares.
fn hand_offs(
    plan: &Plan,
    redeploy: &Arc<Redeploy>,
    last: bool,
    moves: watch::Receiver<Option<bool>>,
) -> (HostOptions, BTreeSet<HostName>) {
    let mut per_host: BTreeMap<HostName, Arc<dyn HandOff>> = BTreeMap::new();
    let mut spares = BTreeSet::new();
    for host in &plan.hosts {
        if !host.servers.is_empty() {
            per_host.insert(host.name.clone(), redeploy.clone());
        } else if last {
            let after = AfterMoves { redeploy: redeploy.clone(), moves: moves.clone() };
            per_host.insert(host.name.clone(), Arc::new(after));
            spares.insert(host.name.clone());
        }
    }
    (HostOptions { per_host, ..HostOptions::default() }, spares)
}

/// The hosts' waits at the demo's time scale: the two empty observations
/// at least a second apart (the host machine counts whole seconds: less
/// would be one observation), and the time to join no less than half a
/// minute of the demo's own (the rejoin is observed, not simulated).
fn scaled(hosts: HostOptions, scale: f64) -> HostOptions {
    let empty_interval = hosts.empty_interval.mul_f64(scale).max(Duration::from_secs(1));
    let rejoin_timeout = Duration::from_secs(1800).mul_f64(scale).max(Duration::from_secs(30));
    HostOptions { empty_interval, rejoin_timeout, ..hosts }
}

/// The engine's default (1 s while things change, up to 30 s) suits real
/// clouds; a faster simulated cloud is watched as much faster.
fn poll_policy(scale: f64) -> PollPolicy {
    if scale >= 1.0 {
        return PollPolicy::default();
    }
    let scaled = |d: Duration, factor: f64, floor: Duration| d.mul_f64(scale * factor).clamp(floor, d);
    let default = PollPolicy::default();
    PollPolicy {
        min: scaled(default.min, 10.0, Duration::from_millis(50)),
        max: scaled(default.max, 2.0, Duration::from_millis(200)),
    }
}
