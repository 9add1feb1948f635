/*!
A Keystone user: keypairs belong to one, and so does every token.
*/

use serde::{Deserialize, Serialize};

use crate::id::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub domain_id: String,
}
