/*!
The state machines of a cutover, pure: from the state the journal keeps and
what the engine observed, decide the next state and the actions to run.

- [`server`]: one server's move, a [`step`] at a time; `stages`, what each
  stage of a route does; `sides`, the parts servers play going out of the
  old region and back into it; `turning`, turning a move back.
- [`route`]: a move as data: [`ServerMove`], its routes, [`ServerState`].
- [`request`]: a rollback the operator asks for.
- [`host`]: one old host, from disabled to retired ([`host::step_host`]).
- [`observation`]: what a step looks at.
- [`action`]: what a step asks for.
- [`invariants`]: the safety rules every step keeps.
*/

pub mod action;
pub mod host;
pub mod invariants;
pub mod observation;
pub mod request;
pub mod route;
pub mod server;
mod sides;
mod stages;
mod turning;

#[cfg(test)]
mod tests;

pub use action::{Action, BootSource, Side};
pub use observation::{ImageView, Observation, PortView, Refused, Seen, ServerView, VolumeView};
pub use request::{request, Requested};
pub use route::{Direction, End, ImageCopy, Place, Route, ServerMove, ServerState, Stage, Strategy};
pub use server::{step, Step};
