/*!
The safety rules, as functions the machine consults before it acts and the
tests check after every step: a source server is deleted only once a usable
copy of its disk exists and nothing about it is lost with it. Going back,
the source is the rebuild in the new region, and the same rules hold for it.
*/

use super::observation::{Observation, Seen};
use super::route::{ServerMove, ServerState, Strategy};
use super::sides::Sides;
use crate::model::ServerStatus;

/// Whether the source of the current direction may be deleted now; `Err`
/// says what is missing.
pub fn may_delete_source(plan: &ServerMove, state: &ServerState, obs: &Observation) -> Result<(), String> {
    let sides = Sides::of(plan, state.direction, obs);
    let Some(source) = sides.source_id else { return Err(format!("{} is not observed", sides.what)) };
    match plan.strategy {
        Strategy::Snapshot => match &state.image {
            Some(image) if image.size > 0 && !image.checksum.is_empty() => {}
            _ => return Err("no verified snapshot of the source (size and checksum recorded)".into()),
        },
        Strategy::Volume => {
            if plan.root_volume.is_none() {
                return Err("no root volume in the plan".into());
            }
            if *sides.root_delete_on_termination != Seen::Present(false) {
                return Err("the root volume would be deleted with the server (delete_on_termination)".into());
            }
        }
        Strategy::Redeploy => match sides.rebuild.present() {
            Some(rebuild) if rebuild.is(ServerStatus::Active) || rebuild.is(ServerStatus::Shutoff) => {}
            _ => return Err("the redeployed server is not verified where it moves to".into()),
        },
        Strategy::Wait => return Err("a server to wait for is never deleted by cutover".into()),
    }
    for id in &plan.data_volumes {
        if obs.volumes.get(id).is_none_or(|v| v.attached_to.iter().any(|s| s == source)) {
            return Err(format!("volume {id} is still attached to the source"));
        }
    }
    for id in &plan.ports {
        if obs.ports.get(id).is_none_or(|p| p.device_id == *source) {
            return Err(format!("port {id} still belongs to the source and would be deleted with it"));
        }
    }
    Ok(())
}
