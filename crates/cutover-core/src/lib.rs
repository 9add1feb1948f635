/*!
cutover's pure core: what Nova owns, and the decisions cutover takes about it.
Nothing here performs I/O, reads a clock or draws randomness; the cloud
client observes, the core decides, the engine acts.

Layout:
- [`model`]: Nova's resources as plain values (flavors, ...).
- [`microversion`]: API microversions and the ranges services offer.
- [`preflight`]: the checks before a cutover, from an observation of both regions.
- [`novaconf`]: the new environment's `nova.conf` rendered from the old one.
- [`secret`]: [`Secret`], a password or token that prints and serializes as `***`.
*/

pub mod microversion;
pub mod model;
pub mod novaconf;
pub mod preflight;
pub mod secret;

pub use secret::Secret;
