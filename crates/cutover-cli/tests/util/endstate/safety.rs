/*!
The guarantees that hold at every moment of a run (docs/journal.md), checked
on the simulator after `cutover run` was killed: no server lost (a copy
runs or is shut off, or its disk is kept — the journaled snapshot, active
with the recorded size and checksum, or its root volume — and its rebuild
record is in the journal), none duplicated (one rebuild and one restore
at most, never two copies running), and its ports, addresses, floating
IPs and volumes still there.
*/

use std::collections::BTreeMap;
use std::path::Path;

use cutover_core::machine::ServerState;
use cutover_core::plan::{Plan, ServerPlan, ServerRecord};
use cutover_journal::Journal;
use cutover_sim::model::compute::VmState;
use cutover_sim::model::image::ImageStatus;
use cutover_sim::model::World;

use super::{copies, Copy};

/// What the journal at `path` holds per server: its state and rebuild
/// record. `None` when there is no journal (a run killed before creating
/// it sent nothing).
pub fn journaled(path: &Path) -> Option<BTreeMap<String, (ServerState, ServerRecord)>> {
    if !path.exists() {
        return None;
    }
    let journal = Journal::open_read_only(path).unwrap_or_else(|e| panic!("the journal {} opens: {e}", path.display()));
    let servers = journal.servers().unwrap_or_else(|e| panic!("the journal's servers read: {e}"));
    Some(
        servers
            .into_iter()
            .map(|e| {
                let record: ServerRecord = serde_json::from_value(e.record)
                    .unwrap_or_else(|err| panic!("{}: the journaled record parses: {err}", e.plan.source));
                (e.plan.source.into(), (e.state, record))
            })
            .collect(),
    )
}

/// Every guarantee broken now, with the server it concerns.
pub fn check(plan: &Plan, journal: &Path, world: &World) -> Vec<String> {
    let journaled = journaled(journal);
    let mut problems = Vec::new();
    for (_, planned) in plan.servers() {
        let who = format!("{} ({})", planned.server.name, planned.server.id);
        let entry = journaled.as_ref().map(|j| j.get(planned.server.id.as_str()));
        problems.extend(server(plan, planned, entry, world).into_iter().map(|p| format!("{who}: {p}")));
    }
    problems
}

fn server(
    plan: &Plan,
    planned: &ServerPlan,
    journaled: Option<Option<&(ServerState, ServerRecord)>>,
    world: &World,
) -> Vec<String> {
    let r = &planned.server;
    let mut problems = Vec::new();
    let copies = copies(world, plan, planned);
    let count = |kind: Copy| copies.iter().filter(|(c, _)| *c == kind).count();
    if count(Copy::Rebuild) > 1 || count(Copy::Restored) > 1 {
        let ids: Vec<String> = copies.iter().map(|(c, s)| format!("{c:?} {}", s.id)).collect();
        problems.push(format!("duplicated: {ids:?}"));
    }
    let running: Vec<&str> =
        copies.iter().filter(|(_, s)| s.vm_state == VmState::Active).map(|(_, s)| s.id.as_str()).collect();
    if running.len() > 1 {
        problems.push(format!("runs twice: {running:?}"));
    }
    let usable = copies.iter().any(|(_, s)| matches!(s.vm_state, VmState::Active | VmState::Stopped));
    match journaled {
        None if !copies.iter().any(|(c, _)| *c == Copy::Source) => {
            problems.push("the source is gone, and there is no journal".into())
        }
        None => {}
        Some(None) => problems.push("not in the journal".into()),
        Some(Some((state, record))) => {
            if record != r {
                problems.push("the journal's rebuild record is not the plan's".into());
            }
            if !usable && !disk_kept(planned, state, world) {
                let found: Vec<String> = copies.iter().map(|(c, s)| format!("{c:?} {}", s.status())).collect();
                problems.push(format!("lost: no usable copy ({found:?}) and no disk kept (state {state:?})"));
            }
        }
    }
    problems.extend(resources(r, world));
    problems
}

/// The journaled snapshot is active with its recorded size and checksum,
/// or the root volume exists.
pub fn disk_kept(planned: &ServerPlan, state: &ServerState, world: &World) -> bool {
    let snapshot = state.image.as_ref().is_some_and(|copy| {
        world.image.images.get(copy.id.as_str()).is_some_and(|i| {
            i.status == ImageStatus::Active && i.size == Some(copy.size) && i.checksum.as_ref() == Some(&copy.checksum)
        })
    });
    let volume = planned.server.root_volume().is_some_and(|v| world.volume.volumes.contains_key(v.id.as_str()));
    snapshot || volume
}

/// The ports (with their MAC and addresses), floating IPs and volumes of
/// the record, which cutover never deletes.
fn resources(r: &ServerRecord, world: &World) -> Vec<String> {
    let mut problems = Vec::new();
    for p in &r.ports {
        let ips: Vec<(&str, &str)> = p.fixed_ips.iter().map(|f| (f.subnet_id.as_str(), f.ip.as_str())).collect();
        match world.network.ports.get(p.id.as_str()) {
            None => problems.push(format!("port {} is gone", p.id)),
            Some(port) => {
                let has: Vec<(&str, &str)> =
                    port.fixed_ips.iter().map(|f| (f.subnet_id.as_str(), f.ip_address.as_str())).collect();
                if port.mac_address != p.mac || has != ips {
                    problems.push(format!("port {} is {} {has:?}, not {} {ips:?}", p.id, port.mac_address, p.mac));
                }
            }
        }
    }
    for f in r.floating_ips.iter().filter(|f| f.id.is_some()) {
        let found = f.id.as_ref().and_then(|id| world.network.floating_ips.get(id.as_str()));
        if found
            .is_none_or(|fip| fip.floating_ip_address != f.address || fip.port_id.as_deref() != f.port_id.as_deref())
        {
            problems.push(format!("floating IP {} is not on port {:?} any more", f.address, f.port_id));
        }
    }
    for v in &r.volumes {
        if !world.volume.volumes.contains_key(v.id.as_str()) {
            problems.push(format!("volume {} is gone", v.id));
        }
    }
    problems
}
