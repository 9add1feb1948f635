/*!
cutover's pure core: what Nova owns, and the decisions cutover takes about it.
Nothing here performs I/O, reads a clock or draws randomness; the cloud
client observes, the core decides, the engine acts.

Layout:
- [`novaconf`]: the new environment's `nova.conf` rendered from the old one.
*/

pub mod novaconf;
