/*!
Keystone's `links` blocks, on collections and on each record, pointing at
the simulator's own base URL.
*/

use serde_json::{json, Value};

/// `links` block of a Keystone collection.
pub fn collection_links(base: &str, path: &str) -> Value {
    json!({"self": format!("{base}/v3/{path}"), "previous": null, "next": null})
}

/// `links` block of one Keystone record.
pub fn self_link(base: &str, path: &str, id: &str) -> Value {
    json!({"self": format!("{base}/v3/{path}/{id}")})
}
