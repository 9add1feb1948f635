/*!
`/os-availability-zone`: the zones users can boot into (those of compute
services, available while one of their services is enabled), and the
admin `detail` view with every zone's hosts and services, `internal` too.
*/

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::common::admin;
use crate::api::common::ok;
use crate::api::nova::lookup::region;
use crate::api::nova::Nova;
use crate::error::ApiResult;
use crate::model::compute::ComputeService;
use crate::model::iso_micros;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/os-availability-zone", get(list)).route("/os-availability-zone/detail", get(detail))
}

/// Zones with an enabled service, then zones whose services are all
/// disabled, as Nova's `get_availability_zones` splits them.
fn zones<'a>(services: impl Iterator<Item = &'a ComputeService>) -> (Vec<String>, Vec<String>) {
    let mut state: BTreeMap<String, bool> = BTreeMap::new();
    for s in services {
        *state.entry(s.zone.clone()).or_default() |= !s.disabled;
    }
    let available = state.iter().filter(|(_, up)| **up).map(|(z, _)| z.clone()).collect();
    let unavailable = state.iter().filter(|(_, up)| !**up).map(|(z, _)| z.clone()).collect();
    (available, unavailable)
}

fn zone_row(zone: &str, available: bool, hosts: Value) -> Value {
    json!({"zoneName": zone, "zoneState": {"available": available}, "hosts": hosts})
}

async fn list(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    let w = sim.world();
    let r = region(&w, &nova)?;
    let (available, unavailable) = zones(r.services.values().filter(|s| s.zone != "internal"));
    let rows: Vec<Value> = available
        .iter()
        .map(|z| zone_row(z, true, Value::Null))
        .chain(unavailable.iter().map(|z| zone_row(z, false, Value::Null)))
        .collect();
    Ok(ok(json!({"availabilityZoneInfo": rows})))
}

async fn detail(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-availability-zone:detail")?;
    let w = sim.world();
    let r = region(&w, &nova)?;
    let (available, unavailable) = zones(r.services.values());
    let mut rows = Vec::new();
    for zone in &available {
        let mut hosts: Map<String, Value> = Map::new();
        for s in r.services.values().filter(|s| &s.zone == zone && !s.disabled) {
            let entry = hosts.entry(s.host.clone()).or_insert_with(|| json!({}));
            entry[&s.binary] = json!({
                "available": s.up && !s.forced_down,
                "active": !s.disabled,
                "updated_at": iso_micros(&s.updated_at),
            });
        }
        rows.push(zone_row(zone, true, Value::Object(hosts)));
    }
    rows.extend(unavailable.iter().map(|z| zone_row(z, false, Value::Null)));
    Ok(ok(json!({"availabilityZoneInfo": rows})))
}
