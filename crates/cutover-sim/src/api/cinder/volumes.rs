/*!
Cinder volumes: rendering (summary and detail, attachments as Cinder lists
them), list with filters, sorting and `volumes_links`, create (from nothing,
an image or another volume, `creating → available` on the time model),
update and delete (`deleting → gone`).
*/

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::microversion::{Cinder, Id};
use crate::api::common::{ok, page, reply, JsonBody};
use crate::clock::TimeModel;
use crate::error::{ApiError, ApiResult};
use crate::model::image::ImageStatus;
use crate::model::volume::Volume;
use crate::model::{iso_micros, World};
use crate::sim::Sim;

const MAX_LIMIT: usize = 1000;
const SORT_KEYS: [&str; 8] =
    ["id", "name", "status", "size", "created_at", "updated_at", "availability_zone", "bootable"];
/// Query parameters Cinder accepts on volume lists; others are a 400.
const LIST_PARAMS: [&str; 18] = [
    "all_tenants",
    "created_at",
    "updated_at",
    "project_id",
    "name",
    "status",
    "metadata",
    "bootable",
    "availability_zone",
    "volume_type",
    "limit",
    "marker",
    "sort",
    "sort_key",
    "sort_dir",
    "with_count",
    "user_id",
    "offset",
];

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/volumes", get(list).post(create))
        .route("/volumes/detail", get(list_detail))
        .route("/volumes/{id}", get(show).put(update).delete(delete))
}

fn links(c: &Cinder, base: &str, id: &str) -> Value {
    json!([
        {"href": c.href(base, &format!("volumes/{id}")), "rel": "self"},
        {"href": format!("{base}/volume/{}/volumes/{id}", c.url_project), "rel": "bookmark"}
    ])
}

/// Which answer a volume is rendered for. Cinder's API extensions (host,
/// tenant, migration and image-metadata attributes) extend only `show` and
/// the detail list; create and update answer with the bare detail view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Extended,
    Bare,
}

/// A volume as Cinder's detail view renders it at the request's version.
pub fn render(c: &Cinder, w: &World, v: &Volume, view: View) -> Value {
    let vtype = w.volume.find_type(&v.volume_type);
    let attachments: Vec<Value> = v
        .attachments
        .iter()
        .map(|a| {
            json!({"id": v.id, "attachment_id": a.id, "volume_id": v.id, "server_id": a.server_id,
                "host_name": a.host_name, "device": a.device, "attached_at": iso_micros(&a.attached_at)})
        })
        .collect();
    let mut out = json!({
        "id": v.id,
        "name": v.name,
        "description": v.description,
        "status": v.status,
        "size": v.size_gb,
        "availability_zone": v.availability_zone,
        "created_at": iso_micros(&v.created_at),
        "updated_at": v.updated_at.as_ref().map(iso_micros),
        "volume_type": vtype.map_or(v.volume_type.clone(), |t| t.name.clone()),
        "snapshot_id": null,
        "source_volid": null,
        "metadata": v.metadata,
        "bootable": v.bootable.to_string(),
        "encrypted": false,
        "multiattach": v.multiattach,
        "replication_status": null,
        "consistencygroup_id": null,
        "user_id": v.user_id,
        "attachments": attachments,
        "links": links(c, &w.base_url, &v.id),
    });
    if c.caller.is_admin() {
        out["migration_status"] = Value::Null;
    }
    if view == View::Extended {
        out["os-vol-tenant-attr:tenant_id"] = json!(v.project_id);
        if !v.image_metadata.is_empty() {
            out["volume_image_metadata"] = json!(v.image_metadata);
        }
        if c.caller.is_admin() {
            out["os-vol-host-attr:host"] = json!(format!("cinder@lvm#{}", out["volume_type"].as_str().unwrap_or("")));
            out["os-vol-mig-status-attr:migstat"] = Value::Null;
            out["os-vol-mig-status-attr:name_id"] = Value::Null;
        }
    }
    if c.at_least(13) {
        out["group_id"] = Value::Null;
    }
    if c.at_least(48) {
        out["shared_targets"] = json!(false);
        out["service_uuid"] = Value::Null;
    }
    if c.at_least(63) {
        out["volume_type_id"] = json!(vtype.map(|t| t.id.clone()));
    }
    if c.at_least(65) {
        out["consumes_quota"] = json!(true);
    }
    out
}

