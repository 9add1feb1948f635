/*!
`addFloatingIp` / `removeFloatingIp` (below 2.44). nova-network regions
associate their own floating IPs (which must be allocated to the caller's
project); Neutron regions proxy to Neutron, as Nova's `neutron.API` does,
moving the floating IP onto the server's port holding the fixed address.
*/

use axum::response::Response;
use serde_json::Value;

use super::common::accepted;
use super::common::{invalid_input, only_keys, opt_str};
use crate::api::nova::lookup::{region, region_mut, visible_server};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::Networking;
use crate::model::World;
use crate::sim::Sim;

fn not_found() -> ApiError {
    ApiError::not_found("floating IP not found")
}

fn address(field: &str, args: &Value) -> ApiResult<String> {
    only_keys(field, args, &["address", "fixed_address"])?;
    match opt_str(args, "address")? {
        Some(a) if a.parse::<std::net::IpAddr>().is_ok() => Ok(a.to_string()),
        Some(a) => Err(invalid_input("address", &args["address"], format!("'{a}' is not a 'ipv4'"))),
        None => Err(invalid_input(field, args, "'address' is a required property")),
    }
}

pub fn add(sim: &Sim, nova: &Nova, id: &str, args: &Value) -> ApiResult<Response> {
    let address = address("addFloatingIp", args)?;
    let requested_fixed = opt_str(args, "fixed_address")?.map(str::to_string);
    let mut w = sim.world();
    let server = visible_server(&w, nova, id)?;
    if server.nics.is_empty() {
        return Err(ApiError::bad_request("Instance network is not ready yet"));
    }
    let fixed_ips: Vec<&String> = server.nics.iter().flat_map(|n| &n.fixed_ips).collect();
    if fixed_ips.is_empty() {
        return Err(ApiError::bad_request("No fixed IPs associated to instance"));
    }
    let fixed = match requested_fixed {
        Some(f) if fixed_ips.contains(&&f) => f,
        Some(_) => return Err(ApiError::bad_request("Specified fixed address not assigned to instance")),
        None => {
            fixed_ips.iter().find(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok()).map(|s| s.to_string()).ok_or_else(
                || {
                    ApiError::bad_request(format!(
                        "Unable to associate floating IP {address} to any fixed IPs for instance {id}. \
                     Instance has no fixed IPv4 addresses to associate."
                    ))
                },
            )?
        }
    };
    match region(&w, nova)?.networking {
        Networking::NovaNetwork => nova_network_add(&mut w, nova, id, &address, &fixed)?,
        Networking::Neutron => neutron_add(&mut w, nova, id, &address, &fixed)?,
    }
    Ok(accepted())
}

pub fn remove(sim: &Sim, nova: &Nova, id: &str, args: &Value) -> ApiResult<Response> {
    let address = address("removeFloatingIp", args)?;
    let mut w = sim.world();
    let not_associated = || ApiError::conflict(format!("Floating IP {address} is not associated with instance {id}."));
    match region(&w, nova)?.networking {
        Networking::NovaNetwork => {
            let fip = region(&w, nova)?.floating_ips.values().find(|f| f.address == address).ok_or_else(not_found)?;
            if fip.instance_id.as_deref() != Some(id) || fip.fixed_ip.is_none() {
                return Err(not_associated());
            }
            if !nova.caller.is_admin() && fip.project_id != nova.caller.project_id {
                return Err(ApiError::forbidden("Forbidden"));
            }
            let fip_id = fip.id;
            nova_network_disassociate(region_mut(&mut w, nova)?, fip_id);
        }
        Networking::Neutron => {
            let fip = neutron_fip(&w, nova, &address)?;
            let device = fip.port_id.as_deref().and_then(|p| w.network.ports.get(p)).map(|p| p.device_id.as_str());
            if device != Some(id) {
                return Err(not_associated());
            }
            let (fip_id, now) = (fip.id.clone(), w.now);
            if let Some(fip) = w.network.floating_ips.get_mut(&fip_id) {
                fip.port_id = None;
                fip.fixed_ip_address = None;
                fip.router_id = None;
                fip.status = "DOWN".into();
                fip.revision_number += 1;
                fip.updated_at = now;
            }
        }
    }
    Ok(accepted())
}

