/*!
`createImage`: a server snapshot as a Glance image. Image-backed servers
go through the compute manager's task states while the image goes queued →
saving → active (or `killed` under the `snapshot_killed` fault);
volume-backed ones get at once an empty active image whose
`block_device_mapping` points at Cinder snapshots (`snapshot_volume_backed`).
*/

use std::collections::BTreeMap;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::common::{begin, check_state, invalid_input, only_keys};
use crate::api::nova::instance_actions;
use crate::api::nova::lookup::{region, visible_server};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{Server, VmState};
use crate::model::identity::Scope;
use crate::model::image::{synthetic_data, Image, ImageStatus};
use crate::model::World;
use crate::sim::Sim;

/// Snapshot data size when the base image's size is unknown.
const DEFAULT_SNAPSHOT_BYTES: usize = 64 * 1024;

/// Base image properties a snapshot never inherits
/// (`NON_INHERITABLE_IMAGE_PROPERTIES`, the `os_glance` namespace, and the
/// mappings Nova keeps out of system metadata).
fn inheritable(key: &str) -> bool {
    !matches!(
        key,
        "cinder_encryption_key_id"
            | "cinder_encryption_key_deletion_policy"
            | "img_signature"
            | "img_signature_hash_method"
            | "img_signature_key_type"
            | "img_signature_certificate_uuid"
            | "mappings"
            | "block_device_mapping"
            | "img_mappings"
            | "img_block_device_mapping"
            | "bdm_v2"
            | "root_device_name"
    ) && !key.starts_with("os_glance")
}

struct Request {
    name: String,
    metadata: BTreeMap<String, String>,
}

fn parse(args: &Value) -> ApiResult<Request> {
    only_keys("createImage", args, &["name", "metadata"])?;
    let name = match args.get("name") {
        Some(Value::String(n)) if n.is_empty() || n.chars().count() > 255 || n.trim() != n => {
            return Err(invalid_input(
                "name",
                &args["name"],
                "The name must be 1 to 255 characters without leading or trailing whitespace",
            ))
        }
        Some(Value::String(n)) => n.clone(),
        Some(other) => return Err(invalid_input("name", other, format!("{other} is not of type 'string'"))),
        None => return Err(invalid_input("createImage", args, "'name' is a required property")),
    };
    let metadata = match args.get("metadata") {
        None => BTreeMap::new(),
        Some(Value::Object(map)) => {
            let mut out = BTreeMap::new();
            for (k, v) in map {
                match v {
                    Value::String(s) if !k.is_empty() && k.len() <= 255 && s.chars().count() <= 255 => {
                        out.insert(k.clone(), s.clone());
                    }
                    other => {
                        return Err(invalid_input(&format!("metadata/{k}"), other, "is not a valid metadata item"))
                    }
                }
            }
            out
        }
        Some(other) => return Err(invalid_input("metadata", other, format!("{other} is not of type 'object'"))),
    };
    Ok(Request { name, metadata })
}

pub fn create_image(sim: &Sim, nova: &Nova, id: &str, args: &Value) -> ApiResult<Response> {
    let req = parse(args)?;
    let mut w = sim.world();
    let server = visible_server(&w, nova, id)?;
    // Before 2.39 the image properties counted against `metadata_items`.
    if !nova.at_least(39) {
        let limit = region(&w, nova)?.effective_quota(&server.project_id).metadata_items;
        if limit >= 0 && req.metadata.len() as i64 > limit {
            return Err(ApiError::forbidden("Image metadata limit exceeded"));
        }
    }
    check_state(
        server,
        "createImage",
        &[VmState::Active, VmState::Stopped, VmState::Paused, VmState::Suspended],
        true,
    )?;
    let volume_backed = server.image_id.is_none() || server.block_devices.iter().any(|b| b.boot_index == Some(0));
    let image_id =
        if volume_backed { snapshot_volume_backed(&mut w, nova, id, req)? } else { snapshot(&mut w, nova, id, req)? };
    if nova.at_least(45) {
        return Ok(crate::api::common::reply(StatusCode::ACCEPTED, json!({"image_id": image_id})));
    }
    let location = format!("{}/image/v2/images/{image_id}", w.base_url);
    // Nova answers with a bare webob.Response here, whose default type this is.
    let headers = [(header::LOCATION, location), (header::CONTENT_TYPE, "text/html; charset=UTF-8".to_string())];
    Ok((StatusCode::ACCEPTED, headers).into_response())
}