/// The volume if the caller's project owns it (or the caller is an admin).
pub fn visible<'w>(c: &Cinder, w: &'w World, id: &str) -> Result<&'w Volume, ApiError> {
    w.volume
        .volumes
        .get(id)
        .filter(|v| c.caller.can_see_project(&v.project_id))
        .ok_or_else(|| ApiError::not_found(format!("Volume {id} could not be found.")))
}

fn truthy(s: &str) -> bool {
    matches!(s.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "t" | "y" | "on")
}

/// `metadata={'k': 'v'}` as Cinder's clients send it (a Python dict literal).
fn metadata_filter(s: &str) -> BTreeMap<String, String> {
    let inner = s.trim().trim_start_matches('{').trim_end_matches('}');
    inner
        .split(',')
        .filter_map(|kv| kv.split_once(':'))
        .map(|(k, v)| {
            let clean = |x: &str| x.trim().trim_matches(|c| c == '\'' || c == '"').to_string();
            (clean(k), clean(v))
        })
        .collect()
}

fn matches(v: &Volume, key: &str, want: &str, w: &World) -> bool {
    match key {
        "name" => v.name.as_deref() == Some(want),
        "status" => v.status == want,
        "project_id" => v.project_id == want,
        "user_id" => v.user_id == want,
        "availability_zone" => v.availability_zone == want,
        "bootable" => v.bootable == truthy(want),
        "volume_type" => w.volume.find_type(want).is_some_and(|t| t.name == v.volume_type || t.id == v.volume_type),
        "metadata" => metadata_filter(want).iter().all(|(k, val)| v.metadata.get(k) == Some(val)),
        _ => true,
    }
}

/// A `created_at`/`updated_at` comparison (3.60): `gte:2024-01-01T00:00:00Z`,
/// several joined by commas.
struct TimeFilter {
    updated: bool,
    op: &'static str,
    at: DateTime<Utc>,
}

impl TimeFilter {
    /// Whether `v` passes; a volume never updated has no `updated_at`
    /// and passes no comparison with it, as SQL's NULL does.
    fn admits(&self, v: &Volume) -> bool {
        let value = if self.updated { v.updated_at } else { Some(v.created_at) };
        value.is_some_and(|t| match self.op {
            "gt" => t > self.at,
            "gte" => t >= self.at,
            "lt" => t < self.at,
            "lte" => t <= self.at,
            "eq" => t == self.at,
            _ => t != self.at,
        })
    }
}

/// The time comparisons of a list request: from 3.60; before, Cinder drops
/// the two filters without a word.
fn time_filters(c: &Cinder, q: &BTreeMap<String, String>) -> ApiResult<Vec<TimeFilter>> {
    let mut filters = Vec::new();
    if !c.at_least(60) {
        return Ok(filters);
    }
    for (key, updated) in [("created_at", false), ("updated_at", true)] {
        let Some(value) = q.get(key) else { continue };
        for unit in value.split(',') {
            let (op, time) = unit.split_once(':').unwrap_or((unit, ""));
            let op = ["gt", "gte", "eq", "neq", "lt", "lte"]
                .into_iter()
                .find(|o| *o == op)
                .ok_or_else(|| ApiError::bad_request(format!("Invalid {op} operator")))?;
            let at = DateTime::parse_from_rfc3339(time)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| NaiveDateTime::parse_from_str(time, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()))
                .map_err(|_| ApiError::bad_request(format!("Invalid {time} value")))?;
            filters.push(TimeFilter { updated, op, at });
        }
    }
    Ok(filters)
}

fn sort_key(v: &Volume, key: &str) -> (u64, String) {
    match key {
        "size" => (v.size_gb, String::new()),
        "name" => (0, v.name.clone().unwrap_or_default()),
        "status" => (0, v.status.clone()),
        "created_at" => (0, iso_micros(&v.created_at)),
        "updated_at" => (0, v.updated_at.as_ref().map(iso_micros).unwrap_or_default()),
        "availability_zone" => (0, v.availability_zone.clone()),
        "bootable" => (v.bootable as u64, String::new()),
        _ => (0, v.id.clone()),
    }
}

