/*!
Preflight: whether a cutover can start. The cloud client gathers an
[`Observation`] of both regions (every call's failure kept as text); here it
becomes a list of [`Check`]s, each ok, warn or fail with a one-line reason.
No I/O: every rule is a function of the observation.

Layout: `observation` (what is gathered), `check` (one row of the report)
and `report` ([`evaluate`], every rule in report order); the rules are
[`access`] (authentication, catalog, admin rights, shared services,
networking mode, microversions, Nova's services), [`capacity`] (the new
region against the old one's load), [`inventory`] (each old server's
flavor, image, networks and volumes still exist), [`zones`] (the new
region offers the old servers' availability zones).
*/

pub mod access;
pub mod capacity;
mod check;
pub mod inventory;
mod observation;
mod report;
#[cfg(test)]
mod tests;
pub mod zones;

pub use access::networking_mode;
pub use capacity::AllocationRatios;
pub use check::{Check, Status};
pub use observation::{Gathered, Inventory, Networking, Observation, RegionView, Scope};
pub use report::{evaluate, failed};