/// The image record every snapshot starts from
/// (`initialize_instance_snapshot_metadata`): owned by the caller's
/// project, private to the server's owner, shared when someone else (an
/// admin) takes it.
fn initial_image(w: &mut World, nova: &Nova, server: &Server, name: String) -> Image {
    let id = w.new_uuid();
    let owner = nova.caller.project_id.clone();
    let mut image = Image::new(id, Some(name), owner.clone(), w.now);
    image.visibility = if owner.as_deref() == Some(server.project_id.as_str()) { "private" } else { "shared" }.into();
    if image.visibility == "shared" {
        // Nova's Glance client adds the server's project as a member of the
        // image (`instance_owner`), so its owner can boot from it.
        image.members.insert(server.project_id.clone(), "pending".into());
    }
    let names = (
        w.identity.users.get(&server.user_id).map(|u| u.name.clone()),
        w.identity.projects.get(&server.project_id).map(|p| p.name.clone()),
    );
    if let (Some(user), Some(project)) = names {
        image.properties.insert("owner_user_name".into(), json!(user));
        image.properties.insert("owner_project_name".into(), json!(project));
    }
    // Nova keeps the booting user's roles in the server's system metadata
    // (`boot_roles`) and every snapshot inherits them.
    let scope = Scope::Project(server.project_id.clone());
    let roles: Vec<&str> = w.identity.roles_on(&server.user_id, &scope).iter().map(|r| r.name.as_str()).collect();
    image.properties.insert("boot_roles".into(), json!(roles.join(",")));
    image
}

/// The flavor's root disk in GB.
fn root_gb(w: &World, nova: &Nova, server: &Server) -> u64 {
    w.compute_region(&nova.region).and_then(|r| r.flavors.get(&server.flavor_id)).map_or(0, |f| f.disk_gb)
}

/// An image-backed snapshot: the image is created queued, the compute
/// host snapshots the disk, then uploads it.
fn snapshot(w: &mut World, nova: &Nova, id: &str, req: Request) -> ApiResult<String> {
    let server = visible_server(w, nova, id)?.clone();
    let base = server.image_id.as_deref().and_then(|i| w.image.images.get(i)).cloned();
    let mut image = initial_image(w, nova, &server, req.name);
    if let Some(base) = &base {
        for (k, v) in base.properties.iter().filter(|(k, _)| inheritable(k)) {
            image.properties.insert(k.clone(), v.clone());
        }
        image.min_ram = base.min_ram;
        image.min_disk = base.min_disk;
    }
    let gb = root_gb(w, nova, &server);
    image.min_disk = image.min_disk.max(gb);
    let base_ref = server.image_id.clone().unwrap_or_default();
    image.properties.insert("base_image_ref".into(), json!(base_ref));
    image.properties.insert("image_type".into(), json!("snapshot"));
    image.properties.insert("instance_uuid".into(), json!(server.id));
    image.properties.insert("user_id".into(), json!(nova.caller.user_id));
    for (k, v) in req.metadata {
        image.properties.insert(k, json!(v));
    }
    let image_id = image.id.clone();
    w.image.images.insert(image_id.clone(), image);

    let killed = w.faults.snapshot_fails(&nova.region, &mut w.rng);
    let now = w.now;
    let server = crate::api::nova::lookup::visible_server_mut(w, nova, id)?;
    let generation = begin(server, now, Some("image_snapshot_pending"));
    let gb = gb.max(1);
    let virtual_size = gb * 1024 * 1024 * 1024;
    let gb = gb as f64;
    let snap_secs = w.time.snapshot_secs_per_gb * gb;
    let upload_secs = w.time.image_upload_secs_per_gb * gb;
    let data_len = base.and_then(|b| b.size).map_or(DEFAULT_SNAPSHOT_BYTES, |s| s as usize);
    let job = Job { region: nova.region.clone(), server_id: id.to_string(), image_id: image_id.clone(), generation };
    job.at(w, 0.0, |_, server| server.task_state = Some("image_snapshot".into()));
    job.at(w, snap_secs, move |image, server| {
        if killed {
            image.status = ImageStatus::Killed;
            server.task_state = None;
        } else {
            image.status = ImageStatus::Saving;
            server.task_state = Some("image_pending_upload".into());
        }
    });
    if !killed {
        job.at(w, snap_secs + upload_secs / 10.0, |_, server| server.task_state = Some("image_uploading".into()));
        let project = server_project(&job, w);
        job.at(w, snap_secs + upload_secs, move |image, server| {
            // What the libvirt driver sets when it uploads the snapshot.
            image.disk_format = Some("qcow2".into());
            image.container_format = Some("bare".into());
            image.properties.insert("image_location".into(), json!("snapshot"));
            image.properties.insert("image_state".into(), json!("available"));
            image.properties.insert("owner_id".into(), json!(project));
            image.set_data(synthetic_data(&image.id, data_len));
            image.virtual_size = Some(virtual_size);
            image.status = ImageStatus::Active;
            server.task_state = None;
        });
    }
    const EVENT: &str = "compute_snapshot_instance";
    instance_actions::record(w, nova, id, "createImage", Some(EVENT));
    let (secs, failed) = match killed {
        true => (snap_secs, Some(format!("ImageNotFound: Image {image_id} could not be found."))),
        false => (snap_secs + upload_secs, None),
    };
    instance_actions::finish_after(w, &nova.region, id, EVENT, secs, failed);
    Ok(image_id)
}

