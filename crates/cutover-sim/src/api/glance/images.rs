/*!
Image records: how Glance renders one, which attributes a caller may set
(core ones checked against the schema, the rest stored as string-valued
extra properties), and create, show and delete.
*/

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

use crate::api::common::{ok, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::image::{Image, ImageStatus};
use crate::model::{iso_seconds, World};
use crate::sim::Sim;

pub const STATUSES: [&str; 9] =
    ["queued", "saving", "active", "killed", "deleted", "pending_delete", "deactivated", "uploading", "importing"];
pub const VISIBILITIES: [&str; 4] = ["community", "public", "private", "shared"];
pub const CONTAINER_FORMATS: [&str; 8] = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"];
pub const DISK_FORMATS: [&str; 11] =
    ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"];

/// Attributes Glance computes itself; setting one is a 403.
pub const READ_ONLY: [&str; 12] = [
    "status",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
    "direct_url",
];
/// Attributes reserved by Glance that no request may name.
const RESERVED: [&str; 4] = ["location", "deleted", "deleted_at", "locations"];

/// One image as Glance renders it: extra properties at the top level next
/// to the core attributes, nulls included.
pub fn render(img: &Image) -> Value {
    let mut m: Map<String, Value> = img.properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let core = json!({
        "id": img.id,
        "name": img.name,
        "status": img.status.as_str(),
        "visibility": img.visibility,
        "owner": img.owner,
        "container_format": img.container_format,
        "disk_format": img.disk_format,
        "min_disk": img.min_disk,
        "min_ram": img.min_ram,
        "protected": img.protected,
        "os_hidden": img.os_hidden,
        "size": img.size,
        "virtual_size": img.virtual_size,
        "checksum": img.checksum,
        "os_hash_algo": img.os_hash_algo,
        "os_hash_value": img.os_hash_value,
        "tags": img.tags,
        "created_at": iso_seconds(&img.created_at),
        "updated_at": iso_seconds(&img.updated_at),
        "self": format!("/v2/images/{}", img.id),
        "file": format!("/v2/images/{}/file", img.id),
        "schema": "/v2/schemas/image",
    });
    if let Value::Object(core) = core {
        m.extend(core);
    }
    // The stores holding the image's data (one file store here): shown once
    // the image has data.
    if img.status == ImageStatus::Active {
        m.insert("stores".into(), json!("file"));
    }
    Value::Object(m)
}

fn schema_error(detail: String) -> ApiError {
    ApiError::bad_request(format!("Provided object does not match schema 'image': {detail}"))
}

fn one_of<'a>(key: &str, value: &'a Value, allowed: &[&str], nullable: bool) -> Result<Option<&'a str>, ApiError> {
    match value {
        Value::Null if nullable => Ok(None),
        Value::String(s) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        other => Err(schema_error(format!("{other} is not one of {allowed:?} (in '{key}')"))),
    }
}

fn non_negative(key: &str, value: &Value) -> Result<u64, ApiError> {
    value.as_u64().ok_or_else(|| schema_error(format!("{value} is not a non-negative integer (in '{key}')")))
}

fn boolean(key: &str, value: &Value) -> Result<bool, ApiError> {
    value.as_bool().ok_or_else(|| schema_error(format!("{value} is not of type 'boolean' (in '{key}')")))
}