/// Sort keys and directions from `sort=k:dir,...` or `sort_key`/`sort_dir`.
fn sort_order(q: &BTreeMap<String, String>) -> Result<Vec<(String, bool)>, ApiError> {
    let mut order: Vec<(String, String)> =
        match (q.get("sort"), q.get("sort_key")) {
            (Some(_), Some(_)) => return Err(ApiError::bad_request(
                "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
            )),
            (Some(s), None) => s
                .split(',')
                .map(|p| {
                    let (k, d) = p.split_once(':').unwrap_or((p, "desc"));
                    (k.trim().to_string(), d.trim().to_string())
                })
                .collect(),
            (None, k) => vec![(
                k.cloned().unwrap_or_else(|| "created_at".into()),
                q.get("sort_dir").cloned().unwrap_or_else(|| "desc".into()),
            )],
        };
    order.push(("id".into(), order.last().map_or("desc".into(), |(_, d)| d.clone())));
    order
        .into_iter()
        .map(|(k, d)| {
            if !SORT_KEYS.contains(&k.as_str()) {
                return Err(ApiError::bad_request(format!("Invalid input received: Invalid sort key {k}")));
            }
            match d.to_ascii_lowercase().as_str() {
                "asc" => Ok((k, true)),
                "desc" => Ok((k, false)),
                _ => Err(ApiError::bad_request(format!(
                    "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'. ({d})"
                ))),
            }
        })
        .collect()
}

fn list_volumes(sim: &Sim, c: &Cinder, q: &BTreeMap<String, String>, detail: bool) -> ApiResult {
    if let Some(bad) = q.keys().find(|k| !LIST_PARAMS.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "Invalid input received: Invalid filters {bad} are found in query options."
        )));
    }
    let times = time_filters(c, q)?;
    let all = c.caller.is_admin() && q.get("all_tenants").is_some_and(|v| truthy(v));
    let own = c.project()?.to_string();
    let limit = match q.get("limit") {
        None => MAX_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request("Invalid input received: limit must be a non-negative integer"))?
            .min(MAX_LIMIT),
    };
    let order = sort_order(q)?;
    let w = sim.world();
    let mut vols: Vec<&Volume> = w
        .volume
        .volumes
        .values()
        .filter(|v| all || v.project_id == own)
        .filter(|v| q.iter().all(|(k, want)| (k == "project_id" && !all) || matches(v, k, want, &w)))
        .filter(|v| times.iter().all(|t| t.admits(v)))
        .collect();
    vols.sort_by(|a, b| {
        order.iter().fold(std::cmp::Ordering::Equal, |acc, (k, asc)| {
            acc.then_with(|| {
                let o = sort_key(a, k).cmp(&sort_key(b, k));
                if *asc {
                    o
                } else {
                    o.reverse()
                }
            })
        })
    });
    let marker = q.get("marker").map(String::as_str);
    let shown = page(&vols, |v| &v.id, marker, Some(limit)).map_err(|_| {
        ApiError::bad_request(format!("Invalid input received: marker [{}] not found", marker.unwrap_or("")))
    })?;
    let items: Vec<Value> = shown
        .iter()
        .map(|v| {
            if detail {
                render(c, &w, v, View::Extended)
            } else {
                json!({"id": v.id, "name": v.name, "links": links(c, &w.base_url, &v.id)})
            }
        })
        .collect();
    let mut body = json!({ "volumes": items });
    if let Some(last) = shown.last().filter(|_| shown.len() == limit) {
        let path = if detail { "volumes/detail" } else { "volumes" };
        let mut params: Vec<String> =
            q.iter().filter(|(k, _)| k.as_str() != "marker").map(|(k, v)| format!("{k}={v}")).collect();
        params.push(format!("marker={}", last.id));
        body["volumes_links"] =
            json!([{"href": format!("{}?{}", c.href(&w.base_url, path), params.join("&")), "rel": "next"}]);
    }
    Ok(ok(body))
}

async fn list(State(sim): State<Sim>, c: Cinder, Query(q): Query<BTreeMap<String, String>>) -> ApiResult {
    list_volumes(&sim, &c, &q, false)
}

async fn list_detail(State(sim): State<Sim>, c: Cinder, Query(q): Query<BTreeMap<String, String>>) -> ApiResult {
    list_volumes(&sim, &c, &q, true)
}

async fn show(State(sim): State<Sim>, c: Cinder, Id(id): Id) -> ApiResult {
    let w = sim.world();
    let v = visible(&c, &w, &id)?;
    Ok(ok(json!({"volume": render(&c, &w, v, View::Extended)})))
}

