/*!
cutover's OpenStack client: the only code that speaks HTTP to a cloud.
Authentication, the catalog, version discovery and pagination come from
`openstack_sdk`; this crate adds one connection per region, the retry rules,
typed errors that name the failed call, and the calls cutover makes.

Layout:
- [`config`]: which cloud and credentials (clouds.yaml, secure.yaml, `OS_*`);
  `config_files` reads those files, strictly and without quoting values.
- [`region`]: [`RegionClient`], one authenticated region; `query`/`list`/`send`.
- [`call`]: [`Call`], our own typed request with an explicit microversion,
  and [`microversion`], the header that asks for one.
- [`compute`]: Nova calls, one module per resource.
- [`scoped`]: acting in another project through a grant of role `cutover`.
- [`identity`]: Keystone's admin API: catalog, projects, users, roles, grants.
- [`image`], [`network`], [`volume`]: the shared services' calls.
- [`meter`]: counting the requests a piece of work sends.
- [`preflight`]: gathering what `cutover preflight` checks.
- [`plan`]: gathering what `cutover plan` decides on (both regions' inventory).
- `transport`: the retry rules around openstack_sdk's connection.
- `status`: each answer's `status` parsed into its enum, once.
- [`error`]: [`Error`] and [`CallError`].
*/

pub mod call;
pub mod compute;
pub mod config;
mod config_files;
pub mod error;
pub mod identity;
pub mod image;
pub mod meter;
pub mod network;
pub mod plan;
pub mod preflight;
pub mod region;
pub mod scoped;
mod status;
mod transport;
pub mod volume;

pub use call::{microversion, Call};
pub use config::Profile;
pub use error::{Built, CallError, ConfigError, Error, Result};
pub use region::{CatalogEntry, RegionClient, Scope};
pub use transport::RetryPolicy;
