/*!
Nova's APIs besides servers: flavors, keypairs, quotas and limits, server
groups, aggregates and zones, services, hypervisors and the nova-network
proxies. One module per resource; this one merges their routers, and
[`common`] holds the small helpers they share.
*/

mod aggregates;
mod common;
mod flavor_access;
mod flavors;
mod hypervisors;
mod keypairs;
mod neutron_proxy;
mod nova_network;
mod quotas;
mod server_groups;
mod services;
mod zones;

use axum::Router;

use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
        .merge(flavors::routes())
        .merge(flavor_access::routes())
        .merge(keypairs::routes())
        .merge(quotas::routes())
        .merge(server_groups::routes())
        .merge(aggregates::routes())
        .merge(services::routes())
        .merge(zones::routes())
        .merge(hypervisors::routes())
        .merge(nova_network::routes())
}
