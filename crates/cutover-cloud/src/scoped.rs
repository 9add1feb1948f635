/*!
Acting as a member of another project. Nova gives a server group, a
nova-network floating IP allocation (and a server) to the project of the
request's token, and refuses an owner in the body: an admin can create them
for project P only with a token scoped to P. So cutover grants its own user
a role on P, authenticates scoped to P, acts, and revokes the grant.

The role is cutover's own, [`ROLE`] (`cutover`), created on first use and
made to imply `member` (Keystone puts implied roles in the token; Nova's
defaults want `member`). Every assignment of it is therefore one cutover
made: revoking it never touches a role the operator gave, even when the
admin was already a member of P. A run killed between grant and revoke
leaves such an assignment behind; [`sweep`] removes every one of them and
sync runs it at its end.
*/

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::config::Profile;
use crate::error::{Error, Result};
use crate::identity::roles::Role;
use crate::region::RegionClient;
use crate::transport::RetryPolicy;

/// The role whose every assignment is cutover's.
pub const ROLE: &str = "cutover";

/// What `cutover` implies: `member` (Keystone since Rocky), or the
/// `_member_` of older deployments.
const MEMBER_ROLES: [&str; 2] = ["member", "_member_"];

/// Grants made through one [`ProjectAccess`], revoked by [`ProjectAccess::release`].
pub struct ProjectAccess<'a> {
    admin: &'a RegionClient,
    profile: Profile,
    retry: RetryPolicy,
    user_id: String,
    role: Role,
    granted: Mutex<BTreeSet<String>>,
}

impl<'a> ProjectAccess<'a> {
    /// Makes sure role `cutover` exists and implies `member`; `admin` is a
    /// connection with an admin token (Keystone is shared by the regions).
    pub async fn prepare(admin: &'a RegionClient, profile: &Profile, retry: RetryPolicy) -> Result<ProjectAccess<'a>> {
        let role = prepare_role(admin).await?;
        Ok(ProjectAccess {
            admin,
            profile: profile.clone(),
            retry,
            user_id: admin.scope().user_id,
            role,
            granted: Mutex::new(BTreeSet::new()),
        })
    }

    /// A connection to `region` whose token is scoped to `project_id`, after
    /// granting role `cutover` there (kept until [`ProjectAccess::release`]).
    pub async fn connect(&self, project_id: &str, region: &str) -> Result<RegionClient> {
        // Recorded before the call: a grant that went through although the
        // answer was lost is revoked too (revoking a missing one is fine).
        self.granted.lock().unwrap_or_else(|e| e.into_inner()).insert(project_id.to_string());
        self.admin.grant_project_role(project_id, &self.user_id, &self.role.id).await?;
        RegionClient::connect(&self.profile.for_project(project_id), region, self.retry.clone()).await
    }

    /// Revokes every grant made here; the first error, after trying all.
    pub async fn release(&self) -> Result<()> {
        let projects = std::mem::take(&mut *self.granted.lock().unwrap_or_else(|e| e.into_inner()));
        let mut first_error = None;
        for project in projects {
            if let Err(e) = self.admin.revoke_project_role(&project, &self.user_id, &self.role.id).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Makes sure role `cutover` exists and implies `member` (or `_member_`);
/// returns it. For callers that keep their own grants (the engine's
/// driver, which holds a project's grant while any of its boots runs).
pub async fn prepare_role(admin: &RegionClient) -> Result<Role> {
    let role = match admin.role_named(ROLE).await? {
        Some(role) => role,
        None => match admin.create_role(ROLE).await {
            Ok(role) => role,
            // Another run created it meanwhile.
            Err(e) if e.is_conflict() => admin.role_named(ROLE).await?.ok_or(e)?,
            Err(e) => return Err(e),
        },
    };
    let mut member = None;
    for name in MEMBER_ROLES {
        if let Some(found) = admin.role_named(name).await? {
            member = Some(found);
            break;
        }
    }
    let member = member.ok_or(Error::NoMemberRole)?;
    if !admin.role_implies(&role.id, &member.id).await? {
        admin.add_role_implication(&role.id, &member.id).await?;
    }
    Ok(role)
}

/// Revokes every assignment of role `cutover` to the admin's user (left by
/// a run that was killed before revoking) and returns their projects.
pub async fn sweep(admin: &RegionClient) -> Result<Vec<String>> {
    let Some(role) = admin.role_named(ROLE).await? else { return Ok(Vec::new()) };
    let user = admin.scope().user_id;
    let projects = admin.projects_with_role(&user, &role.id).await?;
    for project in &projects {
        admin.revoke_project_role(project, &user, &role.id).await?;
    }
    Ok(projects)
}
