/*!
Gathers what `cutover plan` decides on: both regions connected, then the
old region's compute hosts, servers (with their rebuild records, see
[`crate::compute::server_records`]), flavors, images and projects, and the
new region's hypervisors and availability zones. Every listing is read once, concurrently; any
failure ends the gathering (a plan from half an inventory would be wrong).
*/

use cutover_core::id::{HostName, ImageId};
use cutover_core::plan::inventory::Inventory;
use cutover_core::plan::CloudsRef;
use cutover_core::preflight::{networking_mode, Networking};
use openstack_sdk::types::ServiceType;

use crate::compute::server_records::{Listings, NetworkListings};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::preflight::complete_images;
use crate::region::RegionClient;
use crate::transport::RetryPolicy;

/// Both regions, connected.
pub struct Regions {
    pub old: RegionClient,
    pub new: RegionClient,
    pub clouds: CloudsRef,
}

/// Connects to both regions of `profile`'s cloud.
pub async fn connect(profile: &Profile, old: &str, new: &str, retry: RetryPolicy) -> Result<Regions> {
    let (old_client, new_client) =
        tokio::join!(RegionClient::connect(profile, old, retry.clone()), RegionClient::connect(profile, new, retry));
    let clouds = CloudsRef {
        cloud: profile.name().to_string(),
        auth_url: profile.auth_url().unwrap_or_default().to_string(),
        old_region: old.into(),
        new_region: new.into(),
    };
    Ok(Regions { old: old_client?, new: new_client?, clouds })
}

/// The inventory a plan is made from (or checked against).
pub async fn inventory(regions: &Regions) -> Result<Inventory> {
    let (old, new) = (&regions.old, &regions.new);
    let services = old.compute_services().await?;
    let mode = networking_mode(&Ok(services.clone()), old.has_service(&ServiceType::Network))
        .map_err(|_| Error::NoEndpoint { region: old.region().to_string(), service: "network".into() })?;
    let network = async {
        Ok::<_, Error>(match mode {
            Networking::Neutron => {
                let (ports, floating_ips) = tokio::join!(old.ports(), old.floating_ips());
                NetworkListings::Neutron { ports: ports?, floating_ips: floating_ips? }
            }
            Networking::NovaNetwork => {
                let (networks, floating) = tokio::join!(old.fixed_networks(), old.pool_addresses());
                NetworkListings::NovaNetwork { networks: networks?, floating: floating?.unwrap_or_default() }
            }
        })
    };
    let volumes = async {
        match old.has_service(&ServiceType::BlockStorage) {
            true => old.volumes().await,
            false => Ok(Vec::new()),
        }
    };
    let (flavors, images, volumes, groups, network, projects, hypervisors, zones) = tokio::join!(
        old.flavors(),
        old.images(),
        volumes,
        old.server_groups(),
        network,
        old.projects(),
        new.hypervisors(),
        new.availability_zones(),
    );
    let (flavors, images, volumes, groups, network) = (flavors?, images?, volumes?, groups?, network?);
    let listings =
        Listings { flavors: &flavors, images: &images, volumes: &volumes, groups: &groups, network: &network };
    let mut servers = old.server_records(&listings).await?;
    // Images Glance did not list (private to another project): looked up,
    // for the guest OS and for whether `redeploy` can use them.
    let used: Vec<ImageId> = servers.iter().filter_map(|s| s.record.image_id.clone()).collect();
    let images = complete_images(old, images, used.iter().map(ImageId::as_str)).await?;
    for server in servers.iter_mut().filter(|s| s.os_type.is_none()) {
        let image = server.record.image_id.as_deref();
        server.os_type = images.iter().find(|i| Some(i.id.as_str()) == image).and_then(|i| i.os_type.clone());
    }
    let mut hosts: Vec<HostName> =
        services.into_iter().filter(|s| s.binary == "nova-compute").map(|s| s.host).collect();
    hosts.sort();
    hosts.dedup();
    Ok(Inventory {
        clouds: regions.clouds.clone(),
        old_version: old.records_version(),
        hosts,
        servers,
        flavors,
        images,
        projects: projects?,
        new_hypervisors: hypervisors?,
        new_zones: Some(zones?),
    })
}
