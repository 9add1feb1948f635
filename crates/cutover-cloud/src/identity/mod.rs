/*!
Keystone calls (admin API). Keystone is shared by every region, so these
work through a connection to any region of the cloud.

- [`catalog`]: regions, services and endpoints.
- [`projects`]: projects and the users with roles on them.
- [`roles`]: users, roles, implication rules and grants.
*/

pub mod catalog;
pub mod projects;
pub mod roles;