#[derive(Debug, Deserialize)]
struct CreateBody {
    volume: CreateVolume,
}

#[derive(Debug, Deserialize)]
struct CreateVolume {
    size: Option<Value>,
    name: Option<String>,
    description: Option<String>,
    volume_type: Option<String>,
    availability_zone: Option<String>,
    #[serde(rename = "imageRef")]
    image_ref: Option<String>,
    source_volid: Option<String>,
    snapshot_id: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    multiattach: Option<bool>,
}

fn invalid_input(msg: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid input received: {msg}"))
}

/// The requested size: a positive integer (or a numeric string, as Cinder
/// accepts), or the given default when absent.
fn parse_size(size: Option<&Value>, default: Option<u64>) -> Result<u64, ApiError> {
    let bad = |s: &Value| invalid_input(format!("Volume size '{s}' must be an integer and greater than 0"));
    match size {
        None | Some(Value::Null) => default.ok_or_else(|| bad(&Value::Null)),
        Some(s) => {
            s.as_u64().or_else(|| s.as_str().and_then(|t| t.parse().ok())).filter(|n| *n > 0).ok_or_else(|| bad(s))
        }
    }
}

/// The named volume type, or the default one.
fn volume_type(w: &World, name: Option<&str>) -> ApiResult<String> {
    let found = match name {
        Some(t) => w
            .volume
            .find_type(t)
            .ok_or_else(|| ApiError::not_found(format!("Volume type with name {t} could not be found.")))?,
        None => w
            .volume
            .find_type("__DEFAULT__")
            .ok_or_else(|| ApiError::not_found("Volume type with name __DEFAULT__ could not be found."))?,
    };
    Ok(found.name.clone())
}

/// What a new volume inherits from the volume or image it is made from.
#[derive(Default)]
struct Origin {
    bootable: bool,
    image_metadata: BTreeMap<String, String>,
    source_image_id: Option<String>,
}

/// A clone of volume `src`: its size (the one asked, at least the
/// source's) and what it inherits.
fn from_volume(c: &Cinder, w: &World, src: &str, asked: Option<&Value>) -> ApiResult<(u64, Origin)> {
    let s = visible(c, w, src).map_err(|_| ApiError::not_found(format!("Volume {src} could not be found.")))?;
    if !matches!(s.status.as_str(), "available" | "in-use") {
        return Err(ApiError::bad_request(format!(
            "Invalid volume: Volume {src} status must be available or in-use, but current status is: {}.",
            s.status
        )));
    }
    let want = parse_size(asked, Some(s.size_gb))?;
    if want < s.size_gb {
        return Err(invalid_input(format!("Volume size '{want}'GB cannot be smaller than original volume size {}GB. They must be >= original volume size.", s.size_gb)));
    }
    let origin = Origin {
        bootable: s.bootable,
        image_metadata: s.image_metadata.clone(),
        source_image_id: s.source_image_id.clone(),
    };
    Ok((parse_size(asked, Some(want))?, origin))
}

/// A volume made from image `image_id`, which must be active and fit in
/// `size` GB: bootable, with the image's metadata.
fn from_image(c: &Cinder, w: &World, image_id: &str, size: u64) -> ApiResult<Origin> {
    let img = w
        .image
        .images
        .get(image_id)
        .filter(|i| i.visible_to(c.caller.project_id.as_deref(), c.caller.is_admin()))
        .ok_or_else(|| ApiError::bad_request("Invalid image identifier or unable to access requested image."))?;
    if img.status != ImageStatus::Active {
        return Err(invalid_input(format!("Image {image_id} is not active.")));
    }
    let image_gb = img.size.unwrap_or(0).div_ceil(1 << 30);
    if image_gb > size {
        return Err(invalid_input(format!(
            "Size of specified image {image_gb}GB is larger than volume size {size}GB."
        )));
    }
    if img.min_disk > size {
        return Err(invalid_input(format!(
            "Volume size {size}GB cannot be smaller than the image minDisk size {}GB.",
            img.min_disk
        )));
    }
    Ok(Origin { bootable: true, image_metadata: img.volume_image_metadata(), source_image_id: Some(img.id.clone()) })
}

