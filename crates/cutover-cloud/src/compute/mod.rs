/*!
Nova calls, one module per resource. Each reads the wire shape of the
microversion it asks for and returns [`cutover_core::model`] values.
*/

pub mod aggregates;
pub mod boot;
pub mod fixed_networks;
pub mod flavors;
pub mod floating_ips;
pub mod hypervisors;
pub mod keypairs;
pub mod quotas;
pub mod server_actions;
pub mod server_groups;
pub mod server_records;
pub mod server_states;
pub mod servers;
pub mod service_status;
pub mod services;
pub mod volume_attachments;
pub mod zones;
