/*!
`/os-hypervisors` (admin): one hypervisor per compute host, with usage
summed from the servers placed on it. 2.53 switches ids to UUIDs and
replaces the `{pattern}/servers` and `{pattern}/search` URLs with query
parameters; 2.88 drops the resource fields and `statistics`.
*/

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Timelike, Utc};
use serde_json::{json, Value};

use super::common::{admin, parse_bool, requires, Id};
use super::services::{service_id, state, status};
use crate::api::common::{ok, page};
use crate::api::nova::lookup::region;
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::Host;
use crate::model::ComputeRegion;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/os-hypervisors", get(list))
        .route("/os-hypervisors/detail", get(detail))
        .route("/os-hypervisors/statistics", get(statistics))
        .route("/os-hypervisors/{id}", get(show))
        .route("/os-hypervisors/{id}/servers", get(servers_of))
        .route("/os-hypervisors/{id}/search", get(search))
}

fn hypervisor_id(nova: &Nova, h: &Host) -> Value {
    if nova.at_least(53) {
        json!(h.hypervisor_uuid)
    } else {
        json!(h.hypervisor_id)
    }
}

fn id_text(nova: &Nova, h: &Host) -> String {
    if nova.at_least(53) {
        h.hypervisor_uuid.clone()
    } else {
        h.hypervisor_id.to_string()
    }
}

/// The summary every view starts from: id, name, state and status (the
/// latter two from the host's `nova-compute` service).
fn brief(nova: &Nova, r: &ComputeRegion, h: &Host) -> Value {
    let svc = r.service_of_host(&h.name, "nova-compute");
    json!({
        "id": hypervisor_id(nova, h),
        "hypervisor_hostname": h.name,
        "state": svc.map_or("down", state),
        "status": svc.map_or("disabled", status),
    })
}

fn with_servers(v: &mut Value, nova: &Nova, r: &ComputeRegion, h: &Host) {
    let servers: Vec<Value> = r.servers_on_host(&h.name).map(|s| json!({"name": s.name, "uuid": s.id})).collect();
    // Before 2.75 a hypervisor without servers has no `servers` key.
    if !servers.is_empty() || nova.at_least(75) {
        v["servers"] = json!(servers);
    }
}

fn detailed(nova: &Nova, r: &ComputeRegion, h: &Host, now: DateTime<Utc>) -> Value {
    let mut v = brief(nova, r, h);
    let svc = r.service_of_host(&h.name, "nova-compute");
    v["host_ip"] = json!(h.host_ip);
    v["hypervisor_type"] = json!("QEMU");
    v["hypervisor_version"] = json!(8_002_000);
    v["service"] = json!({
        "host": h.name,
        "id": svc.map(|s| service_id(nova, s)),
        "disabled_reason": svc.and_then(|s| s.disabled_reason.clone()),
    });
    if nova.at_least(88) {
        // 2.88 folded GET /os-hypervisors/{id}/uptime into show and detail.
        v["uptime"] = json!(uptime_line(now));
        return v;
    }
    let (cpus, ram, disk) = r.host_usage(&h.name);
    let cpu_info = json!({"arch": "x86_64", "model": "host-model", "vendor": "Intel",
        "topology": {"cells": 1, "sockets": 1, "cores": h.vcpus, "threads": 1}, "features": []});
    v["vcpus"] = json!(h.vcpus);
    v["memory_mb"] = json!(h.memory_mb);
    v["local_gb"] = json!(h.local_gb);
    v["vcpus_used"] = json!(cpus);
    v["memory_mb_used"] = json!(ram);
    v["local_gb_used"] = json!(disk);
    v["free_ram_mb"] = json!(h.memory_mb as i64 - ram as i64);
    v["free_disk_gb"] = json!(h.local_gb as i64 - disk as i64);
    v["disk_available_least"] = json!(h.local_gb as i64 - disk as i64);
    v["current_workload"] = json!(0);
    v["running_vms"] = json!(r.servers_on_host(&h.name).count());
    // 2.28 turned `cpu_info` from a JSON string into an object.
    v["cpu_info"] = if nova.at_least(28) { cpu_info } else { json!(cpu_info.to_string()) };
    v
}

/// The hosts a list shows: filtered by `hypervisor_hostname_pattern` and
/// paged by `limit`/`marker` (2.33+), in id order.
fn listed<'r>(nova: &Nova, r: &'r ComputeRegion, q: &HashMap<String, String>) -> Result<Vec<&'r Host>, ApiError> {
    let mut hosts: Vec<&Host> = r.hosts.values().collect();
    hosts.sort_by_key(|h| h.hypervisor_id);
    if let Some(p) = q.get("hypervisor_hostname_pattern").filter(|_| nova.at_least(53)) {
        hosts.retain(|h| h.name.contains(p.as_str()));
        if hosts.is_empty() {
            return Err(ApiError::not_found(format!("No hypervisor matching '{p}' could be found.")));
        }
    }
    if !nova.at_least(33) {
        return Ok(hosts);
    }
    let limit = q.get("limit").map(|l| l.parse::<usize>()).transpose().map_err(|_| ApiError::bad_request("limit"))?;
    let ids: Vec<String> = hosts.iter().map(|h| id_text(nova, h)).collect();
    let pairs: Vec<(String, &Host)> = ids.into_iter().zip(hosts).collect();
    let marker = q.get("marker").map(|s| s.as_str());
    let items = page(&pairs, |(id, _)| id.as_str(), marker, limit)
        .map_err(|_| ApiError::bad_request(format!("marker [{}] not found", marker.unwrap_or(""))))?;
    Ok(items.iter().map(|(_, h)| *h).collect())
}

