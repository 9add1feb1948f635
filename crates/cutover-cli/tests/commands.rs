/*!
The cloud-facing commands end to end: the real binary against the
simulator. One module per command, under `commands/`.
*/

mod util;

mod commands {
    mod bad_input;
    mod cleanup;
    mod credentials;
    mod env_register;
    mod env_verify;
    mod handoff;
    mod hooks;
    mod never_down;
    mod nova_network;
    mod plan;
    mod preflight;
    mod redeploy_ports;
    mod retire;
    mod rollback;
    mod run;
    mod run_crash;
    mod run_endstate;
    mod run_faults;
    mod sync;
    mod sync_ownership;
    mod upgrade;
    mod zones;
}
