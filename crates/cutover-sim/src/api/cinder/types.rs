/*!
Volume types, availability zones, absolute limits and quota sets.
*/

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::microversion::{Cinder, Id};
use crate::api::common::{ok, JsonBody};
use crate::error::{ApiError, ApiResult};
use crate::model::volume::VolumeType;
use crate::sim::Sim;

/// Cinder's default quotas (`quota_volumes`, `quota_gigabytes`, ...).
const QUOTAS: [(&str, i64); 8] = [
    ("volumes", 10),
    ("snapshots", 10),
    ("gigabytes", 1000),
    ("backups", 10),
    ("backup_gigabytes", 1000),
    ("groups", 10),
    ("per_volume_gigabytes", -1),
    ("volumes___DEFAULT__", -1),
];

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/types", get(list_types).post(create_type))
        .route("/types/default", get(default_type))
        .route("/types/{id}", get(show_type))
        .route("/os-availability-zone", get(zones))
        .route("/limits", get(limits))
        .route("/os-quota-sets/{id}", get(quota_set))
}

fn render_type(c: &Cinder, t: &VolumeType) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "is_public": t.is_public,
        "os-volume-type-access:is_public": t.is_public,
        "qos_specs_id": null,
        // Non-admins see no extra specs, as Cinder's default policy hides them.
        "extra_specs": if c.caller.is_admin() { json!(t.extra_specs) } else { json!({}) },
    })
}

async fn list_types(State(sim): State<Sim>, c: Cinder) -> ApiResult {
    let w = sim.world();
    let types: Vec<Value> =
        w.volume.types.values().filter(|t| t.is_public || c.caller.is_admin()).map(|t| render_type(&c, t)).collect();
    Ok(ok(json!({ "volume_types": types })))
}

fn type_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Volume type {id} could not be found."))
}

async fn show_type(State(sim): State<Sim>, c: Cinder, Id(id): Id) -> ApiResult {
    let w = sim.world();
    let t =
        w.volume.types.get(&id).filter(|t| t.is_public || c.caller.is_admin()).ok_or_else(|| type_not_found(&id))?;
    Ok(ok(json!({ "volume_type": render_type(&c, t) })))
}

async fn default_type(State(sim): State<Sim>, c: Cinder) -> ApiResult {
    let w = sim.world();
    let t = w.volume.find_type("__DEFAULT__").ok_or_else(|| type_not_found("__DEFAULT__"))?;
    Ok(ok(json!({ "volume_type": render_type(&c, t) })))
}

#[derive(Debug, Deserialize)]
struct CreateTypeBody {
    volume_type: CreateType,
}

#[derive(Debug, Deserialize)]
struct CreateType {
    name: String,
    description: Option<String>,
    #[serde(rename = "os-volume-type-access:is_public")]
    is_public: Option<bool>,
    #[serde(default)]
    extra_specs: BTreeMap<String, String>,
}

async fn create_type(State(sim): State<Sim>, c: Cinder, JsonBody(body): JsonBody<CreateTypeBody>) -> ApiResult {
    c.caller.require_admin("volume_extension:types_manage")?;
    let req = body.volume_type;
    let name = req.name.trim().to_string();
    if name.is_empty() || name.len() > 255 {
        return Err(ApiError::bad_request("Invalid input received: Volume type name can not be empty."));
    }
    let mut w = sim.world();
    if w.volume.types.values().any(|t| t.name == name) {
        return Err(ApiError::conflict(format!("Volume Type {name} already exists.")));
    }
    let t = VolumeType {
        id: w.new_uuid(),
        name,
        description: req.description,
        is_public: req.is_public.unwrap_or(true),
        extra_specs: req.extra_specs,
    };
    let body = json!({ "volume_type": render_type(&c, &t) });
    w.volume.types.insert(t.id.clone(), t);
    Ok(ok(body))
}

async fn zones(_c: Cinder) -> ApiResult {
    Ok(ok(json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}}]})))
}

/// Volumes and gigabytes the project uses.
fn usage(sim: &Sim, project: &str) -> (u64, u64) {
    let w = sim.world();
    let mine = w.volume.volumes.values().filter(|v| v.project_id == project);
    mine.fold((0, 0), |(n, gb), v| (n + 1, gb + v.size_gb))
}

fn quota(name: &str) -> i64 {
    QUOTAS.iter().find(|(k, _)| *k == name).map_or(-1, |(_, v)| *v)
}

async fn limits(State(sim): State<Sim>, c: Cinder) -> ApiResult {
    let (volumes, gigabytes) = usage(&sim, c.project()?);
    Ok(ok(json!({"limits": {"rate": [], "absolute": {
        "maxTotalVolumes": quota("volumes"),
        "maxTotalSnapshots": quota("snapshots"),
        "maxTotalVolumeGigabytes": quota("gigabytes"),
        "maxTotalBackups": quota("backups"),
        "maxTotalBackupGigabytes": quota("backup_gigabytes"),
        "totalVolumesUsed": volumes,
        "totalGigabytesUsed": gigabytes,
        "totalSnapshotsUsed": 0,
        "totalBackupsUsed": 0,
        "totalBackupGigabytesUsed": 0
    }}})))
}

async fn quota_set(c: Cinder, Id(project_id): Id) -> ApiResult {
    let own = c.project()?.to_string();
    if project_id != own && !c.caller.is_admin() {
        return Err(ApiError::policy("volume_extension:quotas:show"));
    }
    let mut set: serde_json::Map<String, Value> = QUOTAS.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    set.insert("id".into(), json!(project_id));
    Ok(ok(json!({ "quota_set": set })))
}
