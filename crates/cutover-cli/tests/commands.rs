/*!
The cloud-facing commands end to end: the real binary against the
simulator. One module per command.
*/

mod sync;
mod util;

mod commands {
    mod sync_ownership;
    mod env_register;
    mod env_verify;
}
