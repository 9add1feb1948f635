/*!
What Nova keeps in its own database and cutover copies or moves, as plain
values: parsed from the wire by the cloud client, compared and decided on
here.
*/

pub mod aggregate;
pub mod catalog;
pub mod compute_service;
pub mod flavor;
pub mod floating_ip;
pub mod keypair;
pub mod project;
pub mod quota;
pub mod server_group;
pub mod user;

pub use aggregate::Aggregate;
pub use catalog::{Catalog, CatalogService, Endpoint, Interface, Region};
pub use compute_service::{ComputeService, Hypervisor};
pub use flavor::Flavor;
pub use floating_ip::PoolAddress;
pub use keypair::Keypair;
pub use project::Project;
pub use quota::QuotaSet;
pub use server_group::ServerGroup;
pub use user::User;
