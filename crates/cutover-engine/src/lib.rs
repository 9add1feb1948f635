/*!
cutover's engine: runs a plan. It observes the clouds in batches, feeds
each server's state machine (`cutover_core::machine`), journals every
decision and action (`cutover-journal`), and carries actions out through a
[`Driver`] within the concurrency limits.

Layout:
- [`driver`]: [`Driver`], what the engine needs of the clouds.
- [`openstack`]: [`OpenStackDriver`], the [`Driver`] on OpenStack.
*/

pub mod driver;
pub mod openstack;

pub use driver::{Driver, DriverError};
pub use openstack::OpenStackDriver;
