/*!
Glance v2 at `/image`: version discovery, schemas and images (records,
listing, data). Paths inside bodies are relative (`/v2/images/{id}`), as
Glance renders them.
*/

mod data;
mod images;
mod list;
mod patch;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::common::{ok, reply};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    let v2 = Router::new()
        .route("/", get(versions))
        .route("/schemas/image", get(image_schema))
        .route("/schemas/images", get(images_schema))
        .route("/images", get(list::list).post(images::create))
        .route("/images/{id}", get(images::show).patch(patch::update).delete(images::delete))
        .merge(data::routes());
    Router::new().route("/", get(versions)).route("/versions", get(versions_ok)).nest("/v2", v2)
}

fn versions_doc(base: &str) -> Value {
    let v = |id: &str, status: &str| json!({"id": id, "status": status, "links": [{"rel": "self", "href": format!("{base}/image/v2/")}]});
    json!({"versions": [v("v2.16", "CURRENT"), v("v2.15", "SUPPORTED"), v("v2.9", "SUPPORTED"), v("v2.0", "SUPPORTED")]})
}

/// The root and `/v2` both answer 300 with the version list, as Glance's
/// version negotiation does for a URL naming no resource.
async fn versions(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::MULTIPLE_CHOICES, versions_doc(&base))
}

async fn versions_ok(State(sim): State<Sim>) -> Response {
    let base = sim.world().base_url.clone();
    reply(StatusCode::OK, versions_doc(&base))
}

/// Glance's image schema, trimmed to the properties this simulator serves.
fn image_schema_doc() -> Value {
    let s = |t: Value, d: &str| json!({"type": t, "description": d});
    json!({
        "name": "image",
        "additionalProperties": {"type": "string"},
        "properties": {
            "id": {"type": "string", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$", "description": "An identifier for the image"},
            "name": {"type": ["null", "string"], "maxLength": 255, "description": "Descriptive name for the image"},
            "status": {"type": "string", "readOnly": true, "enum": images::STATUSES, "description": "Status of the image"},
            "visibility": {"type": "string", "enum": images::VISIBILITIES, "description": "Scope of image accessibility"},
            "protected": s(json!("boolean"), "If true, image will not be deletable."),
            "os_hidden": s(json!("boolean"), "If true, image will not appear in default image list response."),
            "checksum": {"type": ["null", "string"], "readOnly": true, "maxLength": 32, "description": "md5 hash of image contents."},
            "os_hash_algo": {"type": ["null", "string"], "readOnly": true, "maxLength": 64, "description": "Algorithm to calculate the os_hash_value"},
            "os_hash_value": {"type": ["null", "string"], "readOnly": true, "maxLength": 128, "description": "Hexdigest of the image contents using the algorithm specified by the os_hash_algo"},
            "owner": {"type": ["null", "string"], "maxLength": 255, "description": "Owner of the image"},
            "size": {"type": ["null", "integer"], "readOnly": true, "description": "Size of image file in bytes"},
            "virtual_size": {"type": ["null", "integer"], "readOnly": true, "description": "Virtual size of image in bytes"},
            "container_format": {"type": ["null", "string"], "enum": images::CONTAINER_FORMATS, "description": "Format of the container"},
            "disk_format": {"type": ["null", "string"], "enum": images::DISK_FORMATS, "description": "Format of the disk"},
            "created_at": {"type": "string", "readOnly": true, "description": "Date and time of image registration"},
            "updated_at": {"type": "string", "readOnly": true, "description": "Date and time of the last image modification"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 255}, "description": "List of strings related to the image"},
            "min_ram": s(json!("integer"), "Amount of ram (in MB) required to boot image."),
            "min_disk": s(json!("integer"), "Amount of disk space (in GB) required to boot image."),
            "self": {"type": "string", "readOnly": true, "description": "An image self url"},
            "file": {"type": "string", "readOnly": true, "description": "An image file url"},
            "schema": {"type": "string", "readOnly": true, "description": "An image schema url"}
        },
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"}
        ]
    })
}

async fn image_schema() -> Response {
    ok(image_schema_doc())
}

async fn images_schema() -> Response {
    ok(json!({
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema_doc()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"}
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"}
        ]
    }))
}