fn wants_servers(nova: &Nova, q: &HashMap<String, String>) -> Result<bool, ApiError> {
    match q.get("with_servers").filter(|_| nova.at_least(53)) {
        Some(v) => parse_bool("with_servers", v),
        None => Ok(false),
    }
}

async fn list_view(sim: Sim, nova: Nova, q: HashMap<String, String>, detail: bool) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-hypervisors:list")?;
    let servers = wants_servers(&nova, &q)?;
    let w = sim.world();
    let r = region(&w, &nova)?;
    let rows: Vec<Value> = listed(&nova, r, &q)?
        .into_iter()
        .map(|h| {
            let mut v = if detail { detailed(&nova, r, h, w.now) } else { brief(&nova, r, h) };
            if servers {
                with_servers(&mut v, &nova, r, h);
            }
            v
        })
        .collect();
    Ok(ok(json!({"hypervisors": rows})))
}

async fn list(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    list_view(sim, nova, q, false).await
}

async fn detail(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    list_view(sim, nova, q, true).await
}

async fn show(
    State(sim): State<Sim>,
    nova: Nova,
    Id(id): Id,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    admin(&nova, "os_compute_api:os-hypervisors:show")?;
    if nova.at_least(53) && uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::bad_request(format!("Invalid uuid {id}")));
    }
    let servers = wants_servers(&nova, &q)?;
    let w = sim.world();
    let r = region(&w, &nova)?;
    let h = r
        .hosts
        .values()
        .find(|h| id_text(&nova, h) == id)
        .ok_or_else(|| ApiError::not_found(format!("Hypervisor with ID '{id}' could not be found.")))?;
    let mut v = detailed(&nova, r, h, w.now);
    if servers {
        with_servers(&mut v, &nova, r, h);
    }
    Ok(ok(json!({"hypervisor": v})))
}

/// The pre-2.53 pattern URLs: hypervisors whose name contains `pattern`.
fn matching(nova: &Nova, sim: &Sim, pattern: &str, servers: bool) -> ApiResult<Response> {
    requires(!nova.at_least(53))?;
    admin(nova, "os_compute_api:os-hypervisors:search")?;
    let w = sim.world();
    let r = region(&w, nova)?;
    let rows: Vec<Value> = r
        .hosts
        .values()
        .filter(|h| h.name.contains(pattern))
        .map(|h| {
            let mut v = brief(nova, r, h);
            if servers {
                with_servers(&mut v, nova, r, h);
            }
            v
        })
        .collect();
    if rows.is_empty() {
        return Err(ApiError::not_found(format!("No hypervisor matching '{pattern}' could be found.")));
    }
    Ok(ok(json!({"hypervisors": rows})))
}

async fn servers_of(State(sim): State<Sim>, nova: Nova, Id(pattern): Id) -> ApiResult<Response> {
    matching(&nova, &sim, &pattern, true)
}

async fn search(State(sim): State<Sim>, nova: Nova, Id(pattern): Id) -> ApiResult<Response> {
    matching(&nova, &sim, &pattern, false)
}

async fn statistics(State(sim): State<Sim>, nova: Nova) -> ApiResult<Response> {
    requires(!nova.at_least(88))?;
    admin(&nova, "os_compute_api:os-hypervisors:statistics")?;
    let w = sim.world();
    let r = region(&w, &nova)?;
    let mut sum = [0i64; 10];
    for h in r.hosts.values() {
        let (c, m, d) = r.host_usage(&h.name);
        let row = [
            h.vcpus as i64,
            h.memory_mb as i64,
            h.local_gb as i64,
            c as i64,
            m as i64,
            d as i64,
            h.memory_mb as i64 - m as i64,
            h.local_gb as i64 - d as i64,
            r.servers_on_host(&h.name).count() as i64,
            h.local_gb as i64 - d as i64,
        ];
        for (s, v) in sum.iter_mut().zip(row) {
            *s += v;
        }
    }
    let [vcpus, memory_mb, local_gb, vcpus_used, memory_mb_used, local_gb_used, free_ram_mb, free_disk_gb, running_vms, least] =
        sum;
    Ok(ok(json!({"hypervisor_statistics": {
        "count": r.hosts.len(),
        "vcpus": vcpus, "memory_mb": memory_mb, "local_gb": local_gb,
        "vcpus_used": vcpus_used, "memory_mb_used": memory_mb_used, "local_gb_used": local_gb_used,
        "free_ram_mb": free_ram_mb, "free_disk_gb": free_disk_gb, "current_workload": 0,
        "running_vms": running_vms, "disk_available_least": least,
    }})))
}

/// What `uptime(1)` prints on the host, which the libvirt driver returns.
/// Host boots are not modelled: every host reports having booted at midnight.
fn uptime_line(now: DateTime<Utc>) -> String {
    let since_midnight = now.num_seconds_from_midnight();
    format!(
        " {} up {}:{:02},  0 users,  load average: 0.00, 0.00, 0.00",
        now.format("%H:%M:%S"),
        since_midnight / 3600,
        since_midnight / 60 % 60
    )
}
