/*!
The cloud of one soak trial: a generated cloud (Neutron or nova-network,
by the seed's parity) with every strategy planned, one old host's servers
in a zone whose only new host fails every boot, then the faults injected
once it is synced and planned.
*/

use std::collections::BTreeMap;

use cutover_sim::faults::{FaultKind, FaultRule, Faults, SnapshotFault};
use cutover_sim::model::compute::Networking;
use cutover_sim::scenario::{AggregateSpec, HostSpec};
use cutover_sim::{generate, GenerateOptions, Scenario};

use crate::util::faults::everywhere;

/// Old servers per generated old host.
const SERVERS_PER_HOST: usize = 20;
/// The zone of the first old host, and the one new host in it: every boot
/// there fails, so each of its servers is turned back.
pub const FAILING_ZONE: &str = "zone-b";
pub const FAILING_HOST: &str = "new-b01";
const FIRST_OLD_HOST: &str = "old-0001";

/// How the servers move: the generator's `role=cache` servers from their
/// image, the ones marked `cutover=stay` left to their owners (held at the
/// deadline, in place), `cutover=later` ones snapshot-moved once the
/// deadline passes; the rest by default (snapshot, or volume for
/// boot-from-volume servers; on nova-network, a root volume Nova would
/// delete with its server makes it `wait`).
pub const RULES: &[&str] =
    &["metadata=cutover=stay:wait", "metadata=cutover=later:wait-then-snapshot", "metadata=role=cache:redeploy"];
/// One server in this many is marked `stay`, and one in this many `later`.
const MARK_EVERY: usize = 25;

/// The client gives up on a request after this many seconds...
pub const API_TIMEOUT_SECS: u64 = 1;
/// ...and the simulator holds some requests longer.
const TIMEOUT_MILLIS: u64 = 1_500;

pub fn networking(seed: u64) -> Networking {
    match seed % 2 {
        0 => Networking::Neutron,
        _ => Networking::NovaNetwork,
    }
}

/// `servers` generated servers for `seed`, with the failing zone. A
/// nova-network old region is a Newton Nova (2.38, the last with nova-network), which shows tags and
/// `delete_on_termination`.
pub fn scenario(servers: usize, seed: u64) -> Scenario {
    let networking = networking(seed);
    let hosts = servers.div_ceil(SERVERS_PER_HOST).max(4);
    let mut scenario = generate(&GenerateOptions { hosts, servers, new_hosts: None, networking, seed });
    let [old, new] = &mut scenario.regions[..] else { panic!("the generator makes two regions") };
    if networking == Networking::NovaNetwork {
        old.max_microversion = "2.38".into();
        // A project may hold more floating addresses than Nova's default
        // quota of 10 (sync allocates each in the new region): unlimited,
        // as the generator makes instances, cores and RAM.
        for region in [&mut *old, &mut *new] {
            if let Some(quotas) = region.quota_defaults.as_mut() {
                quotas.floating_ips = -1;
            }
        }
    }
    old.aggregates.push(AggregateSpec {
        name: "agg-b".into(),
        availability_zone: Some(FAILING_ZONE.into()),
        hosts: vec![FIRST_OLD_HOST.into()],
        metadata: BTreeMap::new(),
    });
    for (n, server) in old.servers.iter_mut().enumerate() {
        if server.host == FIRST_OLD_HOST {
            server.availability_zone = Some(FAILING_ZONE.into());
        }
        let mark = match n % MARK_EVERY {
            3 => Some("stay"),
            11 => Some("later"),
            _ => None,
        };
        if let Some(mark) = mark {
            server.metadata.insert("cutover".into(), mark.into());
        }
    }
    // Nova weighs hosts by free RAM and may place a boot that names no
    // zone in any zone: the failing host is sized for its zone's servers
    // alone, and the default zone given three times the room it needs, so
    // that such boots go to the roomier hosts there, not to the failing one.
    let ram_of = |flavor: &str| old.flavors.iter().find(|f| f.id == flavor).map_or(0, |f| f.ram_mb);
    let zone_ram: u64 = old.servers.iter().filter(|s| s.host == FIRST_OLD_HOST).map(|s| ram_of(&s.flavor)).sum();
    let largest = old.flavors.iter().map(|f| f.ram_mb).max().unwrap_or_default();
    let more: Vec<HostSpec> = (1..3)
        .flat_map(|k| new.hosts.iter().map(move |h| HostSpec { name: format!("{}-{k}", h.name), ..h.clone() }))
        .collect();
    new.hosts.extend(more);
    let like = new.hosts[0].clone();
    new.hosts.push(HostSpec { name: FAILING_HOST.into(), memory_mb: zone_ram + largest, ..like });
    new.failing_hosts.push(FAILING_HOST.into());
    scenario
}

/// `cutover sync`'s host map: the failing zone's old host goes to its new
/// host, so sync puts that host in the zone in the new region.
pub fn host_map() -> String {
    format!("{FIRST_OLD_HOST}: {FAILING_HOST}\n")
}

/// What goes wrong during the run: 6.7% of the requests of every service
/// answered 503, 500 or 429 (`Retry-After: 1`), 0.3% held past the
/// client's timeout, one snapshot in ten ending `killed`.
pub fn faults() -> Faults {
    Faults {
        rules: vec![
            everywhere(0.03, FaultKind::Error { status: 503 }),
            everywhere(0.02, FaultKind::Error { status: 500 }),
            everywhere(0.017, FaultKind::RateLimit { retry_after_secs: 1 }),
            everywhere(0.003, FaultKind::Latency { millis: TIMEOUT_MILLIS }),
        ],
        snapshot_killed: Some(SnapshotFault { region: None, rate: 0.1 }),
    }
}

/// Whether the hits of `rule` failed their requests: an answering fault,
/// or one holding requests past the client's timeout.
pub fn fails_requests(rule: &FaultRule) -> bool {
    match rule.kind {
        FaultKind::Latency { millis } => millis > API_TIMEOUT_SECS * 1000,
        _ => true,
    }
}
