/*!
The `networks` of a boot request, checked as Nova's API checks them against
Neutron (`validate_networks`) or nova-network: requested networks and ports,
the project's only network when none is named, `auto` and `none` (2.37+).
*/

use serde_json::Value;

use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{ComputeRegion, FixedNetwork, Networking};
use crate::model::World;

/// One NIC the server gets.
#[derive(Debug, Clone)]
pub struct NicRequest {
    pub network_id: String,
    pub network_name: String,
    /// A port the user created, taken over (and kept on delete).
    pub port_id: Option<String>,
    pub fixed_ip: Option<String>,
    pub tag: Option<String>,
}

/// The `networks` value as given.
pub enum NetworksArg {
    /// Omitted (below 2.37): the project's only network, if any.
    Default,
    Auto,
    None,
    List(Vec<NicRequest>),
}

fn invalid(v: &Value, reason: &str) -> ApiError {
    ApiError::bad_request(format!("Invalid input for field/attribute networks. Value: {v}. {reason}"))
}

impl NetworksArg {
    pub fn parse(nova: &Nova, v: Option<&Value>) -> ApiResult<NetworksArg> {
        let Some(v) = v else {
            if nova.at_least(37) {
                return Err(ApiError::bad_request(
                    "Invalid input for field/attribute server. 'networks' is a required property",
                ));
            }
            return Ok(NetworksArg::Default);
        };
        match v {
            Value::String(s) if nova.at_least(37) && s == "auto" => Ok(NetworksArg::Auto),
            Value::String(s) if nova.at_least(37) && s == "none" => Ok(NetworksArg::None),
            Value::Array(items) => items.iter().map(|i| nic(nova, i)).collect::<ApiResult<_>>().map(NetworksArg::List),
            _ => Err(invalid(v, "is not valid under any of the given schemas")),
        }
    }
}

fn nic(nova: &Nova, item: &Value) -> ApiResult<NicRequest> {
    let o = item.as_object().ok_or_else(|| invalid(item, "is not of type 'object'"))?;
    let allowed = ["uuid", "port", "fixed_ip", "tag"];
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str()) || (k.as_str() == "tag" && !nova.at_least(32))) {
        return Err(invalid(item, &format!("Additional properties are not allowed ('{k}' was unexpected)")));
    }
    let get = |k: &str| o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let (network_id, port_id) = (get("uuid"), get("port"));
    if network_id.is_none() && port_id.is_none() {
        return Err(ApiError::bad_request("Bad networks format: network uuid is not in proper format"));
    }
    if let Some(ip) = get("fixed_ip") {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(ApiError::bad_request(format!("Invalid fixed IP address ({ip})")));
        }
    }
    Ok(NicRequest {
        network_id: network_id.unwrap_or_default(),
        network_name: String::new(),
        port_id,
        fixed_ip: get("fixed_ip"),
        tag: get("tag"),
    })
}

/// Checks the request against the region's networking and names each NIC's
/// network.
pub fn resolve(
    w: &World,
    nova: &Nova,
    project: &str,
    networking: Networking,
    arg: NetworksArg,
) -> ApiResult<Vec<NicRequest>> {
    match networking {
        Networking::Neutron => neutron(w, nova, project, arg),
        Networking::NovaNetwork => nova_network(w, nova, project, arg),
    }
}

fn ambiguous() -> ApiError {
    ApiError::conflict("Multiple possible networks found, use a Network ID to be more specific.")
}

fn neutron(w: &World, nova: &Nova, project: &str, arg: NetworksArg) -> ApiResult<Vec<NicRequest>> {
    let admin = nova.caller.is_admin();
    let net = &w.network;
    let requests = match arg {
        NetworksArg::None => return Ok(Vec::new()),
        NetworksArg::Default | NetworksArg::Auto => {
            // Nova's `_get_available_networks`: the project's own networks
            // and shared ones, never external ones.
            let available: Vec<_> =
                net.networks.values().filter(|n| !n.external && (n.project_id == project || n.shared)).collect();
            match (available.as_slice(), &arg) {
                ([], NetworksArg::Auto) => {
                    return Err(ApiError::bad_request(format!(
                        "Unable to automatically allocate a network for project {project}"
                    )))
                }
                ([], _) => return Ok(Vec::new()),
                ([only], _) => vec![NicRequest {
                    network_id: only.id.clone(),
                    network_name: only.name.clone(),
                    port_id: None,
                    fixed_ip: None,
                    tag: None,
                }],
                _ => return Err(ambiguous()),
            }
        }
        NetworksArg::List(list) => list,
    };
    let mut out = Vec::with_capacity(requests.len());
    for mut r in requests {
        if let Some(port_id) = &r.port_id {
            let port = net
                .ports
                .get(port_id)
                .filter(|p| admin || p.project_id == project)
                .ok_or_else(|| ApiError::bad_request(format!("Port id {port_id} could not be found.")))?;
            if !port.device_id.is_empty() {
                return Err(ApiError::conflict(format!("Port {port_id} is still in use.")));
            }
            r.network_id = port.network_id.clone();
            r.fixed_ip = None;
        }
        let network = net
            .networks
            .get(&r.network_id)
            .filter(|n| admin || n.project_id == project || n.shared || n.external)
            .ok_or_else(|| ApiError::bad_request(format!("Network {} could not be found.", r.network_id)))?;
        if r.port_id.is_none() {
            if network.external && !network.shared && !admin {
                return Err(ApiError::forbidden(format!(
                    "It is not allowed to create an interface on external network {}",
                    network.id
                )));
            }
            if !net.subnets.values().any(|s| s.network_id == network.id) {
                return Err(ApiError::bad_request(format!(
                    "Network {} requires a subnet in order to boot instances on.",
                    network.id
                )));
            }
        }
        if let Some(ip) = &r.fixed_ip {
            if let Some(owner) = net.ip_owner.get(&(network.id.clone(), ip.clone())) {
                let device = net.ports.get(owner).map(|p| p.device_id.clone()).unwrap_or_default();
                return Err(ApiError::bad_request(format!(
                    "Fixed IP address {ip} is already in use on instance {device}."
                )));
            }
            if !net.subnets.values().any(|s| s.network_id == network.id && s.contains(ip)) {
                return Err(ApiError::bad_request(format!(
                    "IP address {ip} is not a valid IP for the specified subnet."
                )));
            }
        }
        r.network_name = network.name.clone();
        out.push(r);
    }
    Ok(out)
}

