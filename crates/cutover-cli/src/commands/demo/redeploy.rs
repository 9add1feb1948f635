/*!
The demo's hand-off: an emptied old host is "redeployed" into the new
region, as `examples/hooks/sim-redeploy` does, through the simulator's
`POST /sim/hosts/{host}/move`, after the time a reinstall takes (scaled). The engine calls it as it would an
operator's hook; what each host brought to the new region is kept for
the account. [`AfterMoves`] holds a spare's hand-off until every server of
the run has moved.
*/

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cutover_engine::hook::HookEnd;
use cutover_engine::{HandOff, HookReport, HookRequest};
use tokio::sync::watch;

use super::simapi::{Capacity, SimApi};

/// How long reinstalling a compute host takes in the demo (PXE boot,
/// configuration management, the new environment's `nova-compute`
/// started): real seconds, run at the demo's time scale.
pub const REINSTALL_SECS: f64 = 120.0;

/// Moves emptied hosts into the new region of the simulator it reaches.
pub struct Redeploy {
    sim: SimApi,
    reinstall: Duration,
    moved: Mutex<BTreeMap<String, Capacity>>,
}

impl Redeploy {
    pub fn new(sim: SimApi, time_scale: f64) -> Redeploy {
        Redeploy { sim, reinstall: Duration::from_secs_f64(REINSTALL_SECS * time_scale), moved: Mutex::default() }
    }

    /// The hosts it moved, with what each brought.
    pub fn moved(&self) -> BTreeMap<String, Capacity> {
        self.moved.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Moves the host now, unless it is in the new region already (a
    /// hand-off run again after a crash): what the hook would print.
    async fn move_host(&self, r: &HookRequest) -> Result<String, String> {
        if let Some(capacity) = self.capacity_in(&r.new_region, &r.host).await? {
            return Ok(format!("{} already is a compute host of {} ({capacity})", r.host, r.new_region));
        }
        self.sim
            .move_host(&r.host, &r.old_region, &r.new_region)
            .await
            .map_err(|e| format!("moving {} from {} to {} failed: {e}", r.host, r.old_region, r.new_region))?;
        let capacity = self.capacity_in(&r.new_region, &r.host).await?.ok_or("the host is not in the new region")?;
        if let Ok(mut moved) = self.moved.lock() {
            moved.insert(r.host.to_string(), capacity);
        }
        Ok(format!("{} redeployed into {}: {capacity}", r.host, r.new_region))
    }

    /// What `host`'s hypervisor has, when `region`'s Nova lists it.
    async fn capacity_in(&self, region: &str, host: &str) -> Result<Option<Capacity>, String> {
        let hypervisors =
            self.sim.hypervisors(region).await.map_err(|e| format!("listing {region}'s hypervisors failed: {e}"))?;
        Ok(hypervisors.into_iter().find(|(name, _)| name == host).map(|(_, capacity)| capacity))
    }
}

#[async_trait]
impl HandOff for Redeploy {
    async fn hand_off(&self, request: &HookRequest) -> HookReport {
        let started = Instant::now();
        tokio::time::sleep(self.reinstall).await;
        let (end, output) = match self.move_host(request).await {
            Ok(said) => (HookEnd::Succeeded, said),
            Err(why) => (HookEnd::Failed { status: Some(1), output: why.clone() }, why),
        };
        HookReport { end, output, duration: started.elapsed() }
    }
}

/// Where the servers of a run are, as its progress tells: `None` while
/// some are under way, then whether every one moved.
pub type MovesOver = watch::Receiver<Option<bool>>;

/// A spare's hand-off: the host is kept (a rollback may need room in the
/// old region) until every server of the run has moved, then redeployed.
/// If one did not move, the spare stays, and says so.
pub struct AfterMoves {
    pub redeploy: Arc<Redeploy>,
    pub moves: MovesOver,
}

#[async_trait]
impl HandOff for AfterMoves {
    async fn hand_off(&self, request: &HookRequest) -> HookReport {
        let started = Instant::now();
        let mut moves = self.moves.clone();
        let all_moved = match moves.wait_for(Option::is_some).await {
            Ok(over) => *over == Some(true),
            Err(_) => false,
        };
        if !all_moved {
            let why = format!("{} kept for rollbacks: not every server of the run moved", request.host);
            return HookReport {
                end: HookEnd::Failed { status: Some(1), output: why.clone() },
                output: why,
                duration: started.elapsed(),
            };
        }
        let mut report = self.redeploy.hand_off(request).await;
        report.duration = started.elapsed();
        report
    }
}
