//! Conformance: the real, pinned `openstack` client and openstacksdk drive
//! the simulator, and the tests assert on what they print.

mod util;

mod conformance {
    mod compute_admin;
    mod identity;
    mod image_volume;
    mod network;
    mod nova_network;
    mod server_actions;
    mod servers;
}
