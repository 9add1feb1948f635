/*!
The shared simulator handle: the world behind its lock, request counters,
and the middleware every request passes through (faults, counting).
*/

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::ApiError;
use crate::faults::{Answer, RequestFacts};
use crate::model::World;
use crate::service::ServiceKind;

/// A cheap, cloneable handle on one simulated cloud.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

struct Inner {
    /// A read-write lock so that large reads (a page of 1,000 servers) run
    /// side by side; every change, and every due transition, takes it for writing.
    world: RwLock<World>,
    /// Requests per `METHOD /matched/path/{template}`.
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Sim {
    pub fn new(world: World) -> Sim {
        Sim { inner: Arc::new(Inner { world: RwLock::new(world), counts: Mutex::new(BTreeMap::new()) }) }
    }

    /// Locks the world for writing, first running every transition that is due.
    pub fn world(&self) -> RwLockWriteGuard<'_, World> {
        let mut world = self.inner.world.write();
        world.advance_to(Instant::now());
        world
    }

    /// Locks the world for reading, after running any transition that is
    /// due. For handlers that change nothing; `World::now` is the time of
    /// the last write (the caller's token check takes one just before).
    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        let now = Instant::now();
        {
            let world = self.inner.world.read();
            if world.timeline.next_due().is_none_or(|due| due > now) {
                return world;
            }
        }
        RwLockWriteGuard::downgrade(self.world())
    }

    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.inner.counts.lock().clone()
    }

    pub fn reset_request_counts(&self) {
        self.inner.counts.lock().clear();
    }

    fn count(&self, key: String) {
        *self.inner.counts.lock().entry(key).or_default() += 1;
    }
}

/// Middleware (outermost): applies injected faults before routing.
pub async fn apply_faults(State(sim): State<Sim>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let service = ServiceKind::of_path(&path);
    if service == ServiceKind::Sim {
        return next.run(req).await;
    }
    let region = (service == ServiceKind::Compute).then(|| path.split('/').nth(2).unwrap_or("")).map(str::to_string);
    let (answer, latency_ms) = {
        let mut world = sim.world();
        let World { faults, rng, .. } = &mut *world;
        if faults.rules.is_empty() {
            (None, 0)
        } else {
            let facts = RequestFacts { service, region: region.as_deref(), method: req.method().as_str(), path: &path };
            faults.hit(&facts, rng)
        }
    };
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let error = match answer {
        None => return next.run(req).await,
        Some(Answer::Down) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The service is unavailable (injected fault).")
        }
        Some(Answer::Error { status }) => ApiError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "An unexpected error occurred (injected fault).",
        ),
        Some(Answer::RateLimit { retry_after_secs }) => {
            let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded (injected fault).");
            e.retry_after = Some(retry_after_secs);
            e
        }
    };
    crate::error::render_for(service, error, true)
}

/// Route middleware: counts the request under its route template.
pub async fn count_requests(State(sim): State<Sim>, req: Request, next: Next) -> Response {
    let key = match req.extensions().get::<MatchedPath>() {
        Some(p) => format!("{} {}", req.method(), p.as_str()),
        None => format!("{} (unmatched)", req.method()),
    };
    sim.count(key);
    next.run(req).await
}
