/*!
What Nova keeps in its own database and cutover copies or moves, as plain
values: parsed from the wire by the cloud client, compared and decided on
here. The shared services' resources that servers depend on are here too.
*/

pub mod aggregate;
pub mod catalog;
pub mod flavor;
pub mod floating_ip;
pub mod keypair;
pub mod project;
pub mod quota;
pub mod server;
pub mod server_group;
pub mod service;
pub mod shared;
pub mod status;
pub mod user;

pub use aggregate::{Aggregate, AvailabilityZone};
pub use catalog::{Catalog, CatalogService, Endpoint, Interface, Region};
pub use flavor::Flavor;
pub use floating_ip::PoolAddress;
pub use keypair::Keypair;
pub use project::Project;
pub use quota::QuotaSet;
pub use server::{Address, FlavorRef, FlavorSizes, ServerSummary};
pub use server_group::ServerGroup;
pub use service::{ComputeService, Hypervisor, HypervisorResources};
pub use shared::{FloatingIp, Image, Network, Port, Volume, VolumeAttachment};
pub use status::{ImageStatus, ServerStatus, ServiceState, ServiceStatus, UnknownStatus, VolumeStatus};
pub use user::User;
