/*!
Decisions of phase 2 of the procedure, the new environment: which Keystone region and
endpoints to register ([`register`]), and whether the new Nova reports the
services it needs ([`verify`]). The cloud client observes, these decide.
*/

pub mod register;
pub mod verify;
