/*!
Nova server actions (`POST /servers/{id}/action`) and the server
sub-resources: metadata, tags, interfaces and volume attachments. State
checks and messages follow `nova/compute/api.py`; slow steps run on the
world's timeline.
*/

mod actions;
mod common;
mod floating_ips;
mod interfaces;
mod metadata;
mod power;
mod snapshot;
mod tags;
mod volume_attachments;

use axum::routing::{get, post};
use axum::Router;

use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/servers/{server_id}/action", post(actions::action))
        .route("/servers/{server_id}/metadata", get(metadata::index).post(metadata::create).put(metadata::update_all))
        .route(
            "/servers/{server_id}/metadata/{item}",
            get(metadata::show).put(metadata::update).delete(metadata::delete),
        )
        .route("/servers/{server_id}/tags", get(tags::index).put(tags::update_all).delete(tags::delete_all))
        .route("/servers/{server_id}/tags/{item}", get(tags::show).put(tags::update).delete(tags::delete))
        .route("/servers/{server_id}/os-interface", get(interfaces::index).post(interfaces::create))
        .route("/servers/{server_id}/os-interface/{item}", get(interfaces::show).delete(interfaces::delete))
        .route(
            "/servers/{server_id}/os-volume_attachments",
            get(volume_attachments::index).post(volume_attachments::create),
        )
        .route(
            "/servers/{server_id}/os-volume_attachments/{item}",
            get(volume_attachments::show).put(volume_attachments::update).delete(volume_attachments::delete),
        )
}
