//! The engine against an in-memory model of both clouds (a test double,
//! never shipped): whole runs with every strategy, the concurrency limits,
//! injected faults, crashes at any journal write and their resume, and the
//! refusals that change nothing; rollbacks asked for after a run, in the
//! middle of one, and killed halfway.

mod model;
mod scenario;

mod deadline;
mod faults;
mod handoff;
mod limits;
mod moves;
mod resume;
mod rollback;
