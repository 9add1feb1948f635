/*!
cutover's pure core: what Nova owns, and the decisions cutover takes about it.
Nothing here performs I/O, reads a clock or draws randomness; the cloud
client observes, the core decides, the engine acts.

Layout:
- [`backoff`]: [`Backoff`], the one definition of how long to wait before trying again.
- [`id`]: the ids and names of servers, ports, hosts, regions, projects, ... one type each.
- [`model`]: Nova's resources as plain values (flavors, ...).
- [`machine`]: the per-server state machine (one `step` function) and its safety rules.
- [`microversion`]: API microversions and the ranges services offer.
- [`newenv`]: registering the new region in Keystone and verifying its Nova.
- [`plan`]: the plan file's schema and the rebuild record of each server.
- [`preflight`]: the checks before a cutover, from an observation of both regions.
- [`readiness`]: whether the new region has what each move needs, before it starts.
- [`retire`]: phase 7, what blocks retiring the old Nova and what it deletes.
- [`novaconf`]: the new environment's `nova.conf` rendered from the old one.
- [`sync`]: phase 3, what to copy into the new region and the report of it.
- [`quote`]: input quoted in an error message, on one line and bounded.
- [`secret`]: [`Secret`], a password or token that prints and serializes as `***`.
*/

pub mod backoff;
pub mod id;
pub mod machine;
pub mod microversion;
pub mod model;
pub mod newenv;
pub mod novaconf;
pub mod plan;
pub mod preflight;
pub mod quote;
pub mod readiness;
pub mod retire;
pub mod room;
pub mod secret;
pub mod sync;

pub use backoff::Backoff;
pub use secret::Secret;
