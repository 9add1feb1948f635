/*!
Keypairs, which belong to users: listed and created for any user by an
admin from microversion 2.10 (`user_id`); below it a token reaches only
its own user's keypairs.
*/

use cutover_core::microversion::Microversion;
use cutover_core::model::Keypair;
use openstack_sdk::types::ServiceType;
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::error::Result;
use crate::region::RegionClient;

/// `user_id` on list and create (2.10), and `type` (2.2) with it. Asked at
/// exactly 2.10: from 2.35 a listing is paged, below it every keypair comes.
pub const KEYPAIRS_FOR_USERS: Microversion = Microversion::new(2, 10);

#[derive(Deserialize)]
struct Listed {
    keypair: WireKeypair,
}

#[derive(Deserialize)]
struct WireKeypair {
    name: String,
    public_key: String,
    #[serde(rename = "type", default = "ssh")]
    kind: String,
}

fn ssh() -> String {
    "ssh".to_string()
}

impl RegionClient {
    /// Whether an admin here may list and create other users' keypairs.
    pub fn keypairs_for_users(&self) -> bool {
        self.compute_versions().offers(KEYPAIRS_FOR_USERS)
    }

    /// The keypairs of `user_id` (2.10+), or with `None` of the token's own
    /// user (any version; `user_id` names whose they are).
    pub async fn keypairs(&self, user_id: Option<&str>, own_user_id: &str) -> Result<Vec<Keypair>> {
        let mut call = Call::get(ServiceType::Compute, "os-keypairs").key("keypairs");
        call = match user_id {
            Some(user) => call.query("user_id", user).microversion("compute", KEYPAIRS_FOR_USERS),
            None => call.microversion("compute", self.compute_version(&[Microversion::new(2, 2)])),
        };
        let owner = user_id.unwrap_or(own_user_id).to_string();
        let listed: Vec<Listed> = self.query(call).await?;
        Ok(listed
            .into_iter()
            .map(|l| Keypair {
                user_id: owner.clone().into(),
                name: l.keypair.name,
                public_key: l.keypair.public_key,
                kind: l.keypair.kind,
            })
            .collect())
    }

    /// Imports `keypair` for its user, with its public key and type (2.10).
    pub async fn create_keypair(&self, keypair: &Keypair) -> Result<()> {
        let body = json!({"keypair": {"name": keypair.name, "public_key": keypair.public_key,
                                      "type": keypair.kind, "user_id": keypair.user_id}});
        let call = Call::post(ServiceType::Compute, "os-keypairs", &body)?.microversion("compute", KEYPAIRS_FOR_USERS);
        self.send(call).await
    }
}

impl RegionClient {
    /// Imports a public key for the token's own user (any version; the
    /// type from 2.2).
    pub async fn import_own_keypair(&self, name: &str, public_key: &str, kind: &str) -> Result<()> {
        let version = self.compute_version(&[Microversion::new(2, 2)]);
        let mut keypair = json!({"name": name, "public_key": public_key});
        if version >= Microversion::new(2, 2) {
            keypair["type"] = json!(kind);
        }
        let call = Call::post(ServiceType::Compute, "os-keypairs", &json!({"keypair": keypair}))?
            .microversion("compute", version);
        self.send(call).await
    }

    /// Deletes a keypair of the token's own user (404 when there is none).
    pub async fn delete_own_keypair(&self, name: &str) -> Result<()> {
        let path = format!("os-keypairs/{}", crate::region::segment(name));
        self.send(Call::delete(ServiceType::Compute, path).microversion("compute", Microversion::new(2, 1))).await
    }
}