/// Sets one attribute from a create body or a patch; core attributes are
/// validated as Glance's schema does, anything else is an extra property.
pub fn set_attribute(img: &mut Image, key: &str, value: &Value, caller: &Caller) -> Result<(), ApiError> {
    if READ_ONLY.contains(&key) {
        return Err(ApiError::forbidden(format!("Attribute '{key}' is read-only.")));
    }
    if RESERVED.contains(&key) {
        return Err(ApiError::forbidden(format!("Attribute '{key}' is reserved.")));
    }
    match key {
        "id" => return Err(ApiError::forbidden("Attribute 'id' is read-only.")),
        "name" => match value {
            Value::Null => img.name = None,
            Value::String(s) if s.chars().count() <= 255 => img.name = Some(s.clone()),
            other => return Err(schema_error(format!("{other} is not a string of at most 255 characters"))),
        },
        "visibility" => {
            let v = one_of(key, value, &VISIBILITIES, false)?.unwrap_or_default();
            if v == "public" && !caller.is_admin() {
                return Err(ApiError::forbidden("You are not authorized to complete publicize_image action."));
            }
            img.visibility = v.to_string();
        }
        "container_format" => img.container_format = one_of(key, value, &CONTAINER_FORMATS, true)?.map(String::from),
        "disk_format" => img.disk_format = one_of(key, value, &DISK_FORMATS, true)?.map(String::from),
        "min_disk" => img.min_disk = non_negative(key, value)?,
        "min_ram" => img.min_ram = non_negative(key, value)?,
        "protected" => img.protected = boolean(key, value)?,
        "os_hidden" => img.os_hidden = boolean(key, value)?,
        "owner" => {
            let owner = value.as_str().map(String::from);
            if !caller.is_admin() && owner.as_deref() != caller.project_id.as_deref() {
                return Err(ApiError::forbidden(format!(
                    "You are not permitted to create images owned by '{}'.",
                    owner.unwrap_or_default()
                )));
            }
            img.owner = owner;
        }
        "tags" => {
            let tags = value.as_array().ok_or_else(|| schema_error(format!("{value} is not of type 'array'")))?;
            img.tags = tags
                .iter()
                .map(|t| {
                    t.as_str().map(String::from).ok_or_else(|| schema_error(format!("{t} is not of type 'string'")))
                })
                .collect::<Result<_, _>>()?;
        }
        _ => {
            if !value.is_string() {
                return Err(schema_error(format!("{value} is not of type 'string' (in '{key}')")));
            }
            img.properties.insert(key.to_string(), value.clone());
        }
    }
    Ok(())
}

/// The image if the caller may see it; 404 otherwise, as Glance hides
/// images a caller has no access to.
pub fn visible<'w>(world: &'w World, id: &str, caller: &Caller) -> Result<&'w Image, ApiError> {
    world
        .image
        .images
        .get(id)
        .filter(|i| i.visible_to(caller.project_id.as_deref(), caller.is_admin()))
        .ok_or_else(|| ApiError::not_found(format!("No image found with ID {id}")))
}

/// The image if the caller may change it: 404 when invisible, 403 when
/// visible but owned by another project.
pub fn owned<'w>(world: &'w mut World, id: &str, caller: &Caller, action: &str) -> Result<&'w mut Image, ApiError> {
    visible(world, id, caller)?;
    let img =
        world.image.images.get_mut(id).ok_or_else(|| ApiError::not_found(format!("No image found with ID {id}")))?;
    if !img.owned_by(caller.project_id.as_deref(), caller.is_admin()) {
        return Err(ApiError::forbidden(format!("You are not authorized to complete {action} action.")));
    }
    Ok(img)
}

pub async fn create(State(sim): State<Sim>, caller: Caller, JsonBody(body): JsonBody<Value>) -> ApiResult {
    let Value::Object(fields) = body else {
        return Err(ApiError::bad_request("Body expected in request."));
    };
    let mut w = sim.world();
    let id = match fields.get("id") {
        None => w.new_uuid(),
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => s.clone(),
        Some(other) => return Err(schema_error(format!("{other} does not match the id pattern (in 'id')"))),
    };
    if w.image.images.contains_key(&id) {
        return Err(ApiError::conflict(format!("Image with identifier {id} already exists!")));
    }
    let mut img = Image::new(id.clone(), None, caller.project_id.clone(), w.now);
    for (key, value) in fields.iter().filter(|(k, _)| k.as_str() != "id") {
        set_attribute(&mut img, key, value, &caller)?;
    }
    let body = render(&img);
    w.image.images.insert(id.clone(), img);
    let location = format!("{}/image/v2/images/{id}", w.base_url);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], ok(body)).into_response())
}

pub async fn show(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult {
    let w = sim.world();
    Ok(ok(render(visible(&w, &id, &caller)?)))
}

pub async fn delete(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult {
    let mut w = sim.world();
    let img = owned(&mut w, &id, &caller, "delete_image")?;
    if img.protected {
        return Err(ApiError::forbidden(format!("Image {id} is protected and cannot be deleted.")));
    }
    w.image.images.remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
