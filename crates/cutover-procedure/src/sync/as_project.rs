/*!
Connections scoped to the projects whose resources sync creates (server
groups, nova-network allocations), through
[`cutover_cloud::scoped::ProjectAccess`]: prepared on first use, one
connection per project, every grant revoked by [`AsProjects::release`].
*/

use std::collections::BTreeMap;

use cutover_cloud::scoped::ProjectAccess;
use cutover_cloud::{Error as CloudError, RegionClient, RetryPolicy};
use cutover_core::sync::{Entry, Kind, Outcome};

use super::kind::SyncCtx;

pub struct AsProjects<'a> {
    cx: &'a SyncCtx,
    access: Option<ProjectAccess<'a>>,
    clients: BTreeMap<String, RegionClient>,
}

impl<'a> AsProjects<'a> {
    pub fn new(cx: &'a SyncCtx) -> AsProjects<'a> {
        AsProjects { cx, access: None, clients: BTreeMap::new() }
    }

    /// A new-region connection whose token is scoped to `project_id`.
    pub async fn client(&mut self, project_id: &str) -> Result<&RegionClient, CloudError> {
        if !self.clients.contains_key(project_id) {
            if self.access.is_none() {
                self.access =
                    Some(ProjectAccess::prepare(&self.cx.new, &self.cx.profile, RetryPolicy::default()).await?);
            }
            let access = self.access.as_ref().expect("prepared above");
            let client = access.connect(project_id, self.cx.new.region()).await?;
            self.clients.insert(project_id.to_string(), client);
        }
        Ok(&self.clients[project_id])
    }

    /// Revokes the grants; a failure is one failed entry of `kind` (the
    /// sweep at the end of the run tries again).
    pub async fn release(self, kind: Kind) -> Option<Entry> {
        drop(self.clients);
        let access = self.access?;
        access
            .release()
            .await
            .err()
            .map(|e| Entry::new(kind, "(role grants)", Outcome::Failed, format!("revoking role cutover: {e}")))
    }
}
