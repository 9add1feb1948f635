/*!
Time in the simulator: real wall-clock timestamps, scaled operation durations.

Timestamps shown to clients are real (so `changes-since` works with the
client's clock); only how long an operation takes is scaled by
`--time-scale` (1.0 realistic, 0 instant).
*/

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Maps monotonic instants to wall-clock times from one starting point.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: Instant,
    started_utc: DateTime<Utc>,
}

impl Clock {
    pub fn start() -> Clock {
        Clock { started: Instant::now(), started_utc: Utc::now() }
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn utc_at(&self, at: Instant) -> DateTime<Utc> {
        let since = at.saturating_duration_since(self.started);
        self.started_utc + chrono::Duration::from_std(since).unwrap_or_default()
    }
}

/// Realistic durations of the slow operations, in seconds, and the scale
/// applied to all of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeModel {
    pub scale: f64,
    /// Scheduling, networking and spawning a server.
    pub boot_secs: f64,
    pub stop_secs: f64,
    pub start_secs: f64,
    pub reboot_secs: f64,
    pub delete_secs: f64,
    /// Snapshot time per GB of the flavor's root disk (at least one GB).
    pub snapshot_secs_per_gb: f64,
    /// Upload of image data into Glance once the snapshot is taken, per GB.
    pub image_upload_secs_per_gb: f64,
    pub volume_create_secs: f64,
    /// Volume created from an image, per GB of the volume.
    pub volume_from_image_secs_per_gb: f64,
    pub volume_attach_secs: f64,
    pub volume_detach_secs: f64,
    pub volume_delete_secs: f64,
    /// nova-network: from a server's delete until its fixed IPs are
    /// disassociated and can be asked for again. With `force_dhcp_release`
    /// (Nova's default) the DHCP release reaches nova-dhcpbridge within
    /// seconds; without it, `fixed_ip_disassociate_timeout` (600 s) and the
    /// periodic task that applies it.
    pub fixed_ip_release_secs: f64,
    /// A host redeployed into another region (`POST /sim/hosts/{host}/move`):
    /// until its new `nova-compute` first reports in (up).
    pub compute_join_secs: f64,
    /// The old `nova-compute` of a host redeployed away stops reporting,
    /// but the API shows it up until Nova's `service_down_time` (60 s by
    /// default) has passed since its last report, as realcloud's hand-off
    /// showed.
    pub service_down_secs: f64,
}

impl Default for TimeModel {
    fn default() -> TimeModel {
        TimeModel {
            scale: 1.0,
            boot_secs: 30.0,
            stop_secs: 10.0,
            start_secs: 10.0,
            reboot_secs: 20.0,
            delete_secs: 5.0,
            snapshot_secs_per_gb: 6.0,
            image_upload_secs_per_gb: 4.0,
            volume_create_secs: 3.0,
            volume_from_image_secs_per_gb: 2.0,
            volume_attach_secs: 3.0,
            volume_detach_secs: 3.0,
            volume_delete_secs: 2.0,
            fixed_ip_release_secs: 2.0,
            compute_join_secs: 20.0,
            service_down_secs: 60.0,
        }
    }
}

impl TimeModel {
    /// The real time an operation of `realistic` length takes at this scale.
    pub fn scaled(&self, realistic: Duration) -> Duration {
        if self.scale <= 0.0 {
            return Duration::ZERO;
        }
        realistic.mul_f64(self.scale)
    }

    pub fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s.max(0.0))
    }
}