fn server_project(job: &Job, w: &World) -> String {
    w.compute_region(&job.region)
        .and_then(|r| r.servers.get(&job.server_id))
        .map(|s| s.project_id.clone())
        .unwrap_or_default()
}

/// One snapshot in progress: its steps touch both the image and the server.
#[derive(Clone)]
struct Job {
    region: String,
    server_id: String,
    image_id: String,
    generation: u64,
}

impl Job {
    /// Schedules a step `secs` from now. If the server was deleted or a
    /// newer operation took over, the snapshot is abandoned and its
    /// unfinished image deleted, as the compute manager does.
    fn at(&self, w: &mut World, secs: f64, step: impl FnOnce(&mut Image, &mut Server) + Send + Sync + 'static) {
        let job = self.clone();
        w.after(crate::clock::TimeModel::secs(secs), move |w| {
            let now = w.now;
            let Some(image) = w.image.images.get_mut(&job.image_id) else { return };
            if image.status == ImageStatus::Killed {
                return;
            }
            let server = w
                .compute
                .get_mut(&job.region)
                .and_then(|r| r.servers.get_mut(&job.server_id))
                .filter(|s| s.generation == job.generation);
            match server {
                Some(server) => {
                    step(image, server);
                    image.updated_at = now;
                    server.updated = now;
                }
                None if image.status != ImageStatus::Active => {
                    w.image.images.remove(&job.image_id);
                }
                None => {}
            }
        });
    }
}

/// A volume-backed snapshot: Cinder snapshots of the server's volumes and
/// an empty, active image mapping them. The Cinder snapshots are not
/// modelled as records; only their ids appear in the mapping.
fn snapshot_volume_backed(w: &mut World, nova: &Nova, id: &str, req: Request) -> ApiResult<String> {
    let server = visible_server(w, nova, id)?.clone();
    let mut image = initial_image(w, nova, &server, req.name);
    let root = server.block_devices.iter().find(|b| b.boot_index == Some(0));
    if let Some(volume) = root.and_then(|b| w.volume.volumes.get(&b.volume_id)) {
        // The root volume's image metadata stands in for the base image.
        for (k, v) in &volume.image_metadata {
            match k.as_str() {
                "min_ram" => image.min_ram = v.parse().unwrap_or(0),
                "min_disk" => image.min_disk = v.parse().unwrap_or(0),
                "image_id" | "image_name" | "checksum" | "size" | "container_format" | "disk_format" => {}
                _ if inheritable(k) => {
                    image.properties.insert(k.clone(), json!(v));
                }
                _ => {}
            }
        }
    }
    image.min_disk = image.min_disk.max(root_gb(w, nova, &server));
    image.properties.insert("base_image_ref".into(), json!(""));
    for (k, v) in req.metadata {
        image.properties.insert(k, json!(v));
    }
    if let Some(root) = root {
        image.properties.insert("root_device_name".into(), json!(root.device_name));
    }
    let mut mapping = Vec::new();
    for bdm in &server.block_devices {
        let size = w.volume.volumes.get(&bdm.volume_id).map(|v| v.size_gb);
        mapping.push(json!({
            "source_type": "snapshot",
            "destination_type": "volume",
            "snapshot_id": w.new_uuid(),
            "volume_id": null,
            "image_id": null,
            "volume_size": size,
            "device_name": bdm.device_name,
            "boot_index": bdm.boot_index,
            "delete_on_termination": bdm.delete_on_termination,
            "tag": bdm.tag,
            "disk_bus": "virtio",
            "device_type": "disk",
            "guest_format": null,
            "no_device": null,
            "volume_type": null,
        }));
    }
    if !mapping.is_empty() {
        // Nova's Glance client sends the mapping as JSON text.
        image.properties.insert("block_device_mapping".into(), json!(Value::Array(mapping).to_string()));
        image.properties.insert("bdm_v2".into(), json!("True"));
    }
    // `size = 0` makes Nova activate the image with an empty upload.
    image.disk_format = Some("raw".into());
    image.container_format = Some("bare".into());
    image.set_data(Vec::new());
    image.virtual_size = Some(0);
    image.status = ImageStatus::Active;
    let image_id = image.id.clone();
    w.image.images.insert(image_id.clone(), image);
    Ok(image_id)
}
