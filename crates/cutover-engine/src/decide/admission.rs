/*!
Admission: which pending moves start this round. A move holds a slot from
its first action until it ends (total, per old host, per project); builds
in the new region are bounded per new host times the hosts counted there,
and while a move waits for a build slot no new one starts: it would only
wait too, its server already down.

Room: an old host's moves start only once the new region has room for all
of its remaining servers, so that a region with room for part of the cloud
drains host by host, each emptied host handed off to it bringing room for
the next. Room is counted from the new region's hypervisors, less what the
moves admitted since would take; when nothing can bring more room, the
servers that do not fit are held and reported, untouched.
*/

use std::collections::BTreeMap;
use std::time::Duration;

use cutover_core::id::HostName;
use cutover_core::plan::Plan;
use cutover_core::room::{Load, Need, Room};
use tokio::time::Instant;

use super::state::{Lifecycle, RunState, Tracked};
use crate::limits::Slots;

/// How often the new region is counted again (hosts join it while the old
/// ones drain)...
const RECOUNT: Duration = Duration::from_secs(60);
/// ...and how often while a host waits for room in it.
const RECOUNT_WAITING: Duration = Duration::from_secs(10);

impl RunState {
    /// Whether the new region is due to be counted again at `now`: every
    /// minute, sooner while a host waits for room, at once when an old host
    /// has joined it (`joined` of them now), and before any count.
    pub(crate) fn count_due(&self, joined: usize, now: Instant) -> bool {
        let Some(last) = &self.new_region else { return true };
        let every = if self.waiting_for_room.is_empty() { RECOUNT } else { RECOUNT_WAITING };
        now.duration_since(last.at) >= every || last.joined != joined
    }

    /// Gives free slots to pending servers, in drain order, those of a
    /// host only once there is room for them; none while moves wait for a
    /// build slot.
    pub(crate) fn admit(&mut self, now: Instant) -> Slots {
        let new_hosts = self.new_region.as_ref().map_or(1, |c| c.region.hosts);
        let mut slots = Slots::new(self.options.limits, new_hosts);
        for t in self.servers.iter().filter(|t| t.holds_slot()) {
            slots.take(&t.host, &t.project);
            if t.booting() {
                slots.take_build();
            }
        }
        // No new move before the new region has been counted once: its
        // room is not known yet.
        if self.boots_waiting > 0 || (self.new_region.is_none() && self.only.is_none()) {
            return slots;
        }
        self.hold_unready(now);
        let paced = self.reserve_room();
        for i in 0..self.servers.len() {
            let selected = self.selected(i);
            let t = &self.servers[i];
            if !(selected && t.pending() && (t.room || !paced) && slots.admits(&t.host, &t.project)) {
                continue;
            }
            if let Some(offer) = self.offer.as_mut().filter(|_| self.only.is_none()) {
                let (h, s) = t.at;
                if let Err(why) = offer.take_quota(&self.plan.hosts[h].servers[s]) {
                    self.hold(i, why, now);
                    continue;
                }
            }
            let t = &mut self.servers[i];
            t.lifecycle = Lifecycle::UnderWay;
            slots.take(&t.host, &t.project);
        }
        slots
    }

    /// Holds, untouched, the pending servers whose move needs what the new
    /// region lacks (a flavor, a group, a key pair, an image): checked
    /// before the first destructive step, so a refusal never finds the
    /// server already stopped or deleted.
    fn hold_unready(&mut self, now: Instant) {
        let Some(offer) = self.offer.as_ref().filter(|_| self.only.is_none()) else { return };
        let unready: Vec<(usize, String)> = (0..self.servers.len())
            .filter(|&i| self.selected(i) && self.servers[i].pending())
            .filter_map(|i| offer.lacks(self.planned(i)).err().map(|why| (i, why)))
            .collect();
        for (i, why) in unready {
            self.hold(i, why, now);
        }
    }

    fn hold(&mut self, i: usize, why: String, now: Instant) {
        let t = &mut self.servers[i];
        tracing::warn!(server = %t.plan.source, "held: {why}");
        t.hold(why, now);
    }

