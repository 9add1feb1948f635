/*!
Nova calls, one module per resource. Each reads the wire shape of the
microversion it asks for and returns [`cutover_core::model`] values.
*/

pub mod fixed_networks;
pub mod flavors;
pub mod hypervisors;
pub mod servers;
pub mod services;
