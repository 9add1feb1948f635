/*!
`cutover-sim`: an OpenStack cloud in one process, faithful enough for the
real `openstack` client and fast enough never to be a test's bottleneck.

Layout:
- [`model`]: the world's records (Keystone, Nova per region, Glance,
  Neutron, Cinder), behind one lock; no HTTP.
- [`api`]: one router per service with its URLs, bodies and error format.
- [`auth`]: tokens to callers; [`error`]: errors in each service's format.
- [`clock`], [`timeline`]: scaled durations and delayed transitions.
- [`faults`]: injected errors, rate limits, latency, outages.
- [`scenario`]: scenario files, the generator, and the loader.
- [`server`]: binding and serving; [`sim`]: the shared handle.

The simulator shares no types with cutover's client on purpose: if both
sides used one struct, a misspelled field would agree with itself.
*/

pub mod api;
pub mod auth;
pub mod clock;
pub mod error;
pub mod faults;
pub mod model;
pub mod scenario;
pub mod server;
pub mod service;
pub mod sim;
pub mod timeline;

pub use scenario::{generate, GenerateOptions, Scenario};
pub use server::{clouds_yaml, clouds_yaml_entry, serve, RunningSim, ServeError};
pub use sim::Sim;
