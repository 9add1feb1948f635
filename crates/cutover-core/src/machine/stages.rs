/*!
What each stage makes of an observation: done, the actions that move it on,
or broken. Stages work on the parts the servers play ([`Sides`]), so one
function serves a move out and a move back alike.
*/

use super::action::{Action, BootSource, Side};
use super::invariants::may_delete_source;
use super::observation::{Observation, Seen, ServerView};
use super::route::{Direction, ImageCopy, Route, ServerMove, ServerState, Stage, Strategy};
use super::sides::Sides;
use crate::id::{PortId, ServerId};
use crate::model::{ImageStatus, ServerStatus, VolumeStatus};

/// What one stage makes of the observation.
pub(crate) enum Progress {
    Done,
    /// Not done; these actions move it on (none: wait).
    Pending(Vec<Action>),
    /// The move cannot go on: turn back (or fail, if already turning back).
    Broken(String),
}

impl Progress {
    /// Done when nothing is left to do, else these actions.
    pub(crate) fn unless(actions: Vec<Action>) -> Progress {
        if actions.is_empty() {
            Progress::Done
        } else {
            Progress::Pending(actions)
        }
    }
}

pub(crate) fn progress(
    plan: &ServerMove,
    state: &mut ServerState,
    stage: Stage,
    obs: &Observation,
    now: i64,
) -> Progress {
    let sides = Sides::of(plan, state.direction, obs);
    match stage {
        Stage::Stop => stop(&sides),
        Stage::Snapshot => snapshot(plan, state, &sides),
        Stage::KeepRoot => keep_root(plan, &sides),
        Stage::DetachVolumes => detach_volumes(plan, &sides, obs),
        Stage::ReleasePorts => {
            let source = match source_id(&sides) {
                Ok(id) => id,
                Err(wait) => return wait,
            };
            ports(plan, obs, |owner| owner != source, |port| Action::ReleasePort { port })
        }
        Stage::DeleteSource => delete_source(plan, state, obs, &sides),
        Stage::Boot => boot(plan, state, &sides, now),
        Stage::AttachVolumes => attach_volumes(plan, state, obs, &sides),
        Stage::FloatingIps => floating_ips(plan, state, obs, &sides),
        Stage::PowerState => power_state(plan, state, &sides),
        Stage::RemoveSnapshot => remove_snapshot(plan, &sides),
        Stage::RemoveSource => remove_source(plan, state, obs, &sides),
        Stage::DeleteWithServer => delete_with_server(plan, state, obs, &sides),
        Stage::DeleteTarget => delete_failed(state, &sides),
        Stage::ReclaimPorts => {
            let source = match source_id(&sides) {
                Ok(id) => id,
                Err(wait) => return wait,
            };
            let side = sides.from;
            ports(plan, obs, |owner| owner == source, |port| Action::ClaimPort { side, port, server: source.clone() })
        }
        Stage::RebindPorts => {
            let (side, rebuild) = sides.rebuilt(state.route);
            let Some(rebuild) = rebuild.present() else { return Progress::Pending(Vec::new()) };
            let id = &rebuild.id;
            ports(plan, obs, |owner| owner == id, |port| Action::ClaimPort { side, port, server: id.clone() })
        }
        Stage::Watch => match &obs.source {
            Seen::Absent => Progress::Done,
            _ => Progress::Pending(Vec::new()),
        },
    }
}

/// The source's id, or what to do without it: wait while it is not
/// observed, turn back once it is gone.
fn source_id<'a>(sides: &Sides<'a>) -> Result<&'a ServerId, Progress> {
    match (sides.source_id, sides.source) {
        (Some(id), _) => Ok(id),
        (None, Seen::Absent) => Err(Progress::Broken(format!("{} no longer exists", sides.what))),
        (None, _) => Err(Progress::Pending(Vec::new())),
    }
}