fn nova_network(w: &World, nova: &Nova, project: &str, arg: NetworksArg) -> ApiResult<Vec<NicRequest>> {
    let region = crate::api::nova::lookup::region(w, nova)?;
    let usable = |n: &&crate::model::compute::FixedNetwork| {
        nova.caller.is_admin() || n.project_id.as_deref().is_none_or(|p| p == project)
    };
    let as_request = |n: &crate::model::compute::FixedNetwork| NicRequest {
        network_id: n.id.clone(),
        network_name: n.label.clone(),
        port_id: None,
        fixed_ip: None,
        tag: None,
    };
    match arg {
        NetworksArg::None => Ok(Vec::new()),
        // nova-network gives a server an address on each of the project's
        // networks, or on the unassigned ones when it has none.
        NetworksArg::Default | NetworksArg::Auto => {
            let own: Vec<_> =
                region.fixed_networks.values().filter(|n| n.project_id.as_deref() == Some(project)).collect();
            let nets: Vec<_> = if own.is_empty() {
                region.fixed_networks.values().filter(|n| n.project_id.is_none()).collect()
            } else {
                own
            };
            Ok(nets.into_iter().map(as_request).collect())
        }
        NetworksArg::List(list) => {
            list.into_iter()
                .map(|r| {
                    if r.port_id.is_some() {
                        return Err(ApiError::bad_request("Unknown argument: port"));
                    }
                    let n = region.fixed_networks.get(&r.network_id).filter(usable).ok_or_else(|| {
                        ApiError::bad_request(format!("Network {} could not be found.", r.network_id))
                    })?;
                    if let Some(ip) = &r.fixed_ip {
                        validate_fixed_ip(region, n, ip)?;
                    }
                    Ok(NicRequest { fixed_ip: r.fixed_ip.clone(), tag: r.tag.clone(), ..as_request(n) })
                })
                .collect()
        }
    }
}

/// nova-network's `validate_networks` for an address asked for at boot:
/// it must be one of the region's fixed IPs (400), of the network named
/// (`FixedIpNotFoundForNetwork`, which Nova's API does not map: 500), and
/// associated with no server, a deleted one included until nova-network
/// disassociates it (400).
fn validate_fixed_ip(region: &ComputeRegion, network: &FixedNetwork, ip: &str) -> ApiResult<()> {
    let within = |n: &FixedNetwork| {
        use crate::model::network::{ipv4_num, parse_cidr};
        match (parse_cidr(&n.cidr), ipv4_num(ip)) {
            (Some((first, last, _)), Some(addr)) => (first..=last).contains(&addr),
            _ => false,
        }
    };
    if !region.fixed_networks.values().any(within) {
        return Err(ApiError::bad_request(format!("Fixed IP not found for address {ip}.")));
    }
    if !within(network) {
        return Err(ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API \
             log if possible.\n<class 'nova.exception.FixedIpNotFoundForNetwork'>",
        ));
    }
    match region.fixed_ips_in_use.get(ip) {
        Some(holder) => Err(ApiError::bad_request(fixed_ip_in_use(ip, holder))),
        None => Ok(()),
    }
}

/// Nova's `FixedIpAlreadyInUse`, naming the server that holds the address.
pub fn fixed_ip_in_use(ip: &str, holder: &str) -> String {
    format!("Fixed IP address {ip} is already in use on instance {holder}.")
}

/// Neutron security group ids for the names (or ids) given at boot. A
/// project's `default` group may not exist yet: Neutron creates it on the
/// project's first port, so it is never an error.
pub fn security_group_ids(w: &World, project: &str, names: &[String]) -> ApiResult<Vec<String>> {
    let mut ids = Vec::new();
    for name in names {
        let found =
            w.network.security_groups.values().find(|g| g.project_id == project && (&g.name == name || &g.id == name));
        match found {
            Some(g) => ids.push(g.id.clone()),
            None if name == "default" => {}
            None => {
                return Err(ApiError::bad_request(format!("Security group {name} not found for project {project}.")))
            }
        }
    }
    Ok(ids)
}
