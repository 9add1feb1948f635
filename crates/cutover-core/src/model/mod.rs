/*!
What Nova keeps in its own database and cutover copies or moves, as plain
values: parsed from the wire by the cloud client, compared and decided on
here.
*/

pub mod catalog;
pub mod compute_service;
pub mod flavor;

pub use catalog::{Catalog, CatalogService, Endpoint, Interface, Region};
pub use compute_service::{ComputeService, Hypervisor};
pub use flavor::Flavor;
