/*!
`/servers/{id}/os-volume_attachments`: list, show, attach, detach and
update, with the fields each microversion shows (2.70 `tag`, 2.79
`delete_on_termination`, 2.89 `attachment_id`/`bdm_uuid` instead of `id`).
The Cinder side moves attaching → in-use and detaching → available.
*/

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{json, Value};

use super::common::accepted;
use super::common::{
    check_state, check_unlocked, invalid_input, is_uuid, only_keys, opt_str, parse_bool, ItemPath, ServerPath,
};
use crate::api::common::{ok, JsonBody};
use crate::api::nova::instance_actions;
use crate::api::nova::lookup::{visible_server, visible_server_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{BlockDevice, Server, VmState};
use crate::model::volume::Volume;
use crate::model::World;
use crate::sim::Sim;

/// States in which volumes may be attached or detached.
const ATTACHABLE: [VmState; 5] =
    [VmState::Active, VmState::Paused, VmState::Stopped, VmState::SoftDeleted, VmState::Shelved];

/// The block device mapping's own UUID (`bdm_uuid`, 2.89), derived from the
/// attachment so it is stable for the mapping's life.
fn bdm_uuid(bdm: &BlockDevice) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("bdm:{}", bdm.attachment_id).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

fn view(nova: &Nova, server_id: &str, bdm: &BlockDevice) -> Value {
    let mut v = json!({"volumeId": bdm.volume_id, "serverId": server_id, "device": bdm.device_name});
    if !nova.at_least(89) {
        v["id"] = json!(bdm.volume_id);
    }
    if nova.at_least(70) {
        v["tag"] = json!(bdm.tag);
    }
    if nova.at_least(79) {
        v["delete_on_termination"] = json!(bdm.delete_on_termination);
    }
    if nova.at_least(89) {
        v["attachment_id"] = json!(bdm.attachment_id);
        v["bdm_uuid"] = json!(bdm_uuid(bdm));
    }
    v
}

fn not_attached(server_id: &str, volume_id: &str) -> ApiError {
    ApiError::not_found(format!("Instance {server_id} is not attached to volume {volume_id}"))
}

fn volume_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Volume {id} could not be found."))
}

/// A volume as Cinder shows it to the caller (its project's, or any to an admin).
fn visible_volume<'a>(w: &'a World, nova: &Nova, id: &str) -> ApiResult<&'a Volume> {
    w.volume.volumes.get(id).filter(|v| nova.caller.can_see_project(&v.project_id)).ok_or_else(|| volume_not_found(id))
}

pub async fn index(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ServerPath>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let number = |k: &str| -> ApiResult<Option<usize>> {
        q.get(k)
            .map(|v| v.parse::<usize>().map_err(|_| ApiError::bad_request(format!("{k} param must be an integer"))))
            .transpose()
    };
    let (offset, limit) = (number("offset")?.unwrap_or(0), number("limit")?.unwrap_or(1000).min(1000));
    let w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    let items: Vec<Value> =
        server.block_devices.iter().skip(offset).take(limit).map(|b| view(&nova, &server.id, b)).collect();
    Ok(ok(json!({"volumeAttachments": items})))
}

pub async fn show(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    let w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    let bdm = server
        .block_devices
        .iter()
        .find(|b| b.volume_id == p.item)
        .ok_or_else(|| not_attached(&p.server_id, &p.item))?;
    Ok(ok(json!({"volumeAttachment": view(&nova, &server.id, bdm)})))
}

struct AttachRequest {
    volume_id: String,
    tag: Option<String>,
    delete_on_termination: bool,
}

fn parse_attach(nova: &Nova, body: &Value) -> ApiResult<AttachRequest> {
    only_keys("body", body, &["volumeAttachment"])?;
    let Some(att) = body.get("volumeAttachment") else {
        return Err(invalid_input("body", body, "'volumeAttachment' is a required property"));
    };
    let mut allowed = vec!["volumeId", "device"];
    if nova.at_least(49) {
        allowed.push("tag");
    }
    if nova.at_least(79) {
        allowed.push("delete_on_termination");
    }
    only_keys("volumeAttachment", att, &allowed)?;
    let volume_id = match opt_str(att, "volumeId")? {
        Some(v) if is_uuid(v) => v.to_string(),
        Some(v) => return Err(invalid_input("volumeId", &att["volumeId"], format!("'{v}' is not a 'uuid'"))),
        None => return Err(invalid_input("volumeAttachment", att, "'volumeId' is a required property")),
    };
    if let Some(device) = opt_str(att, "device")? {
        if !valid_device(device) {
            return Err(invalid_input("device", &att["device"], "does not match the device name pattern"));
        }
    }
    let tag = opt_str(att, "tag")?.map(str::to_string);
    if let Some(t) = &tag {
        if t.is_empty() || t.chars().count() > 60 || t.contains(['/', ',']) {
            return Err(invalid_input("tag", &att["tag"], format!("'{t}' is not a valid tag")));
        }
    }
    let delete_on_termination = match att.get("delete_on_termination") {
        Some(v) => parse_bool("delete_on_termination", v)?,
        None => false,
    };
    Ok(AttachRequest { volume_id, tag, delete_on_termination })
}