fn stop(sides: &Sides) -> Progress {
    match sides.source {
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Absent => Progress::Broken(format!("{} no longer exists", sides.what)),
        Seen::Present(server) if server.is(ServerStatus::Shutoff) => Progress::Done,
        Seen::Present(server) if server.is(ServerStatus::Error) => {
            Progress::Broken(format!("{} is in ERROR{}", sides.what, fault(server)))
        }
        Seen::Present(server) if server.is(ServerStatus::Active) && server.is_idle() => {
            Progress::Pending(vec![Action::StopServer { side: sides.from, server: server.id.clone() }])
        }
        Seen::Present(_) => Progress::Pending(Vec::new()),
    }
}

fn snapshot(plan: &ServerMove, state: &mut ServerState, sides: &Sides) -> Progress {
    if state.image.is_some() {
        return Progress::Done;
    }
    match sides.image {
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(image) if image.status == ImageStatus::Active => match (image.size, &image.checksum) {
            (Some(size), Some(checksum)) if size > 0 => {
                state.image = Some(ImageCopy { id: image.id.clone(), size, checksum: checksum.clone() });
                Progress::Done
            }
            // Glance sets both when the upload ends; an active image without
            // them is not a copy to rely on.
            _ => Progress::Pending(Vec::new()),
        },
        Seen::Present(image) if matches!(image.status, ImageStatus::Killed | ImageStatus::Deleted) => {
            state.failed_snapshots += 1;
            if state.failed_snapshots >= plan.snapshot_attempts {
                return Progress::Broken(format!(
                    "the snapshot ended {} {} times",
                    image.status, state.failed_snapshots
                ));
            }
            Progress::Pending(vec![Action::DeleteImage { image: image.id.clone() }])
        }
        Seen::Present(_) => Progress::Pending(Vec::new()),
        Seen::Absent => match sides.source {
            // Nova is still busy with an earlier createImage.
            Seen::Present(server) if server.is_idle() => Progress::Pending(vec![Action::CreateImage {
                side: sides.from,
                server: server.id.clone(),
                name: sides.image_name.clone(),
            }]),
            Seen::Absent => Progress::Broken(format!("{} vanished before its snapshot", sides.what)),
            _ => Progress::Pending(Vec::new()),
        },
    }
}

fn keep_root(plan: &ServerMove, sides: &Sides) -> Progress {
    let Some(volume) = &plan.root_volume else { return Progress::Broken("no root volume in the plan".into()) };
    match sides.root_delete_on_termination {
        Seen::Present(false) => Progress::Done,
        Seen::Present(true) => match source_id(sides) {
            Ok(server) => Progress::Pending(vec![Action::KeepRootVolume {
                side: sides.from,
                server: server.clone(),
                volume: volume.clone(),
            }]),
            Err(wait) => wait,
        },
        _ => Progress::Pending(Vec::new()),
    }
}

fn detach_volumes(plan: &ServerMove, sides: &Sides, obs: &Observation) -> Progress {
    let source = match source_id(sides) {
        Ok(id) => id,
        Err(wait) => return wait,
    };
    let mut actions = Vec::new();
    for id in &plan.data_volumes {
        let Some(volume) = obs.volumes.get(id) else { return Progress::Pending(Vec::new()) };
        if volume.attached_to.iter().any(|s| s == source) {
            if volume.status == VolumeStatus::InUse {
                actions.push(Action::DetachVolume { side: sides.from, server: source.clone(), volume: id.clone() });
            } else {
                return Progress::Pending(Vec::new());
            }
        }
    }
    Progress::unless(actions)
}

/// Ports are done when `owned(device_id)` holds for each; else `act` fixes one.
fn ports(
    plan: &ServerMove,
    obs: &Observation,
    owned: impl Fn(&str) -> bool,
    act: impl Fn(PortId) -> Action,
) -> Progress {
    let mut actions = Vec::new();
    for id in &plan.ports {
        match obs.ports.get(id) {
            None => return Progress::Pending(Vec::new()),
            Some(port) if owned(&port.device_id) => {}
            Some(_) => actions.push(act(id.clone())),
        }
    }
    Progress::unless(actions)
}

