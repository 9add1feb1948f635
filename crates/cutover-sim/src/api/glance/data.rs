/*!
Image data at `/v2/images/{id}/file`: upload (`queued → saving → active`,
the wait scaled by `image_upload_secs_per_gb`) and download.
*/

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::Router;

use super::images::{owned, visible};
use crate::auth::Caller;
use crate::clock::TimeModel;
use crate::error::{ApiError, ApiResult};
use crate::model::image::{Image, ImageStatus};
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    // Image data is as large as a disk; axum's 2 MB default would refuse it.
    Router::new().route("/images/{id}/file", put(upload).get(download).layer(DefaultBodyLimit::disable()))
}

async fn upload(
    State(sim): State<Sim>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.split(';').next().map(str::trim) != Some("application/octet-stream") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content type '{content_type}' is not supported"),
        ));
    }
    let mut w = sim.world();
    let now = w.now;
    let img = owned(&mut w, &id, &caller, "upload_image")?;
    if img.status != ImageStatus::Queued {
        return Err(ApiError::conflict(format!(
            "Image status transition from {} to saving is not allowed",
            img.status.as_str()
        )));
    }
    img.status = ImageStatus::Saving;
    img.updated_at = now;
    let gib = body.len() as f64 / (1u64 << 30) as f64;
    let wait = TimeModel::secs(w.time.image_upload_secs_per_gb * gib);
    let data = body.to_vec();
    w.after(wait, move |w| {
        let now = w.now;
        if let Some(img) = w.image.images.get_mut(&id).filter(|i| i.status == ImageStatus::Saving) {
            finish_upload(img, data, now);
        }
    });
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The stored data makes the image `active`; a disk image's virtual size
/// is only known for raw data, which is its own disk.
fn finish_upload(img: &mut Image, data: Vec<u8>, now: chrono::DateTime<chrono::Utc>) {
    img.set_data(data);
    if img.disk_format.as_deref() == Some("raw") {
        img.virtual_size = img.size;
    }
    img.status = ImageStatus::Active;
    img.updated_at = now;
}

async fn download(State(sim): State<Sim>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let w = sim.world();
    let img = visible(&w, &id, &caller)?;
    if img.status == ImageStatus::Deactivated && !caller.is_admin() {
        return Err(ApiError::forbidden("The requested image has been deactivated. Image data download is forbidden."));
    }
    let Some(data) = img.data.as_ref().filter(|_| img.status == ImageStatus::Active) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let mut headers = vec![(header::CONTENT_TYPE, "application/octet-stream".to_string())];
    if let Some(md5) = &img.checksum {
        headers.push((header::HeaderName::from_static("content-md5"), md5.clone()));
    }
    let mut resp = (StatusCode::OK, data.clone()).into_response();
    for (k, v) in headers {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    Ok(resp)
}
