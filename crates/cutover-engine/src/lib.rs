/*!
cutover's engine: runs a plan. It observes the clouds in batches, feeds
each server's state machine (`cutover_core::machine`), journals every
decision and action (`cutover-journal`), and carries actions out through a
[`Driver`] within the concurrency limits.

Layout:
- [`driver`]: [`Driver`], what the engine needs of the clouds.
- [`hook`]: [`HandOff`], handing an emptied old host off; [`CommandHook`], the operator's command.
- [`hosts`]: the old hosts' machines through a run: verified empty, handed
  off, joined to the new region, their old service deleted ([`HostOptions`]).
- [`openstack`]: [`OpenStackDriver`], the [`Driver`] on OpenStack.
- [`open`]: the plan checked, its journal opened to resume or created.
- [`run`]: [`Engine`], the reconcile loop; [`Options`], [`Progress`]; the
  old hosts enabled for a rebuild there; rollbacks asked for
  ([`RollbackRequest`]).
- [`limits`]: [`Limits`] and the admission that keeps them.
- [`clock`]: the clock handed to each step; the adaptive poll interval.
- [`phase`]: where a server is, in an operator's words.
- [`report`]: the [`Report`] of a run (or of a journal, for `cutover status`).
- [`cleanup`]: what the migration kept on purpose, found and deleted
  ([`Cleanup`], `cutover cleanup`).
- [`Error`]: what stops a run.
*/

pub mod cleanup;
pub mod clock;
pub mod driver;

mod error;
pub mod hook;
pub mod hosts;
pub mod limits;
pub mod open;
pub mod openstack;
pub mod phase;
pub mod report;
pub mod run;

pub use cleanup::{Cleanup, Leftover};
pub use clock::{Clock, PollPolicy};
pub use driver::{Driver, DriverError, NewRegion};
pub use error::{Error, Result};
pub use hook::{CommandHook, HandOff, HookReport, HookRequest};
pub use hosts::HostOptions;
pub use limits::Limits;
pub use open::Opened;
pub use openstack::OpenStackDriver;
pub use phase::Phase;
pub use report::{Outcome, Report, ServerReport};
pub use run::{Engine, Options, Progress, RollbackRequest};
