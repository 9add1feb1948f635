/*!
The simulated cloud's state: one [`World`] holding every service's records.

Handlers lock the world, read or change it, and schedule delayed transitions
on its [`Timeline`]; nothing here speaks HTTP. Each service keeps its records
in its own submodule so that cross-service effects (a server delete unbinding
ports, a snapshot creating an image) are plain method calls.
*/

pub mod compute;
pub mod identity;
pub mod image;
pub mod network;
pub mod routing;
pub mod volume;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::{Clock, TimeModel};
use crate::faults::Faults;
use crate::timeline::Timeline;

pub use compute::ComputeRegion;
pub use identity::Identity;
pub use image::ImageStore;
pub use network::{NetworkStore, SecurityGroup};
pub use volume::VolumeStore;

/// Everything the simulator knows, behind one lock.
pub struct World {
    /// Wall-clock time of the request (or timeline event) being handled.
    pub now: DateTime<Utc>,
    /// Monotonic time matching `now`; used to schedule timeline events.
    pub instant: Instant,
    pub clock: Clock,
    pub time: TimeModel,
    pub timeline: Timeline<World>,
    pub rng: StdRng,
    pub faults: Faults,
    /// Base URL the simulator serves on, e.g. `http://127.0.0.1:5000`.
    pub base_url: String,
    pub identity: Identity,
    /// Nova regions by region name; each has its own state.
    pub compute: BTreeMap<String, ComputeRegion>,
    pub image: ImageStore,
    pub network: NetworkStore,
    pub volume: VolumeStore,
}

impl World {
    pub fn new(seed: u64, time: TimeModel, base_url: String) -> World {
        let clock = Clock::start();
        World {
            now: clock.utc_at(clock.started()),
            instant: clock.started(),
            clock,
            time,
            timeline: Timeline::default(),
            rng: StdRng::seed_from_u64(seed),
            faults: Faults::default(),
            base_url,
            identity: Identity::default(),
            compute: BTreeMap::new(),
            image: ImageStore::default(),
            network: NetworkStore::default(),
            volume: VolumeStore::default(),
        }
    }

    /// Runs every timeline event due by `until`, in order, then sets `now`.
    pub fn advance_to(&mut self, until: Instant) {
        while let Some((due, event)) = self.timeline.pop_due(until) {
            self.set_instant(due.max(self.instant));
            event(self);
        }
        self.set_instant(until.max(self.instant));
    }

    fn set_instant(&mut self, at: Instant) {
        self.instant = at;
        self.now = self.clock.utc_at(at);
    }

    /// Schedules `event` to run once `realistic` (scaled by the time scale)
    /// has passed from now. A zero scale still defers it to the next request.
    pub fn after(&mut self, realistic: Duration, event: impl FnOnce(&mut World) + Send + Sync + 'static) {
        let due = self.instant + self.time.scaled(realistic);
        self.timeline.push(due, Box::new(event));
    }

    /// A fresh UUID drawn from the seeded generator, so runs are repeatable.
    pub fn new_uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid().to_string()
    }

    /// A UUID without dashes, as Keystone uses for its ids.
    pub fn new_hex_id(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid().simple().to_string()
    }

    pub fn compute_region(&self, region: &str) -> Option<&ComputeRegion> {
        self.compute.get(region)
    }

    pub fn compute_region_mut(&mut self, region: &str) -> Option<&mut ComputeRegion> {
        self.compute.get_mut(region)
    }

    /// The project's `default` security group, created first if missing, as
    /// Neutron does on a project's first security-group or port request.
    pub fn ensure_default_security_group(&mut self, project_id: &str) -> String {
        if let Some(g) = self.network.default_security_group(project_id) {
            return g.id.clone();
        }
        let now = self.now;
        let group = SecurityGroup::new(now, || self.new_uuid(), project_id, "default", "Default security group");
        let id = group.id.clone();
        self.network.security_groups.insert(id.clone(), group);
        id
    }
}

/// Formats a timestamp the way Nova, Glance and Neutron print them.
pub fn iso_seconds(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Formats a timestamp with microseconds and `Z`, as Keystone prints token times.
pub fn iso_micros_z(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Formats a timestamp with microseconds and no zone, as Cinder and Nova's
/// `launched_at` print them.
pub fn iso_micros(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Serializes a map as the list of its values (for maps whose keys are not
/// strings, which JSON objects cannot hold).
pub fn values_only<S: serde::Serializer, K, V: serde::Serialize>(
    map: &BTreeMap<K, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(map.values())
}
