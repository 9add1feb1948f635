/*!
Gathers what `cutover preflight` checks: both regions connected at once,
then each one's services, hypervisors, zones and shared-service reachability, and
the old region's servers with the flavors, images, networks and volumes
they refer to. A failed call is kept as its one-line error in the
[`Observation`]; only bad configuration, failed authentication and an
unknown old region end the gathering.
*/

use std::collections::BTreeSet;

use cutover_core::id::ImageId;
use cutover_core::preflight::{networking_mode, Gathered, Inventory, Networking, Observation, RegionView, Scope};
use openstack_sdk::types::ServiceType;

use crate::config::Profile;
use crate::error::{Error, Result};
use crate::region::RegionClient;
use crate::transport::RetryPolicy;

/// Connects to both regions and gathers the observation. Errors: the
/// configuration, authentication, or an old region not in the catalog (a
/// new region missing there is a finding, kept in the observation).
pub async fn observe(profile: &Profile, old: &str, new: &str, retry: RetryPolicy) -> Result<Observation> {
    let (old_client, new_client) =
        tokio::join!(RegionClient::connect(profile, old, retry.clone()), RegionClient::connect(profile, new, retry));
    let old_client = old_client?;
    let new_client = match new_client {
        Ok(client) => Ok(client),
        Err(e @ (Error::UnknownRegion { .. } | Error::Call(_) | Error::NoEndpoint { .. })) => Err(e.to_string()),
        Err(e) => return Err(e),
    };
    let new_view = async {
        match &new_client {
            Ok(client) => Ok(region_view(client).await),
            Err(why) => Err(why.clone()),
        }
    };
    let (old_view, new_view) = tokio::join!(region_view(&old_client), new_view);
    let inventory = inventory(&old_client, &old_view).await;
    let scope = old_client.scope();
    Ok(Observation {
        cloud: old_client.cloud().to_string(),
        scope: Scope { user: scope.user_name, project: scope.project_name, roles: scope.roles },
        old: old_view,
        new_region: new.into(),
        new: new_view,
        inventory,
    })
}

fn text<T>(result: Result<T>) -> Gathered<T> {
    result.map_err(|e| e.to_string())
}

async fn region_view(client: &RegionClient) -> RegionView {
    // openstack_sdk may "discover" a service the region's catalog lacks;
    // only an endpoint of this region in the token's catalog counts.
    let catalog: BTreeSet<String> =
        client.catalog().iter().filter(|e| e.region == client.region()).map(|e| e.service_type.clone()).collect();
    let has = |kind: ServiceType| {
        let aliases: &[&str] = match kind {
            ServiceType::Compute => &["compute"],
            ServiceType::Image => &["image"],
            ServiceType::Network => &["network"],
            _ => &["block-storage", "volumev3", "volumev2", "volume"],
        };
        client.has_service(&kind) && aliases.iter().any(|a| catalog.contains(*a))
    };
    let compute = has(ServiceType::Compute);
    let no_compute = || format!("region {} has no compute endpoint in the catalog", client.region());
    let (image, volume, network, services, hypervisors, zones) = tokio::join!(
        probe(has(ServiceType::Image), client.probe(ServiceType::Image)),
        probe(has(ServiceType::BlockStorage), client.probe(ServiceType::BlockStorage)),
        probe(has(ServiceType::Network), client.probe(ServiceType::Network)),
        async {
            match compute {
                true => text(client.compute_services().await),
                false => Err(no_compute()),
            }
        },
        async {
            match compute {
                true => text(client.hypervisors().await),
                false => Err(no_compute()),
            }
        },
        probe(compute, client.availability_zones()),
    );
    RegionView {
        name: client.region().into(),
        catalog: catalog.into_iter().collect(),
        compute_versions: compute.then(|| client.compute_versions()),
        image,
        volume,
        network,
        services,
        hypervisors,
        zones,
    }
}

/// A probe's outcome, or `None` where the catalog has no endpoint.
async fn probe<T>(present: bool, call: impl std::future::Future<Output = Result<T>>) -> Option<Gathered<T>> {
    match present {
        true => Some(text(call.await)),
        false => None,
    }
}

async fn inventory(client: &RegionClient, view: &RegionView) -> Inventory {
    let mode = networking_mode(&view.services, view.has("network"));
    let networks = async {
        match &mode {
            Ok(Networking::NovaNetwork) => (text(client.fixed_networks().await), Ok(Vec::new())),
            Ok(Networking::Neutron) => {
                let (networks, ports) = tokio::join!(client.networks(), client.ports());
                (text(networks), text(ports))
            }
            Err(why) => (Err(why.clone()), Err(why.clone())),
        }
    };
    let (servers, flavors, images, (networks, ports), volumes, projects) = tokio::join!(
        client.servers(),
        client.flavors(),
        client.images(),
        networks,
        client.volumes(),
        client.projects(),
    );
    let servers = text(servers);
    let images = match (text(images), &servers) {
        (Ok(images), Ok(servers)) => {
            text(complete_images(client, images, servers.iter().filter_map(|s| s.image_id.as_deref())).await)
        }
        (images, _) => images,
    };
    Inventory {
        servers,
        flavors: text(flavors),
        images,
        networks,
        ports,
        volumes: text(volumes),
        projects: projects.unwrap_or_default(),
    }
}

/// Glance's listing may leave out images the servers use (private to
/// another project, depending on policy): each one missing is looked up.
pub(crate) async fn complete_images<'a>(
    client: &RegionClient,
    mut images: Vec<cutover_core::model::Image>,
    used: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<cutover_core::model::Image>> {
    let listed: BTreeSet<ImageId> = images.iter().map(|i| i.id.clone()).collect();
    let missing: BTreeSet<&str> = used.into_iter().filter(|id| !listed.contains(*id)).collect();
    for id in missing {
        if let Some(image) = client.image(id).await? {
            images.push(image);
        }
    }
    Ok(images)
}