async fn create(State(sim): State<Sim>, c: Cinder, JsonBody(body): JsonBody<CreateBody>) -> ApiResult {
    let req = body.volume;
    let mut w = sim.world();
    if let Some(snap) = &req.snapshot_id {
        return Err(ApiError::not_found(format!("Snapshot {snap} could not be found.")));
    }
    let zone = req.availability_zone.clone().unwrap_or_else(|| "nova".into());
    if zone != "nova" {
        return Err(invalid_input(format!("Availability zone '{zone}' is invalid.")));
    }
    let vtype = volume_type(&w, req.volume_type.as_deref())?;
    let (size, from_volume) = match &req.source_volid {
        Some(src) => {
            let (size, origin) = from_volume(&c, &w, src, req.size.as_ref())?;
            (size, Some(origin))
        }
        None => (parse_size(req.size.as_ref(), None)?, None),
    };
    let (origin, wait) = match &req.image_ref {
        Some(image_id) => {
            let origin = from_image(&c, &w, image_id, size)?;
            (origin, TimeModel::secs(w.time.volume_from_image_secs_per_gb * size as f64))
        }
        None => (from_volume.unwrap_or_default(), TimeModel::secs(w.time.volume_create_secs)),
    };
    let id = w.new_uuid();
    let mut v = Volume::new(id.clone(), c.project()?.to_string(), c.caller.user_id.clone(), size, vtype, w.now);
    v.name = req.name;
    v.description = req.description;
    v.metadata = req.metadata.unwrap_or_default();
    v.multiattach = req.multiattach.unwrap_or(false);
    v.bootable = origin.bootable;
    v.image_metadata = origin.image_metadata;
    v.source_image_id = origin.source_image_id;
    let mut body = json!({"volume": render(&c, &w, &v, View::Bare)});
    if let Some(src) = &req.source_volid {
        body["volume"]["source_volid"] = json!(src);
    }
    w.volume.volumes.insert(id.clone(), v);
    w.after(wait, move |w| {
        let now = w.now;
        if let Some(v) = w.volume.volumes.get_mut(&id).filter(|v| v.status == "creating") {
            v.status = "available".into();
            v.updated_at = Some(now);
        }
    });
    Ok(reply(StatusCode::ACCEPTED, body))
}

#[derive(Debug, Deserialize)]
struct UpdateBody {
    volume: UpdateVolume,
}

#[derive(Debug, Deserialize)]
struct UpdateVolume {
    name: Option<String>,
    description: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

async fn update(State(sim): State<Sim>, c: Cinder, Id(id): Id, JsonBody(body): JsonBody<UpdateBody>) -> ApiResult {
    let mut w = sim.world();
    visible(&c, &w, &id)?;
    let now = w.now;
    let v = w.volume.get_mut(&id)?;
    let u = body.volume;
    if u.name.is_none() && u.description.is_none() && u.metadata.is_none() {
        return Err(ApiError::bad_request(
            "Invalid input received: 'volume' must contain one of name, description or metadata.",
        ));
    }
    if let Some(n) = u.name {
        v.name = Some(n);
    }
    if let Some(d) = u.description {
        v.description = Some(d);
    }
    if let Some(m) = u.metadata {
        v.metadata = m;
    }
    v.updated_at = Some(now);
    let v = &w.volume.volumes[&id];
    Ok(ok(json!({"volume": render(&c, &w, v, View::Bare)})))
}

/// Statuses a volume may be deleted from (without `force`).
const DELETABLE: [&str; 5] = ["available", "error", "error_restoring", "error_extending", "error_managing"];

async fn delete(State(sim): State<Sim>, c: Cinder, Id(id): Id) -> ApiResult<Response> {
    let mut w = sim.world();
    visible(&c, &w, &id)?;
    let now = w.now;
    let v = w.volume.get_mut(&id)?;
    if !DELETABLE.contains(&v.status.as_str()) || !v.attachments.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Invalid volume: Volume status must be {} and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.",
            DELETABLE.join(" or ")
        )));
    }
    v.status = "deleting".into();
    v.updated_at = Some(now);
    let wait = TimeModel::secs(w.time.volume_delete_secs);
    w.after(wait, move |w| {
        if w.volume.volumes.get(&id).is_some_and(|v| v.status == "deleting") {
            w.volume.volumes.remove(&id);
        }
    });
    // No body, and webob's default content type, as Cinder answers.
    Ok((StatusCode::ACCEPTED, [(header::CONTENT_TYPE, "text/html; charset=UTF-8")]).into_response())
}
