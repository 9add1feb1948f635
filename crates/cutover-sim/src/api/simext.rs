/*!
The simulator's own admin-only extension under `/sim/` (not OpenStack):
dump the state, read request counts, inject faults, revoke tokens, take a
service down, make a hypervisor's spawns fail or succeed, and move a host
between regions as a redeploy would.
*/

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use crate::api::common::{ok, JsonBody};
use crate::auth::Caller;
use crate::clock::TimeModel;
use crate::error::{ApiError, ApiResult};
use crate::faults::{FaultRule, Faults};
use crate::model::compute::{ComputeRegion, ComputeService, Host};
use crate::model::World;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/state", get(state))
        .route("/stats", get(stats).delete(reset_stats))
        .route("/faults", get(faults).put(replace_faults).post(add_fault).delete(clear_faults))
        .route("/tokens/revoke", post(revoke_tokens))
        .route("/regions/{region}/hosts/{host}/service", post(set_service_state))
        .route("/regions/{region}/hosts/{host}/spawns", post(set_spawns))
        .route("/hosts/{host}/move", post(move_host))
}

fn admin(caller: &Caller) -> ApiResult<()> {
    caller.require_admin("sim:admin")
}

async fn state(State(sim): State<Sim>, c: Caller) -> ApiResult {
    admin(&c)?;
    let w = sim.world();
    let body = json!({
        "now": crate::model::iso_micros_z(&w.now),
        "pending_events": w.timeline.len(),
        "identity": w.identity,
        "compute": w.compute,
        "image": w.image,
        "network": w.network,
        "volume": w.volume,
        "faults": w.faults,
    });
    Ok(ok(body))
}

async fn stats(State(sim): State<Sim>, c: Caller) -> ApiResult {
    admin(&c)?;
    let counts = sim.request_counts();
    let total: u64 = counts.values().sum();
    Ok(ok(json!({"total": total, "requests": counts})))
}

