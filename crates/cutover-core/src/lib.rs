/*!
cutover's pure core: what Nova owns, and the decisions cutover takes about it.
Nothing here performs I/O, reads a clock or draws randomness; the cloud
client observes, the core decides, the engine acts.

Layout:
- [`secret`]: [`Secret`], a password or token that prints and serializes as `***`.
*/

pub mod secret;

pub use secret::Secret;