/// nova-network: the floating IP must be allocated to the caller's project
/// (`_floating_ip_owned_by_project`); one associated elsewhere moves.
fn nova_network_add(w: &mut World, nova: &Nova, id: &str, address: &str, fixed: &str) -> ApiResult<()> {
    let region = region_mut(w, nova)?;
    let fip = region.floating_ips.values().find(|f| f.address == address).ok_or_else(not_found)?;
    if !nova.caller.is_admin() && fip.project_id != nova.caller.project_id {
        return Err(ApiError::forbidden("Forbidden"));
    }
    if fip.fixed_ip.as_deref() == Some(fixed) {
        return Ok(());
    }
    let fip_id = fip.id;
    nova_network_disassociate(region, fip_id);
    if let Some(fip) = region.floating_ips.get_mut(&fip_id) {
        fip.instance_id = Some(id.to_string());
        fip.fixed_ip = Some(fixed.to_string());
    }
    if let Some(nic) =
        region.servers.get_mut(id).and_then(|s| s.nics.iter_mut().find(|n| n.fixed_ips.iter().any(|f| f == fixed)))
    {
        nic.floating_ips.push(address.to_string());
    }
    Ok(())
}

fn nova_network_disassociate(region: &mut crate::model::ComputeRegion, fip_id: u64) {
    let Some(fip) = region.floating_ips.get_mut(&fip_id) else { return };
    let (old, address) = (fip.instance_id.take(), fip.address.clone());
    fip.fixed_ip = None;
    if let Some(server) = old.and_then(|o| region.servers.get_mut(&o)) {
        for nic in &mut server.nics {
            nic.floating_ips.retain(|a| a != &address);
        }
    }
}

/// The Neutron floating IP with `address` the caller may see.
fn neutron_fip<'a>(w: &'a World, nova: &Nova, address: &str) -> ApiResult<&'a crate::model::network::FloatingIp> {
    w.network
        .floating_ips
        .values()
        .find(|f| f.floating_ip_address == address && nova.caller.can_see_project(&f.project_id))
        .ok_or_else(not_found)
}

fn neutron_add(w: &mut World, nova: &Nova, id: &str, address: &str, fixed: &str) -> ApiResult<()> {
    let fip_id = neutron_fip(w, nova, address)?.id.clone();
    let port_id = w
        .network
        .ports_of_device(id)
        .into_iter()
        .find(|p| p.fixed_ips.iter().any(|ip| ip.ip_address == fixed))
        .map(|p| p.id.clone())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Unable to associate floating IP {address} to fixed IP {fixed} for instance {id}. \
                 Error: Fixed IP not found for address {fixed}."
            ))
        })?;
    // Nova passes Neutron's refusal (no router to the external network)
    // on as a 400 with its own wording.
    let network_id = w.network.floating_ips.get(&fip_id).map(|f| f.floating_network_id.clone()).unwrap_or_default();
    let router_id = w.network.fip_router(&network_id, &port_id, fixed).map_err(|e| {
        ApiError::bad_request(format!(
            "Unable to associate floating IP {address} to fixed IP {fixed} for instance {id}. Error: {e}"
        ))
    })?;
    let now = w.now;
    if let Some(fip) = w.network.floating_ips.get_mut(&fip_id) {
        fip.port_id = Some(port_id);
        fip.fixed_ip_address = Some(fixed.to_string());
        fip.router_id = Some(router_id);
        fip.status = "ACTIVE".into();
        fip.revision_number += 1;
        fip.updated_at = now;
    }
    Ok(())
}