async fn reset_stats(State(sim): State<Sim>, c: Caller) -> ApiResult {
    admin(&c)?;
    sim.reset_request_counts();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn faults(State(sim): State<Sim>, c: Caller) -> ApiResult {
    admin(&c)?;
    Ok(ok(json!({"faults": sim.world().faults})))
}

async fn replace_faults(State(sim): State<Sim>, c: Caller, JsonBody(f): JsonBody<Faults>) -> ApiResult {
    admin(&c)?;
    sim.world().faults = f;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn add_fault(State(sim): State<Sim>, c: Caller, JsonBody(rule): JsonBody<FaultRule>) -> ApiResult {
    admin(&c)?;
    sim.world().faults.rules.push(rule);
    Ok(StatusCode::CREATED.into_response())
}

async fn clear_faults(State(sim): State<Sim>, c: Caller) -> ApiResult {
    admin(&c)?;
    sim.world().faults = Faults::default();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Default)]
struct RevokeBody {
    /// Only this user's tokens; all tokens when absent.
    user_id: Option<String>,
}

async fn revoke_tokens(State(sim): State<Sim>, c: Caller, JsonBody(b): JsonBody<RevokeBody>) -> ApiResult {
    admin(&c)?;
    let mut w = sim.world();
    let mut revoked = 0;
    for t in w.identity.tokens.values_mut() {
        if b.user_id.as_ref().is_none_or(|u| &t.user_id == u) && !t.revoked {
            t.revoked = true;
            revoked += 1;
        }
    }
    Ok(ok(json!({"revoked": revoked})))
}

#[derive(Deserialize)]
struct HostRef {
    region: String,
    host: String,
}

#[derive(Deserialize)]
struct ServiceStateBody {
    /// `up` or `down`.
    state: String,
    #[serde(default = "compute_binary")]
    binary: String,
}

fn compute_binary() -> String {
    "nova-compute".into()
}

/// Makes a service stop (or resume) reporting: a "service down" fault.
async fn set_service_state(
    State(sim): State<Sim>,
    c: Caller,
    Path(p): Path<HostRef>,
    JsonBody(b): JsonBody<ServiceStateBody>,
) -> ApiResult {
    admin(&c)?;
    let up = either(&b.state, "up", "down")?;
    let mut w = sim.world();
    let now = w.now;
    let region = region_of(&mut w, &p.region)?;
    let svc = region
        .services
        .values_mut()
        .find(|s| s.host == p.host && s.binary == b.binary)
        .ok_or_else(|| ApiError::not_found(format!("No {} service on host {}", b.binary, p.host)))?;
    svc.up = up;
    svc.updated_at = now;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Makes every boot on a compute host fail (a broken hypervisor, as a
/// scenario's `failing_hosts`), or succeed again once it is mended.
async fn set_spawns(
    State(sim): State<Sim>,
    c: Caller,
    Path(p): Path<HostRef>,
    JsonBody(b): JsonBody<StateBody>,
) -> ApiResult {
    admin(&c)?;
    let fail = either(&b.state, "fail", "succeed")?;
    let mut w = sim.world();
    let region = region_of(&mut w, &p.region)?;
    if !region.hosts.contains_key(&p.host) {
        return Err(ApiError::not_found(format!("No host {} in {}", p.host, p.region)));
    }
    if fail {
        region.failing_hosts.insert(p.host);
    } else {
        region.failing_hosts.remove(&p.host);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A body's `state`: `yes` is true, `no` false, anything else refused (400).
fn either(state: &str, yes: &str, no: &str) -> ApiResult<bool> {
    match state {
        s if s == yes => Ok(true),
        s if s == no => Ok(false),
        other => Err(ApiError::bad_request(format!("state must be {yes} or {no}, not '{other}'"))),
    }
}

/// The compute region a path names, or 404.
fn region_of<'a>(w: &'a mut World, region: &str) -> ApiResult<&'a mut ComputeRegion> {
    w.compute_region_mut(region).ok_or_else(|| ApiError::not_found(format!("No region {region}")))
}

#[derive(Deserialize)]
struct StateBody {
    /// `fail` or `succeed`.
    state: String,
}

#[derive(Deserialize)]
struct MoveBody {
    from: String,
    to: String,
}

/// Moves an emptied host from one region to another (see [`World::move_host`]).
async fn move_host(
    State(sim): State<Sim>,
    c: Caller,
    Path(host): Path<String>,
    JsonBody(b): JsonBody<MoveBody>,
) -> ApiResult<Response> {
    admin(&c)?;
    sim.world().move_host(&host, &b.from, &b.to)?;
    let moved = BTreeMap::from([("host", host), ("from", b.from), ("to", b.to)]);
    Ok(ok(json!({"moved": moved})))
}

impl World {
    /// Moves an emptied host from region `from` to `to`, as redeploying it
    /// into the new environment does: its old `nova-compute` record stays
    /// behind until deleted, shown up for `TimeModel::service_down_secs`
    /// more, then down; the new region gains an enabled, empty
    /// compute service and hypervisor with fresh ids, the service up once
    /// it reports in (`TimeModel::compute_join_secs` later). Refused (409)
    /// while the host holds servers in `from`, or once it is in `to`
    /// already: a host is never moved twice, nor half.
    /// `POST /sim/hosts/{host}/move` and in-process stand-ins for a
    /// redeploy hook both come here.
    pub fn move_host(&mut self, host: &str, from: &str, to: &str) -> Result<(), ApiError> {
        let target = self.compute.get(to).ok_or_else(|| ApiError::not_found(format!("No region {to}")))?;
        if target.hosts.contains_key(host) {
            return Err(ApiError::conflict(format!("Host {host} is already in {to}")));
        }
        let now = self.now;
        let source = self.compute_region_mut(from).ok_or_else(|| ApiError::not_found(format!("No region {from}")))?;
        let spec =
            source.hosts.get(host).cloned().ok_or_else(|| ApiError::not_found(format!("No host {host} in {from}")))?;
        let residents: Vec<String> = source.servers_on_host(host).map(|s| s.id.clone()).collect();
        if !residents.is_empty() {
            return Err(ApiError::conflict(format!(
                "Host {host} still holds {} server(s) in {from}; redeploying it would destroy them: {}",
                residents.len(),
                residents.join(", ")
            )));
        }
        let mut stopped = Vec::new();
        for svc in source.services.values_mut().filter(|s| s.host == host && s.binary == "nova-compute") {
            svc.updated_at = now;
            stopped.push(svc.id);
        }
        let (hyp_uuid, svc_uuid) = (self.new_uuid(), self.new_uuid());
        let target = self.compute_region_mut(to).expect("checked above");
        let id = target.next_int_id();
        let zone = target.host_zone(host);
        target.hosts.insert(
            host.to_string(),
            Host { hypervisor_id: id, hypervisor_uuid: hyp_uuid, availability_zone: Some(zone.clone()), ..spec },
        );
        target.services.insert(
            id,
            ComputeService {
                id,
                uuid: svc_uuid,
                binary: "nova-compute".into(),
                host: host.to_string(),
                zone,
                disabled: false,
                disabled_reason: None,
                up: false,
                forced_down: false,
                updated_at: now,
            },
        );
        // The old service's last report was just now; Nova shows it up
        // until `service_down_time` has passed without another.
        let source_region = from.to_string();
        self.after(TimeModel::secs(self.time.service_down_secs), move |w| {
            let Some(r) = w.compute_region_mut(&source_region) else { return };
            for svc in r.services.values_mut().filter(|s| stopped.contains(&s.id)) {
                svc.up = false;
            }
        });
        let region = to.to_string();
        self.after(TimeModel::secs(self.time.compute_join_secs), move |w| {
            let now = w.now;
            if let Some(service) = w.compute_region_mut(&region).and_then(|r| r.services.get_mut(&id)) {
                service.up = true;
                service.updated_at = now;
            }
        });
        Ok(())
    }
}