/// The source goes once the safety rules allow it, judged on a full
/// observation: anything unobserved (a listing that failed) means wait,
/// only a rule seen broken turns the move back.
fn delete_source(plan: &ServerMove, state: &ServerState, obs: &Observation, sides: &Sides) -> Progress {
    match sides.source {
        Seen::Absent => return Progress::Done,
        Seen::Unknown => return Progress::Pending(Vec::new()),
        Seen::Present(s) if s.is_deleting() => return Progress::Pending(Vec::new()),
        Seen::Present(_) => {}
    }
    let unobserved = plan.data_volumes.iter().any(|v| !obs.volumes.contains_key(v))
        || plan.ports.iter().any(|p| !obs.ports.contains_key(p))
        || match plan.strategy {
            Strategy::Volume => *sides.root_delete_on_termination == Seen::Unknown,
            Strategy::Redeploy => *sides.rebuild == Seen::Unknown,
            _ => false,
        };
    if unobserved {
        return Progress::Pending(Vec::new());
    }
    if let Err(why) = may_delete_source(plan, state, obs) {
        return Progress::Broken(why);
    }
    delete_server(sides.from, sides.source)
}

/// Turning back: the rebuild going forward goes, and so does a restored
/// server an earlier attempt left in ERROR (a failed rollback tried again).
fn delete_failed(state: &ServerState, sides: &Sides) -> Progress {
    match delete_server(sides.to, sides.rebuild) {
        Progress::Done if state.route == Route::Restore => match sides.restored {
            Seen::Present(s) if s.is(ServerStatus::Error) => delete_server(sides.from, sides.restored),
            _ => Progress::Done,
        },
        other => other,
    }
}

fn delete_server(side: Side, server: &Seen<ServerView>) -> Progress {
    match server {
        Seen::Absent => Progress::Done,
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(s) if s.is_deleting() => Progress::Pending(Vec::new()),
        Seen::Present(s) => Progress::Pending(vec![Action::DeleteServer { side, server: s.id.clone() }]),
    }
}

fn boot(plan: &ServerMove, state: &ServerState, sides: &Sides, now: i64) -> Progress {
    let (side, server) = sides.rebuilt(state.route);
    match server {
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(s) if (s.is(ServerStatus::Active) || s.is(ServerStatus::Shutoff)) && s.is_idle() => {
            match missing_tags(plan, s) {
                // A region below 2.52 takes no tags at boot: they are set now.
                true => {
                    Progress::Pending(vec![Action::SetTags { side, server: s.id.clone(), tags: plan.tags.clone() }])
                }
                false => Progress::Done,
            }
        }
        Seen::Present(s) if s.is(ServerStatus::Error) => {
            Progress::Broken(format!("the rebuild went to ERROR{}", fault(s)))
        }
        Seen::Present(_) if now - state.since > plan.boot_timeout_secs => {
            Progress::Broken(format!("the rebuild was not ACTIVE after {} s", plan.boot_timeout_secs))
        }
        Seen::Present(_) => Progress::Pending(Vec::new()),
        Seen::Absent => match boot_source(plan, state) {
            Some(source) => Progress::Pending(vec![Action::BootServer { side, source }]),
            None => Progress::Broken("nothing to boot from".into()),
        },
    }
}

/// Whether the rebuild shows other tags than the source had (a region
/// that shows none cannot take any).
fn missing_tags(plan: &ServerMove, server: &ServerView) -> bool {
    let wanted: std::collections::BTreeSet<&String> = plan.tags.iter().collect();
    server.tags.as_ref().is_some_and(|tags| tags.iter().collect::<std::collections::BTreeSet<_>>() != wanted)
}

fn boot_source(plan: &ServerMove, state: &ServerState) -> Option<BootSource> {
    match plan.strategy {
        Strategy::Snapshot => state.image.as_ref().map(|i| BootSource::Image { id: i.id.clone() }),
        Strategy::Volume => plan.root_volume.clone().map(|id| BootSource::Volume { id }),
        Strategy::Redeploy => plan.image.clone().map(|id| BootSource::Image { id }),
        Strategy::Wait => None,
    }
}

