/*!
The calls preflight (and later the plan) gathers with, against the
simulator: servers with their flavor, image, volumes and addresses,
services, hypervisors, and the shared services' resources.
*/

mod util;

use cutover_cloud::preflight::observe;
use cutover_core::plan::zones::parse_zone_map;
use cutover_core::preflight::{evaluate, AllocationRatios, Check, Status};
use cutover_sim::model::compute::Networking;
use cutover_sim::{generate, GenerateOptions};
use util::{quick_retries, SimCloud};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_come_with_what_they_depend_on() {
    let cloud = SimCloud::start().await;
    let old = cloud.region("RegionOne").await;
    let servers = old.servers().await.expect("servers");
    {
        let w = cloud.sim().read();
        let region = &w.compute["RegionOne"];
        assert_eq!(servers.len(), region.servers.len());
        for s in &servers {
            let sim = &region.servers[s.id.as_str()];
            assert_eq!(s.host.as_deref(), sim.host.as_deref(), "{}", s.name);
            assert_eq!(s.image_id.as_deref(), sim.image_id.as_deref(), "{}", s.name);
            assert_eq!(s.project_id, sim.project_id);
            let flavor = &region.flavors[&sim.flavor_id];
            // 2.47+: the flavor by its values and name.
            assert_eq!(s.flavor.original_name.as_deref(), Some(flavor.name.as_str()));
            assert_eq!(s.flavor.sizes.map(|f| f.ram_mib), Some(flavor.ram_mb));
            let volumes: Vec<&str> = sim.block_devices.iter().map(|b| b.volume_id.as_str()).collect();
            assert_eq!(s.volume_ids.iter().map(|v| v.as_str()).collect::<Vec<_>>(), volumes);
            assert!(!s.addresses.is_empty(), "{}", s.name);
        }
    }
    let services = old.compute_services().await.expect("services");
    assert!(services.iter().any(|s| s.binary == "nova-scheduler" && s.up && s.enabled));
    let hypervisors = old.hypervisors().await.expect("hypervisors");
    assert_eq!(hypervisors.len(), 3);
    let used: u64 = hypervisors.iter().map(|h| h.resources.expect("resources at 2.53").vcpus_used).sum();
    assert!(used > 0);
    let ports = old.ports().await.expect("ports");
    assert!(servers.iter().all(|s| ports.iter().any(|p| p.device_id == s.id)));
    assert!(old.networks().await.expect("networks").iter().any(|n| n.name == "acme-net"));
    assert_eq!(old.volumes().await.expect("volumes").len(), 3);
    assert!(old.projects().await.expect("projects").iter().any(|p| p.name == "acme"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builtin_scenario_passes_preflight() {
    let cloud = SimCloud::start().await;
    let obs = observe(&cloud.profile("sim"), "RegionOne", "RegionTwo", quick_retries()).await.expect("observed");
    // RegionTwo has no zone az-fast (old-3's) until sync places it: the
    // operator's zone map sends its servers to the default zone.
    let unmapped = evaluate(&obs, AllocationRatios::default(), &Default::default());
    let zones: Vec<&Check> = unmapped.iter().filter(|c| c.status != Status::Ok).collect();
    assert!(matches!(zones.as_slice(), [c] if c.name == "zones" && c.reason.contains("zone az-fast")), "{zones:#?}");
    let checks = evaluate(&obs, AllocationRatios::default(), &parse_zone_map(["az-fast="]).expect("parses"));
    for c in &checks {
        eprintln!("{:<16} {:<10} {:<5} {}", c.name, c.region.as_deref().unwrap_or(""), c.status, c.reason);
    }
    assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nova_network_cloud_is_read_at_2_1_and_passes_preflight() {
    let scenario = generate(&GenerateOptions {
        hosts: 3,
        servers: 12,
        new_hosts: None,
        networking: Networking::NovaNetwork,
        seed: 7,
    });
    let cloud = SimCloud::with(scenario).await;
    let old = cloud.region("RegionOne").await;
    let servers = old.servers().await.expect("servers at 2.1");
    assert_eq!(servers.len(), 12);
    assert!(servers.iter().all(|s| s.flavor.id.is_some() && s.flavor.sizes.is_none()));
    assert!(!old.fixed_networks().await.expect("os-networks").is_empty());
    let obs = observe(&cloud.profile("sim"), "RegionOne", "RegionTwo", quick_retries()).await.expect("observed");
    let checks = evaluate(&obs, AllocationRatios::default(), &Default::default());
    for c in &checks {
        eprintln!("{:<16} {:<10} {:<5} {}", c.name, c.region.as_deref().unwrap_or(""), c.status, c.reason);
    }
    assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plans_inventory_reads_every_page_of_servers() {
    // More than two of Nova's pages (1,000 servers each).
    let scenario = generate(&GenerateOptions {
        hosts: 25,
        servers: 2_345,
        new_hosts: None,
        networking: Networking::Neutron,
        seed: 3,
    });
    let cloud = SimCloud::with(scenario).await;
    let regions = cutover_cloud::plan::connect(&cloud.profile("sim"), "RegionOne", "RegionTwo", quick_retries())
        .await
        .expect("both regions");
    let inventory = cutover_cloud::plan::inventory(&regions).await.expect("the inventory");
    let ids: std::collections::BTreeSet<&str> = inventory.servers.iter().map(|s| s.record.id.as_str()).collect();
    assert_eq!(inventory.servers.len(), 2_345);
    assert_eq!(ids.len(), 2_345, "no server read twice");
    let w = cloud.sim().read();
    assert!(w.compute["RegionOne"].servers.keys().all(|id| ids.contains(id.as_str())), "every server read");
    assert!(inventory.servers.iter().all(|s| !s.record.ports.is_empty()), "each joined with its ports");
}
