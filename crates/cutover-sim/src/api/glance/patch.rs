/*!
`PATCH /v2/images/{id}`: JSON-patch (`application/openstack-images-v2.1-json-patch`)
`add`, `replace` and `remove` on core attributes and extra properties.
*/

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::Value;

use super::images::{owned, render, set_attribute, READ_ONLY};
use crate::api::common::ok;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::image::Image;
use crate::sim::Sim;

const PATCH_TYPE: &str = "application/openstack-images-v2.1-json-patch";

/// Core attributes a patch may not remove (they always have a value).
const CORE: [&str; 11] = [
    "name",
    "visibility",
    "container_format",
    "disk_format",
    "min_disk",
    "min_ram",
    "protected",
    "os_hidden",
    "owner",
    "tags",
    "id",
];

/// The attribute a JSON pointer names: one level, `~1` and `~0` unescaped.
fn attribute(path: &str) -> Result<String, ApiError> {
    let rest = path.strip_prefix('/').filter(|r| !r.is_empty() && !r.contains('/'));
    let rest =
        rest.ok_or_else(|| ApiError::bad_request(format!("Invalid JSON pointer for this resource: '{path}'")))?;
    Ok(rest.replace("~1", "/").replace("~0", "~"))
}

fn apply(img: &mut Image, op: &Value, caller: &Caller) -> Result<(), ApiError> {
    let invalid = || ApiError::bad_request(format!("Unable to find '{op}' in JSON Schema change"));
    let kind = op.get("op").and_then(Value::as_str).ok_or_else(invalid)?;
    let key = attribute(op.get("path").and_then(Value::as_str).ok_or_else(invalid)?)?;
    // Read-only attributes "exist", so that changing one is Glance's 403.
    let exists = img.properties.contains_key(&key) || CORE.contains(&key.as_str()) || READ_ONLY.contains(&key.as_str());
    match kind {
        "add" | "replace" => {
            let value = op.get("value").ok_or_else(|| ApiError::bad_request("Operation requires a value."))?;
            if kind == "replace" && !exists {
                return Err(ApiError::conflict(format!("Property {key} does not exist.")));
            }
            set_attribute(img, &key, value, caller)
        }
        "remove" => {
            if CORE.contains(&key.as_str()) {
                return Err(ApiError::forbidden(format!("Attribute '{key}' is read-only.")));
            }
            img.properties
                .remove(&key)
                .map(drop)
                .ok_or_else(|| ApiError::conflict(format!("Property {key} does not exist.")))
        }
        other => {
            Err(ApiError::bad_request(format!("Invalid operation: `{other}`: Unable to find op in JSON Schema change")))
        }
    }
}

pub async fn update(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.split(';').next().map(str::trim) != Some(PATCH_TYPE) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Unsupported Content-Type. Supported media types: ['{PATCH_TYPE}']"),
        ));
    }
    let ops: Vec<Value> = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("Request body must be a JSON array of operation objects."))?;
    let mut w = sim.world();
    let now = w.now;
    let img = owned(&mut w, &id, &caller, "modify_image")?;
    // Applied to a copy so that a failing operation changes nothing.
    let mut changed = img.clone();
    for op in &ops {
        apply(&mut changed, op, &caller)?;
    }
    changed.updated_at = now;
    *img = changed;
    Ok(ok(render(img)))
}
