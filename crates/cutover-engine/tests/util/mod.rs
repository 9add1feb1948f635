/*!
A simulated cloud for the driver's tests: the built-in scenario with the
new region prepared as `cutover sync` leaves it (flavors, keypairs, server
groups), a plan written from the old region's servers as `cutover plan`
records them, and the [`OpenStackDriver`] connected to both regions. Or a
generated nova-network cloud, its floating pools synced
([`SimCloud::nova_network`]).
*/
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use cutover_cloud::{Profile, RetryPolicy};
use cutover_core::machine::Strategy;
use cutover_core::plan::{
    CloudsRef, FixedIp, FixedNetworkRecord, FloatingIpRecord, GroupRef, HostPlan, Options, Plan, PortRecord,
    ServerPlan, ServerRecord, VolumeRecord, PLAN_VERSION,
};
use cutover_core::Backoff;
use cutover_engine::OpenStackDriver;
use cutover_sim::model::compute::{NovaFloatingIp, ServerGroup};
use cutover_sim::{clouds_yaml_entry, generate, GenerateOptions, RunningSim, Scenario, Sim};

pub struct SimCloud {
    pub running: RunningSim,
    dir: tempfile::TempDir,
}

impl SimCloud {
    /// The built-in scenario, operations instant, RegionTwo synced.
    pub async fn start() -> SimCloud {
        SimCloud::with(Scenario::builtin(), 0.0).await
    }

    /// A generated nova-network cloud (both regions nova-network, the old
    /// one a Mitaka Nova at 2.25, root volumes kept on delete), with
    /// `cutover sync`'s floating pools: every address recreated in
    /// RegionTwo, the held ones allocated to the same projects.
    pub async fn nova_network(time_scale: f64) -> SimCloud {
        let options = GenerateOptions {
            hosts: 2,
            servers: 24,
            new_hosts: None,
            networking: cutover_sim::model::compute::Networking::NovaNetwork,
            seed: 7,
        };
        let mut scenario = generate(&options);
        scenario.regions[0].max_microversion = "2.25".into();
        for server in &mut scenario.regions[0].servers {
            server.boot_volume_delete_on_termination = false;
        }
        let cloud = SimCloud::with(scenario, time_scale).await;
        let mut w = cloud.sim().world();
        let pools: Vec<NovaFloatingIp> = w.compute["RegionOne"]
            .floating_ips
            .values()
            .map(|f| NovaFloatingIp { instance_id: None, fixed_ip: None, ..f.clone() })
            .collect();
        w.compute.get_mut("RegionTwo").expect("RegionTwo").floating_ips.extend(pools.into_iter().map(|f| (f.id, f)));
        drop(w);
        cloud
    }

    pub async fn with(scenario: Scenario, time_scale: f64) -> SimCloud {
        let running =
            RunningSim::start("127.0.0.1:0".parse().unwrap(), &scenario, Some(time_scale)).await.expect("sim starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let text = format!(
            "clouds:\n{}",
            clouds_yaml_entry("sim", &running.auth_url(), &["RegionOne", "RegionTwo"], "admin", "secret", "admin")
        );
        std::fs::write(dir.path().join("clouds.yaml"), text).expect("clouds.yaml written");
        let cloud = SimCloud { running, dir };
        cloud.sync();
        cloud
    }

    pub fn sim(&self) -> &Sim {
        &self.running.sim
    }

    pub fn profile(&self) -> Profile {
        Profile::resolve_in(Some("sim"), Some(&self.dir.path().join("clouds.yaml")), None).expect("profile")
    }

    pub async fn driver(&self) -> OpenStackDriver {
        OpenStackDriver::connect(&self.profile(), "RegionOne", "RegionTwo", quick_retries()).await.expect("connects")
    }

