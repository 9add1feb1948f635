/*!
What Nova keeps in its own database and cutover copies or moves, as plain
values: parsed from the wire by the cloud client, compared and decided on
here. The shared services' resources that servers depend on are here too.
*/

pub mod flavor;
pub mod server;
pub mod service;
pub mod shared;

pub use flavor::Flavor;
pub use server::{Address, FlavorRef, FlavorSizes, ServerSummary};
pub use service::{ComputeService, Hypervisor, HypervisorResources};
pub use shared::{Image, Network, Port, Project, Volume};
