/*!
Role `cutover` on a project while cutover boots there: Nova gives a server
to the token's project, so a rebuild is booted with a token scoped to the
source's project. A grant is held while any boot in its project runs
(Keystone revokes a project's tokens with the grant) and revoked when the
last one ends; a run killed meanwhile leaves it for the engine's sweep
([`cutover_cloud::scoped::sweep`]).
*/

use std::collections::BTreeMap;
use std::sync::Arc;

use cutover_cloud::identity::roles::Role;
use cutover_cloud::scoped::prepare_role;
use cutover_cloud::{Error as CloudError, Profile, RegionClient, RetryPolicy};
use tokio::sync::{Mutex, OnceCell};

pub(crate) struct Grants {
    profile: Profile,
    retry: RetryPolicy,
    role: OnceCell<Role>,
    held: Mutex<BTreeMap<String, Held>>,
}

/// One project's grant: how many boots use it, and their connections.
struct Held {
    users: usize,
    clients: BTreeMap<String, Arc<RegionClient>>,
}

impl Grants {
    pub(crate) fn new(profile: &Profile, retry: RetryPolicy) -> Grants {
        Grants { profile: profile.clone(), retry, role: OnceCell::new(), held: Mutex::new(BTreeMap::new()) }
    }

    /// A connection to `region` scoped to `project`, granting role
    /// `cutover` there first if no other boot holds it. Every successful
    /// call is paired with [`Grants::release`].
    pub(crate) async fn acquire(
        &self,
        admin: &RegionClient,
        project: &str,
        region: &str,
    ) -> Result<Arc<RegionClient>, CloudError> {
        let role = self.role.get_or_try_init(|| prepare_role(admin)).await?;
        let mut held = self.held.lock().await;
        let user = admin.scope().user_id;
        let users = held.get(project).map_or(0, |h| h.users);
        if users == 0 {
            admin.grant_project_role(project, &user, &role.id).await?;
        }
        let client = match held.get(project).and_then(|h| h.clients.get(region).cloned()) {
            Some(client) => client,
            None => match RegionClient::connect(&self.profile.for_project(project), region, self.retry.clone()).await {
                Ok(client) => Arc::new(client),
                Err(e) => {
                    if users == 0 {
                        held.remove(project);
                        // The sweep retries a revoke that fails here.
                        let _ = admin.revoke_project_role(project, &user, &role.id).await;
                    }
                    return Err(e);
                }
            },
        };
        let entry = held.entry(project.to_string()).or_insert_with(|| Held { users: 0, clients: BTreeMap::new() });
        entry.clients.insert(region.to_string(), client.clone());
        entry.users += 1;
        Ok(client)
    }

    /// Ends one use of `project`'s grant; the last one revokes it.
    pub(crate) async fn release(&self, admin: &RegionClient, project: &str) -> Result<(), CloudError> {
        let mut held = self.held.lock().await;
        let Some(entry) = held.get_mut(project) else { return Ok(()) };
        entry.users = entry.users.saturating_sub(1);
        if entry.users > 0 {
            return Ok(());
        }
        held.remove(project);
        let Some(role) = self.role.get() else { return Ok(()) };
        admin.revoke_project_role(project, &admin.scope().user_id, &role.id).await
    }
}