    /// The driver as a run has it: with the ledger of a journal (in the
    /// cloud's directory), which it records its key pair copies in.
    pub async fn recording_driver(&self) -> (OpenStackDriver, cutover_journal::Journal) {
        let driver = self.driver().await;
        let meta = cutover_journal::Meta {
            migration: "m1".into(),
            plan_digest: "-".into(),
            cloud: "sim".into(),
            auth_url: self.running.auth_url(),
            old_region: "RegionOne".into(),
            new_region: "RegionTwo".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        let journal = cutover_journal::Journal::create(&self.dir.path().join("driver.journal"), &meta, &[])
            .expect("journal created");
        cutover_engine::Driver::keep_records(&driver, journal.ledger().expect("ledger"));
        (driver, journal)
    }

    /// What sync copies into the new region: flavors, keypairs (same
    /// users), server groups (same project and name, new ids).
    fn sync(&self) {
        let mut w = self.sim().world();
        let old = &w.compute["RegionOne"];
        let flavors = old.flavors.clone();
        let keypairs = old.keypairs.clone();
        let groups: Vec<ServerGroup> = old.server_groups.values().cloned().collect();
        let groups: Vec<ServerGroup> =
            groups.into_iter().map(|g| ServerGroup { id: w.new_uuid(), members: Vec::new(), ..g }).collect();
        let new = w.compute.get_mut("RegionTwo").expect("RegionTwo");
        new.flavors.extend(flavors);
        new.keypairs.extend(keypairs);
        new.server_groups.extend(groups.into_iter().map(|g| (g.id.clone(), g)));
    }

    pub fn server_id(&self, region: &str, name: &str) -> String {
        let w = self.sim().world();
        w.compute[region].servers.values().find(|s| s.name == name).expect("server exists").id.clone()
    }

    /// A plan moving the named old servers with the strategies given.
    pub fn plan(&self, servers: &[(&str, Strategy)]) -> Plan {
        let planned = servers
            .iter()
            .map(|(name, strategy)| ServerPlan {
                strategy: *strategy,
                why: "test".into(),
                warnings: Vec::new(),
                server: self.record(name),
                needs: None,
                after_deadline: None,
            })
            .collect();
        Plan {
            version: PLAN_VERSION,
            migration: "m1".into(),
            created_at: "2025-01-01T00:00:00Z".into(),
            clouds: CloudsRef {
                cloud: "sim".into(),
                auth_url: self.running.auth_url(),
                old_region: "RegionOne".into(),
                new_region: "RegionTwo".into(),
            },
            options: Options { boot_timeout_secs: 600, ..Options::default() },
            hosts: vec![HostPlan { name: "all".into(), on_empty: None, servers: planned }],
            unplanned: Vec::new(),
        }
    }

    /// An old server as the plan records it.
    pub fn record(&self, name: &str) -> ServerRecord {
        let w = self.sim().world();
        let region = &w.compute["RegionOne"];
        let s = region.servers.values().find(|s| s.name == name).expect("server exists");
        let ports: Vec<PortRecord> = s
            .nics
            .iter()
            .filter_map(|n| n.port_id.as_ref())
            .map(|id| {
                let p = &w.network.ports[id];
                PortRecord {
                    id: p.id.clone().into(),
                    network_id: p.network_id.clone().into(),
                    mac: p.mac_address.clone(),
                    fixed_ips: p
                        .fixed_ips
                        .iter()
                        .map(|f| FixedIp { subnet_id: f.subnet_id.clone().into(), ip: f.ip_address.clone() })
                        .collect(),
                    security_group_ids: p.security_groups.clone(),
                }
            })
            .collect();
        let neutron_floating = w
            .network
            .floating_ips
            .values()
            .filter(|f| f.port_id.as_ref().is_some_and(|p| ports.iter().any(|r| &r.id == p)))
            .map(|f| FloatingIpRecord {
                address: f.floating_ip_address.clone(),
                id: Some(f.id.clone().into()),
                port_id: f.port_id.clone().map(Into::into),
            });
        let nova_floating = region
            .floating_ips
            .values()
            .filter(|f| f.instance_id.as_deref() == Some(s.id.as_str()))
            .map(|f| FloatingIpRecord { address: f.address.clone(), id: None, port_id: None });
        let floating_ips = neutron_floating.chain(nova_floating).collect();
        let fixed_networks = s
            .nics
            .iter()
            .filter(|n| n.port_id.is_none())
            .flat_map(|n| {
                n.fixed_ips.iter().map(|ip| FixedNetworkRecord {
                    network_id: n.network_id.clone().into(),
                    ip: ip.clone(),
                    mac: Some(n.mac_address.clone()),
                })
            })
            .collect();
        ServerRecord {
            id: s.id.clone().into(),
            name: s.name.clone(),
            project_id: s.project_id.clone().into(),
            user_id: s.user_id.clone().into(),
            host: s.host.clone().unwrap_or_default().into(),
            availability_zone: s.requested_az.clone(),
            status: s.status().parse().expect("the simulator answers Nova's statuses"),
            flavor_id: s.flavor_id.clone().into(),
            image_id: s.image_id.clone().map(Into::into),
            key_name: s.key_name.clone(),
            user_data: s.user_data.clone(),
            metadata: s.metadata.clone(),
            tags: s.tags.iter().cloned().collect(),
            description: s.description.clone(),
            server_group: s
                .server_group
                .as_ref()
                .map(|g| GroupRef { id: g.clone().into(), name: region.server_groups[g].name.clone() }),
            security_groups: s.security_groups.clone(),
            ports,
            fixed_networks,
            volumes: s
                .block_devices
                .iter()
                .map(|b| VolumeRecord {
                    id: b.volume_id.clone().into(),
                    device: Some(b.device_name.clone()),
                    boot_index: b.boot_index.map(i64::from),
                    delete_on_termination: b.delete_on_termination,
                })
                .collect(),
            floating_ips,
            config_drive: s.config_drive,
            ephemeral_gib: 0,
            swap_mib: 0,
        }
    }

    /// Metadata of a server of `region`, by id.
    pub fn metadata(&self, region: &str, id: &str) -> BTreeMap<String, String> {
        self.sim().world().compute[region].servers[id].metadata.clone()
    }
}

/// Retries without the production backoff, so tests stay fast.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(50)).retries(3),
        max_retry_after: Duration::from_secs(2),
    }
}
