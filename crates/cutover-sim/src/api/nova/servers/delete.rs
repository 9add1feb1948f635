/*!
`DELETE /servers/{id}`: task_state deleting, then after `time.delete_secs`
the server's resources are released as Nova's compute manager releases them
(ports deleted or unbound, volumes detached or deleted, nova-network
addresses freed (fixed IPs a little later, as nova-network disassociates
them), group membership dropped) and the record becomes a DELETED
tombstone for `changes-since`.
*/

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::nova::instance_actions;
use crate::api::nova::lookup::visible_server_mut;
use crate::api::nova::Nova;
use crate::clock::TimeModel;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{PowerState, VmState};
use crate::model::World;
use crate::sim::Sim;

/// The compute manager's event for a delete.
const TERMINATE: &str = "compute_terminate_instance";

pub async fn delete(State(sim): State<Sim>, nova: Nova, Path((_, id)): Path<(String, String)>) -> ApiResult<Response> {
    let mut w = sim.world();
    let now = w.now;
    let admin = nova.caller.is_admin();
    let s = visible_server_mut(&mut w, &nova, &id)?;
    if s.locked && !admin {
        return Err(ApiError::conflict(format!("Instance {id} is locked")));
    }
    if s.task_state.as_deref() == Some("deleting") {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    // A server never placed on a host is deleted at once by the API
    // (Nova's local delete); others wait for their compute host.
    let local = s.host.is_none();
    s.task_state = Some("deleting".into());
    s.generation += 1;
    s.updated = now;
    let generation = s.generation;
    if local {
        instance_actions::record(&mut w, &nova, &id, "delete", None);
        finish(&mut w, &nova.region, &id);
    } else {
        instance_actions::record(&mut w, &nova, &id, "delete", Some(TERMINATE));
        let region = nova.region.clone();
        let due = TimeModel::secs(w.time.delete_secs);
        w.after(due, move |w| {
            let current = w.compute_region(&region).and_then(|r| r.servers.get(&id)).map(|s| s.generation);
            if current == Some(generation) {
                finish(w, &region, &id);
                instance_actions::finish(w, &region, &id, TERMINATE, None);
            }
        });
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Frees what the server held and turns it into a tombstone.
pub fn finish(w: &mut World, region: &str, id: &str) {
    release_network(w, region, id);
    let now = w.now;
    let Some(r) = w.compute_region_mut(region) else { return };
    let Some(mut server) = r.remove_server(id) else { return };
    for g in r.server_groups.values_mut() {
        g.members.retain(|m| m != id);
    }
    for b in &server.block_devices {
        let _ = w.volume.detach(&b.volume_id, id);
        if b.delete_on_termination {
            w.volume.volumes.remove(&b.volume_id);
        }
    }
    server.block_devices.clear();
    server.vm_state = VmState::Deleted;
    server.task_state = None;
    server.power_state = PowerState::NoState;
    server.terminated_at = Some(now);
    server.updated = now;
    if let Some(r) = w.compute_region_mut(region) {
        r.deleted_servers.insert(id.to_string(), server);
    }
}

/// nova-network's fixed IPs of a deleted server: deallocated now, but
/// still associated with it (a boot asking for one is refused) until
/// nova-network disassociates them, `time.fixed_ip_release_secs` later.
fn release_fixed_ips(w: &mut World, region: &str, id: &str, fixed: Vec<String>) {
    if fixed.is_empty() {
        return;
    }
    let (region, id) = (region.to_string(), id.to_string());
    w.after(TimeModel::secs(w.time.fixed_ip_release_secs), move |w| {
        let Some(r) = w.compute_region_mut(&region) else { return };
        for ip in &fixed {
            if r.fixed_ips_in_use.get(ip) == Some(&id) {
                r.fixed_ips_in_use.remove(ip);
            }
        }
    });
}

/// Nova's `deallocate_for_instance`: the ports Neutron lists on the server
/// are deleted, except those the user passed, which are unbound and kept
/// (with their floating IPs); in nova-network, fixed IPs are released and
/// floating IPs disassociated.
///
/// Nova finds the user's ports in its own network info cache, not in
/// Neutron, and unbinds each by id without looking at its `device_id`
/// (`_unbind_ports`): a user port an admin handed to another server
/// meanwhile is taken from that server too. A port Nova created and an
/// admin released is neither in the listing nor the user's: it stays as
/// it is.
pub fn release_network(w: &mut World, region: &str, id: &str) {
    let Some(server) = w.compute_region(region).and_then(|r| r.servers.get(id)) else { return };
    let preserved: Vec<String> =
        server.nics.iter().filter(|n| n.preserve_on_delete).filter_map(|n| n.port_id.clone()).collect();
    let fixed: Vec<String> =
        server.nics.iter().filter(|n| n.port_id.is_none()).flat_map(|n| n.fixed_ips.clone()).collect();
    let now = w.now;
    let listed: Vec<String> = w.network.ports_of_device(id).iter().map(|p| p.id.clone()).collect();
    for port_id in listed.iter().filter(|p| !preserved.contains(p)) {
        w.network.remove_port(port_id);
    }
    for port_id in &preserved {
        w.network.unbind_port(port_id, now);
    }
    release_fixed_ips(w, region, id, fixed);
    let Some(r) = w.compute_region_mut(region) else { return };
    for fip in r.floating_ips.values_mut().filter(|f| f.instance_id.as_deref() == Some(id)) {
        fip.instance_id = None;
        fip.fixed_ip = None;
    }
    if let Some(s) = r.servers.get_mut(id) {
        s.nics.clear();
    }
}
