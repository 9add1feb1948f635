/*!
The safety rules, as functions the machine consults before it acts and the
tests check after every step: a source server is deleted only once a usable
copy of its disk exists and nothing about it is lost with it.
*/

use super::observation::{Observation, Seen};
use super::server::{ServerMove, ServerState, Strategy};

/// Whether the source may be deleted now; `Err` says what is missing.
pub fn may_delete_source(plan: &ServerMove, state: &ServerState, obs: &Observation) -> Result<(), String> {
    match plan.strategy {
        Strategy::Snapshot => match &state.image {
            Some(image) if image.size > 0 && !image.checksum.is_empty() => {}
            _ => return Err("no verified snapshot of the source (size and checksum recorded)".into()),
        },
        Strategy::Volume => {
            if plan.root_volume.is_none() {
                return Err("no root volume in the plan".into());
            }
            if obs.root_delete_on_termination != Seen::Present(false) {
                return Err("the root volume would be deleted with the server (delete_on_termination)".into());
            }
        }
        Strategy::Redeploy => match obs.target.present() {
            Some(target) if target.is("ACTIVE") || target.is("SHUTOFF") => {}
            _ => return Err("the redeployed server is not verified in the new region".into()),
        },
        Strategy::Wait => return Err("a server to wait for is never deleted by cutover".into()),
    }
    for id in &plan.data_volumes {
        if obs.volumes.get(id).is_none_or(|v| v.attached_to.contains(&plan.source)) {
            return Err(format!("volume {id} is still attached to the source"));
        }
    }
    for id in &plan.ports {
        if obs.ports.get(id).is_none_or(|p| p.device_id == plan.source) {
            return Err(format!("port {id} still belongs to the source and would be deleted with it"));
        }
    }
    Ok(())
}
