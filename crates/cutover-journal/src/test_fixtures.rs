//! What the journal's tests write: a migration's meta and two moves.
//! Shared by the unit tests and `tests/killed.rs` (included by path), so
//! it names `Meta` and the machine's types from its includer's scope.

use super::{Meta, ServerMove, ServerState, Strategy};

pub fn meta() -> Meta {
    Meta {
        migration: "m-1".into(),
        plan_digest: "sha256:abc".into(),
        cloud: "sim".into(),
        auth_url: "http://127.0.0.1:5000/v3".into(),
        old_region: "RegionOne".into(),
        new_region: "RegionTwo".into(),
        created_at: "2026-11-26T07:00:00Z".into(),
    }
}

pub fn moves() -> Vec<(ServerMove, serde_json::Value, ServerState)> {
    ["a", "b"]
        .into_iter()
        .map(|id| {
            let plan = ServerMove {
                source: id.into(),
                strategy: Strategy::Snapshot,
                snapshot_name: format!("cutover-m-1-{id}"),
                was_shutoff: false,
                image: None,
                root_volume: None,
                data_volumes: vec![],
                ports: vec![],
                floating_addresses: vec![],
                tags: vec![],
                deleted_with_server: vec![],
                keep_snapshot: false,
                keep_source: false,
                boot_timeout_secs: 600,
                snapshot_attempts: 3,
                restore_attempts: 5,
                restore_retry_secs: 30,
            };
            (plan, serde_json::json!({"name": format!("server {id}")}), ServerState::new(0))
        })
        .collect()
}
