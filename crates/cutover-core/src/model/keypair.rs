/*!
A keypair: owned by one user, found by name among that user's keypairs.
*/

use serde::{Deserialize, Serialize};

use crate::id::UserId;

/// A Nova keypair. Its identity is (user, name); Nova has no other id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keypair {
    pub user_id: UserId,
    pub name: String,
    pub public_key: String,
    /// `ssh` or `x509` (from 2.2; older Novas know only ssh).
    pub kind: String,
}
