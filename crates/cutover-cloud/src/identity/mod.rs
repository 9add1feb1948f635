/*!
Keystone calls (admin API). Keystone is shared by every region, so these
work through a connection to any region of the cloud.
*/

pub mod catalog;