    /// Reserves room for the pending servers of each old host that fits
    /// whole, in drain order; false when the moves are not paced by room
    /// (a rollback run, or a region showing no resource figures).
    fn reserve_room(&mut self) -> bool {
        let Some(counted) = self.new_region.as_ref().filter(|_| self.only.is_none()) else { return false };
        let Some(mut room) = counted.region.room.clone() else { return false };
        let at = counted.at;
        for t in self.servers.iter().filter(|t| !t.counted_in_room(at)) {
            room.take(&need_of(&self.plan, t));
        }
        let mut waiting = BTreeMap::new();
        for (host, members) in self.pending_by_host() {
            let needs: Vec<Need> = members.iter().map(|&i| need_of(&self.plan, &self.servers[i])).collect();
            if room.take_all(&needs) {
                members.iter().for_each(|&i| self.servers[i].room = true);
            } else {
                waiting.insert(host, Load::sum(needs.iter().map(|n| &n.load)));
            }
        }
        self.note_waiting(waiting, &room);
        true
    }

    /// The pending servers without room yet, by old host in drain order.
    fn pending_by_host(&self) -> Vec<(HostName, Vec<usize>)> {
        let mut by_host: Vec<(HostName, Vec<usize>)> = Vec::new();
        for (i, t) in self.servers.iter().enumerate() {
            if !(self.selected(i) && t.pending() && !t.room) {
                continue;
            }
            match by_host.last_mut() {
                Some((host, members)) if *host == t.host => members.push(i),
                _ => by_host.push((t.host.clone(), vec![i])),
            }
        }
        by_host
    }

    /// Logs each host that starts or stops waiting for room.
    fn note_waiting(&mut self, waiting: BTreeMap<HostName, Load>, room: &Room) {
        let region = &self.plan.clouds.new_region;
        for (host, load) in &waiting {
            if !self.waiting_for_room.contains_key(host) {
                tracing::info!(host = %host, "its servers wait for room in {region}: they need {load}; {} free", room.total());
            }
        }
        for host in self.waiting_for_room.keys().filter(|h| !waiting.contains_key(*h)) {
            tracing::info!(host = %host, "{region} has room for its servers now");
        }
        self.waiting_for_room = waiting;
    }

    /// Holds the servers waiting for room once nothing under way can make
    /// any: no move holds a slot, no old host is on its way into the new
    /// region (`joined` have joined it; `may_add_room`: one may still),
    /// and the last count is later than all of that.
    pub(crate) fn hold_without_room(&mut self, joined: usize, may_add_room: bool, now: Instant) {
        let Some(counted) = &self.new_region else { return };
        if self.waiting_for_room.is_empty()
            || self.servers.iter().any(|t| t.holds_slot() || !t.counted_in_room(counted.at))
            || counted.joined != joined
            || may_add_room
        {
            return;
        }
        let room = counted.region.room.clone().unwrap_or_else(|| Room::new(Vec::new()));
        let region = self.plan.clouds.new_region.clone();
        for (host, load) in std::mem::take(&mut self.waiting_for_room) {
            let why = format!(
                "no room in {region} for the servers of {host} ({load}; {} free at Nova's default \
                 allocation ratios) and no old host on its way there to make some",
                room.total()
            );
            tracing::warn!(host = %host, "{why}");
            let waiting: Vec<usize> = (0..self.servers.len())
                .filter(|&i| self.servers[i].host == host && self.servers[i].pending() && !self.servers[i].room)
                .collect();
            for i in waiting {
                // A zone with no host there is the cause, not the room.
                let zone = need_of(&self.plan, &self.servers[i]).zone.filter(|z| !room.has_zone(z));
                let why = match zone {
                    Some(zone) => format!(
                        "zone {zone} has no compute host taking servers in {region}: map it (plan --zone-map \
                         {zone}=ZONE) or hand a host of that zone off to {region} first"
                    ),
                    None => why.clone(),
                };
                self.servers[i].hold(why, now);
            }
        }
    }
}

/// What server `t` takes of a new host; unknown sizes take nothing (Nova
/// decides).
fn need_of(plan: &Plan, t: &Tracked) -> Need {
    let (h, s) = t.at;
    let planned = &plan.hosts[h].servers[s];
    Need { zone: plan.new_zone(&planned.server), load: planned.needs.unwrap_or_default() }
}