fn attach_volumes(plan: &ServerMove, state: &ServerState, obs: &Observation, sides: &Sides) -> Progress {
    let (side, server) = sides.rebuilt(state.route);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let mut actions = Vec::new();
    for id in &plan.data_volumes {
        let Some(volume) = obs.volumes.get(id) else { return Progress::Pending(Vec::new()) };
        if volume.attached_to.contains(&server.id) {
            continue;
        }
        if volume.status == VolumeStatus::Available {
            actions.push(Action::AttachVolume { side, server: server.id.clone(), volume: id.clone() });
        } else {
            return Progress::Pending(Vec::new());
        }
    }
    Progress::unless(actions)
}

fn floating_ips(plan: &ServerMove, state: &ServerState, obs: &Observation, sides: &Sides) -> Progress {
    let (side, server) = sides.rebuilt(state.route);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let missing: Vec<Action> = plan
        .floating_addresses
        .iter()
        .filter(|address| obs.floating_ips.get(*address) != Some(&Some(server.id.clone())))
        .map(|address| Action::AddFloatingIp { side, server: server.id.clone(), address: address.clone() })
        .collect();
    Progress::unless(missing)
}

/// Whether the server must end running: as planned going out; going
/// back, as it was when the move back began (cutover stopped it, or it
/// was off already).
fn wants_running(plan: &ServerMove, state: &ServerState) -> bool {
    match state.direction {
        Direction::Out => !plan.was_shutoff,
        Direction::Back => state.stopped_at.is_some(),
    }
}

fn power_state(plan: &ServerMove, state: &ServerState, sides: &Sides) -> Progress {
    let (side, server) = sides.rebuilt(state.route);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let running = wants_running(plan, state);
    let wanted = if running { ServerStatus::Active } else { ServerStatus::Shutoff };
    if server.is(wanted) && server.is_idle() {
        return Progress::Done;
    }
    if !server.is_idle() {
        return Progress::Pending(Vec::new());
    }
    match (running, server.status) {
        (false, ServerStatus::Active) => {
            Progress::Pending(vec![Action::StopServer { side, server: server.id.clone() }])
        }
        (true, ServerStatus::Shutoff) => {
            Progress::Pending(vec![Action::StartServer { side, server: server.id.clone() }])
        }
        _ => Progress::Broken(format!("the server is {} where {wanted} was expected", server.status)),
    }
}

fn remove_snapshot(plan: &ServerMove, sides: &Sides) -> Progress {
    if plan.keep_snapshot {
        return Progress::Done;
    }
    match sides.image {
        Seen::Absent => Progress::Done,
        Seen::Unknown => Progress::Pending(Vec::new()),
        Seen::Present(image) => Progress::Pending(vec![Action::DeleteImage { image: image.id.clone() }]),
    }
}

/// `redeploy`, last: the server it replaced goes, unless the plan keeps
/// the old one stopped. Going back the rebuild always goes: the server
/// is in the old region again.
fn remove_source(plan: &ServerMove, state: &ServerState, obs: &Observation, sides: &Sides) -> Progress {
    if plan.keep_source && state.direction == Direction::Out {
        return Progress::Done;
    }
    delete_source(plan, state, obs, sides)
}

/// Last: the volumes the source took with it when deleted go with the
/// server the route rebuilt, as they did with the source.
fn delete_with_server(plan: &ServerMove, state: &ServerState, obs: &Observation, sides: &Sides) -> Progress {
    if plan.deleted_with_server.is_empty() {
        return Progress::Done;
    }
    let (side, server) = sides.rebuilt(state.route);
    let Some(server) = server.present() else { return Progress::Pending(Vec::new()) };
    let Some(flags) = obs.delete_on_termination.get(&server.id) else { return Progress::Pending(Vec::new()) };
    // A volume whose flag the region cannot change (`None`) stays as it is.
    let actions: Vec<Action> = plan
        .deleted_with_server
        .iter()
        .filter(|volume| flags.get(*volume) == Some(&Some(false)))
        .map(|volume| Action::DeleteWithServer { side, server: server.id.clone(), volume: volume.clone() })
        .collect();
    Progress::unless(actions)
}

fn fault(server: &ServerView) -> String {
    server.fault.as_deref().map(|f| format!(": {f}")).unwrap_or_default()
}