/// Nova's device pattern `(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$`.
fn valid_device(d: &str) -> bool {
    let Some(rest) = d.strip_prefix("/dev/") else { return false };
    let name = rest.trim_end_matches(|c: char| c.is_ascii_digit());
    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase())
}

/// The next free `/dev/vdX`. The libvirt driver picks it itself and
/// ignores the name the user asked for; an image-backed root disk is vda.
fn next_device(server: &Server) -> String {
    let used: Vec<&str> = server.block_devices.iter().map(|b| b.device_name.as_str()).collect();
    let first = if server.image_id.is_some() { b'b' } else { b'a' };
    (first..=b'z')
        .map(|c| format!("/dev/vd{}", c as char))
        .find(|d| !used.contains(&d.as_str()))
        .unwrap_or_else(|| format!("/dev/vd{}", server.block_devices.len()))
}

pub async fn create(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ServerPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let req = parse_attach(&nova, &body)?;
    let mut w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    check_unlocked(server, &nova)?;
    check_state(server, "attach_volume", &ATTACHABLE, true)?;
    let volume = visible_volume(&w, &nova, &req.volume_id)?;
    if !volume.attachments.is_empty() {
        let others: Vec<&str> = volume.attachments.iter().map(|a| a.server_id.as_str()).collect();
        if !volume.multiattach {
            // Nova passes on Cinder's refusal to reserve the volume (seen on
            // real Nova 34 and 2024.1 with a shared Cinder, tools/realcloud).
            return Err(ApiError::bad_request(format!(
                "Invalid input received: Invalid volume: Volume {} status must be available or downloading to \
                 reserve, but the current status is in-use.",
                volume.id
            )));
        }
        if others.contains(&p.server_id.as_str()) {
            return Err(ApiError::bad_request(format!("Invalid volume: volume {} already attached", volume.id)));
        }
    }
    if volume.multiattach && !nova.at_least(60) {
        return Err(ApiError::bad_request(
            "Multiattach volumes are only supported starting with compute API version 2.60.",
        ));
    }
    let device = next_device(server);
    let host = server.host.clone();
    let now = w.now;
    // Cinder's attachment create: checks the status and records the
    // attachment; it reads `attaching` until the guest sees the disk.
    let attachment = w
        .volume
        .attach(&req.volume_id, &p.server_id, host, &device, now)
        .map_err(|e| ApiError::bad_request(format!("Invalid input received: {e} (HTTP 400)")))?;
    if let Some(v) = w.volume.volumes.get_mut(&req.volume_id) {
        v.status = "attaching".into();
    }
    let bdm = BlockDevice {
        volume_id: req.volume_id.clone(),
        boot_index: None,
        device_name: device.clone(),
        delete_on_termination: req.delete_on_termination,
        tag: req.tag.clone(),
        attachment_id: attachment.id,
    };
    let server = visible_server_mut(&mut w, &nova, &p.server_id)?;
    server.block_devices.push(bdm);
    server.updated = now;
    let volume_id = req.volume_id.clone();
    const ATTACH: &str = "compute_attach_volume";
    instance_actions::record(&mut w, &nova, &p.server_id, "attach_volume", Some(ATTACH));
    let attach_secs = w.time.volume_attach_secs;
    instance_actions::finish_after(&mut w, &nova.region, &p.server_id, ATTACH, attach_secs, None);
    let secs = crate::clock::TimeModel::secs(w.time.volume_attach_secs);
    w.after(secs, move |w| {
        let now = w.now;
        if let Some(v) = w.volume.volumes.get_mut(&volume_id).filter(|v| v.status == "attaching") {
            v.status = "in-use".into();
            v.updated_at = Some(now);
        }
    });
    let mut att = json!({"id": req.volume_id, "serverId": p.server_id, "volumeId": req.volume_id, "device": device});
    if nova.at_least(70) {
        att["tag"] = json!(req.tag);
    }
    if nova.at_least(79) {
        att["delete_on_termination"] = json!(req.delete_on_termination);
    }
    Ok(ok(json!({"volumeAttachment": att})))
}

