//! HTTP-level tests of the simulator: real requests over loopback, asserting
//! the bodies, headers and status codes OpenStack's API references give.

mod util;

mod api {
    mod cinder;
    mod glance;
    mod keystone;
    mod sim_ext;
    mod neutron;
    mod nova_admin;
}
