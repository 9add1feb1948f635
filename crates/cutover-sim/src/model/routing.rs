/*!
Router wiring shared by the Neutron API and the scenario loader: gateway and
interface ports, and the router a floating IP association goes through
(Neutron's `_get_router_for_floatingip`).
*/

use super::network::{AddressError, FixedIp, FixedIpRequest, NetworkStore, Port, Router};
use super::World;

pub const ROUTER_GATEWAY: &str = "network:router_gateway";
pub const ROUTER_INTERFACE: &str = "network:router_interface";

/// Why a floating IP association has no router to go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("Bad floatingip request: Cannot add floating IP to port on subnet {subnet_id} which has no gateway_ip.")]
    NoGatewayIp { subnet_id: String },
    // Neutron's message has the two spaces after the first sentence.
    #[error("External network {network_id} is not reachable from subnet {subnet_id}.  Therefore, cannot associate Port {port_id} with a Floating IP.")]
    Unreachable { network_id: String, subnet_id: String, port_id: String },
}

impl RouteError {
    pub fn neutron_type(&self) -> &'static str {
        match self {
            RouteError::NoGatewayIp { .. } => "BadRequest",
            RouteError::Unreachable { .. } => "ExternalGatewayForFloatingIPNotFound",
        }
    }
}

/// Why an interface cannot be added to a router on a subnet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterfaceError {
    #[error("Bad router request: Subnet for router interface must have a gateway IP.")]
    NoGatewayIp,
    #[error("Bad router request: Router already has a port on subnet {0}.")]
    AlreadyOnSubnet(String),
    #[error(transparent)]
    Address(#[from] AddressError),
}

impl NetworkStore {
    /// The router's interface ports (not its gateway port).
    pub fn router_interfaces(&self, router_id: &str) -> Vec<&Port> {
        self.ports_of_device(router_id).into_iter().filter(|p| p.device_owner == ROUTER_INTERFACE).collect()
    }

    /// The router joining the subnet of `fixed_ip` on `port_id` to the
    /// external network: one with its gateway there and an interface on
    /// that subnet.
    pub fn fip_router(&self, network_id: &str, port_id: &str, fixed_ip: &str) -> Result<String, RouteError> {
        let subnet_id = self
            .ports
            .get(port_id)
            .and_then(|p| p.fixed_ips.iter().find(|f| f.ip_address == fixed_ip))
            .map(|f| f.subnet_id.clone())
            .unwrap_or_default();
        let Some((subnet_network, gateway_ip)) =
            self.subnets.get(&subnet_id).and_then(|s| Some((s.network_id.clone(), s.gateway_ip.clone()?)))
        else {
            return Err(RouteError::NoGatewayIp { subnet_id });
        };
        let routes_there = |r: &&Router| r.gateway.as_ref().is_some_and(|g| g.network_id == network_id);
        // Usually the router holds the subnet's gateway address (an interface
        // added by subnet): one index look-up instead of a scan of every router.
        let by_gateway = self
            .ip_owner
            .get(&(subnet_network, gateway_ip))
            .and_then(|port| self.ports.get(port))
            .filter(|p| p.device_owner == ROUTER_INTERFACE)
            .and_then(|p| self.routers.get(&p.device_id))
            .filter(routes_there);
        by_gateway
            .or_else(|| {
                self.routers.values().filter(routes_there).find(|r| {
                    self.router_interfaces(&r.id).iter().any(|p| p.fixed_ips.iter().any(|f| f.subnet_id == subnet_id))
                })
            })
            .map(|r| r.id.clone())
            .ok_or_else(|| RouteError::Unreachable {
                network_id: network_id.to_string(),
                subnet_id,
                port_id: port_id.to_string(),
            })
    }
}

impl World {
    /// A new port of the router on the network with the given addresses.
    fn router_port(
        &mut self,
        router_id: &str,
        network_id: &str,
        project_id: &str,
        owner: &str,
        fixed_ips: Vec<FixedIp>,
    ) -> Result<String, AddressError> {
        let port = Port {
            id: self.new_uuid(),
            name: String::new(),
            network_id: network_id.to_string(),
            project_id: project_id.to_string(),
            mac_address: self.network.new_mac(network_id, &mut self.rng),
            fixed_ips,
            device_id: router_id.to_string(),
            device_owner: owner.to_string(),
            binding_host_id: String::new(),
            binding_vif_type: "ovs".into(),
            binding_vnic_type: "normal".into(),
            security_groups: Vec::new(),
            admin_state_up: true,
            status: "ACTIVE".into(),
            description: String::new(),
            created_at: self.now,
            updated_at: self.now,
            revision_number: 1,
        };
        let id = port.id.clone();
        self.network.insert_port(port)?;
        Ok(id)
    }

    /// Gives the router a gateway port on the external network (replacing
    /// any it had). Gateway ports belong to no project, as in Neutron.
    pub fn set_router_gateway(
        &mut self,
        router_id: &str,
        network_id: &str,
        enable_snat: bool,
        requested: Option<&[FixedIpRequest]>,
    ) -> Result<(), AddressError> {
        let fixed_ips = self.network.resolve_fixed_ips(network_id, requested, None)?;
        self.clear_router_gateway(router_id);
        let port_id = self.router_port(router_id, network_id, "", ROUTER_GATEWAY, fixed_ips)?;
        if let Some(r) = self.network.routers.get_mut(router_id) {
            let network_id = network_id.to_string();
            r.gateway = Some(super::network::RouterGateway { network_id, enable_snat, port_id });
        }
        Ok(())
    }

    pub fn clear_router_gateway(&mut self, router_id: &str) {
        let old = self.network.routers.get_mut(router_id).and_then(|r| r.gateway.take());
        if let Some(g) = old {
            self.network.remove_port(&g.port_id);
        }
    }

    /// Adds an interface on the subnet holding the subnet's gateway IP.
    pub fn add_router_subnet(&mut self, router_id: &str, subnet_id: &str) -> Result<String, InterfaceError> {
        let subnet = self.network.subnets.get(subnet_id).cloned().ok_or(InterfaceError::NoGatewayIp)?;
        let gateway = subnet.gateway_ip.clone().ok_or(InterfaceError::NoGatewayIp)?;
        let on_subnet = |p: &&Port| p.fixed_ips.iter().any(|f| f.subnet_id == subnet_id);
        if self.network.router_interfaces(router_id).iter().any(on_subnet) {
            return Err(InterfaceError::AlreadyOnSubnet(subnet_id.to_string()));
        }
        let requested = [FixedIpRequest { subnet_id: Some(subnet_id.to_string()), ip_address: Some(gateway) }];
        let fixed_ips = self.network.resolve_fixed_ips(&subnet.network_id, Some(&requested), None)?;
        let project = self.network.routers.get(router_id).map(|r| r.project_id.clone()).unwrap_or_default();
        Ok(self.router_port(router_id, &subnet.network_id, &project, ROUTER_INTERFACE, fixed_ips)?)
    }
}
