/*!
The cloud-facing commands end to end: the real binary against the
simulator. One module per command, under `commands/`.
*/

mod util;

#[path = "commands/preflight.rs"]
mod preflight;
