//! HTTP-level tests of the simulator: real requests over loopback, asserting
//! the bodies, headers and status codes OpenStack's API references give.

mod util;

mod api {
    mod cinder;
    mod glance;
    mod keystone;
    mod keystone_implied;
    mod neutron;
    mod nova_actions;
    mod nova_admin;
    mod nova_instance_actions;
    mod nova_network_fixed_ips;
    mod nova_ownership;
    mod nova_server_resources;
    mod nova_servers;
    mod sim_ext;
}