pub async fn delete(State(sim): State<Sim>, nova: Nova, Path(p): Path<ItemPath>) -> ApiResult<Response> {
    let mut w = sim.world();
    let server = visible_server(&w, &nova, &p.server_id)?;
    let volume = visible_volume(&w, &nova, &p.item)?;
    let bdm = server
        .block_devices
        .iter()
        .find(|b| b.volume_id == p.item)
        .ok_or_else(|| not_attached(&p.server_id, &p.item))?;
    if bdm.boot_index == Some(0) {
        return Err(ApiError::bad_request("Cannot detach a root device volume"));
    }
    check_unlocked(server, &nova)?;
    check_state(server, "detach_volume", &ATTACHABLE, true)?;
    if volume.status != "in-use" {
        return Err(ApiError::bad_request(
            "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be \
             'attached' to detach.",
        ));
    }
    let attachment_id = bdm.attachment_id.clone();
    let now = w.now;
    if let Some(v) = w.volume.volumes.get_mut(&p.item) {
        v.status = "detaching".into();
        v.updated_at = Some(now);
    }
    const DETACH: &str = "compute_detach_volume";
    instance_actions::record(&mut w, &nova, &p.server_id, "detach_volume", Some(DETACH));
    let detach_secs = w.time.volume_detach_secs;
    instance_actions::finish_after(&mut w, &nova.region, &p.server_id, DETACH, detach_secs, None);
    let (region, server_id, volume_id) = (nova.region.clone(), p.server_id.clone(), p.item.clone());
    let secs = crate::clock::TimeModel::secs(w.time.volume_detach_secs);
    w.after(secs, move |w| {
        let now = w.now;
        // The compute manager destroys the mapping once the guest let go.
        if let Some(s) = w.compute_region_mut(&region).and_then(|r| r.servers.get_mut(&server_id)) {
            s.block_devices.retain(|b| b.attachment_id != attachment_id);
            s.updated = now;
        }
        // Cinder's attachment delete; the volume may have gone meanwhile.
        let _ = w.volume.remove_attachment(&attachment_id);
        if let Some(v) = w.volume.volumes.get_mut(&volume_id) {
            if v.status == "detaching" {
                v.status = "in-use".into();
            }
            v.updated_at = Some(now);
        }
    });
    Ok(accepted())
}

/// `PUT`: before 2.85 only the admin's volume swap, which Nova now leaves
/// to Cinder-driven migrations (409 for a volume not migrating); from 2.85
/// the owner may change `delete_on_termination` (other fields immutable).
pub async fn update(
    State(sim): State<Sim>,
    nova: Nova,
    Path(p): Path<ItemPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    only_keys("body", &body, &["volumeAttachment"])?;
    let Some(att) = body.get("volumeAttachment") else {
        return Err(invalid_input("body", &body, "'volumeAttachment' is a required property"));
    };
    let regular = nova.at_least(85);
    let allowed: &[&str] =
        if regular { &["volumeId", "id", "serverId", "device", "tag", "delete_on_termination"] } else { &["volumeId"] };
    only_keys("volumeAttachment", att, allowed)?;
    let new_volume = match opt_str(att, "volumeId")? {
        Some(v) if is_uuid(v) => v.to_string(),
        Some(v) => return Err(invalid_input("volumeId", &att["volumeId"], format!("'{v}' is not a 'uuid'"))),
        None => return Err(invalid_input("volumeAttachment", att, "'volumeId' is a required property")),
    };
    let mut w = sim.world();
    visible_server(&w, &nova, &p.server_id)?;
    if !regular || new_volume != p.item {
        nova.caller.require_admin("os_compute_api:os-volumes-attachments:swap")?;
        let old = visible_volume(&w, &nova, &p.item)?;
        return Err(ApiError::conflict(format!(
            "volume {} is not migrating; this API should only be called by Cinder",
            old.id
        )));
    }
    let server = visible_server_mut(&mut w, &nova, &p.server_id)?;
    let server_id = server.id.clone();
    let bdm = server
        .block_devices
        .iter_mut()
        .find(|b| b.volume_id == p.item)
        .ok_or_else(|| not_attached(&p.server_id, &p.item))?;
    let immutable = |field: &str, current: Value| -> ApiResult<()> {
        match att.get(field) {
            Some(v) if *v != current => Err(ApiError::bad_request(format!("The {field} property is not mutable"))),
            _ => Ok(()),
        }
    };
    immutable("id", json!(p.item))?;
    immutable("serverId", json!(server_id))?;
    immutable("device", json!(bdm.device_name))?;
    immutable("tag", json!(bdm.tag))?;
    if let Some(v) = att.get("delete_on_termination") {
        bdm.delete_on_termination = parse_bool("delete_on_termination", v)?;
    }
    Ok(accepted())
}
