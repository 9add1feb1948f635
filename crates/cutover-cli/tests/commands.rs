/*!
The cloud-facing commands end to end: the real binary against the
simulator. One module per command.
*/

mod util;

mod commands {
    mod env_register;
    mod env_verify;
}
