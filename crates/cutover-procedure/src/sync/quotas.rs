/*!
Quotas: for every Keystone project, the project's limits, then the limits
of each user with a role on it who has settings of their own in either
region. Users come after their project: Nova checks a user's limits
against what the project leaves.
*/

use cutover_cloud::{Error, RegionClient};
use cutover_core::model::{Project, QuotaSet};
use cutover_core::sync::quotas::{self, QuotaDecision, Update};
use cutover_core::sync::{Decision, Entry, Kind, Outcome};

use super::kind::{carry_out, SyncCtx};

pub async fn sync(cx: &SyncCtx) -> Vec<Entry> {
    let projects = match cx.old.projects().await {
        Ok(projects) => projects,
        Err(e) => return vec![Entry::unreadable(Kind::Quota, e)],
    };
    let mut entries = Vec::new();
    for project in &projects {
        entries.extend(sync_project(cx, project).await);
    }
    entries
}

async fn sync_project(cx: &SyncCtx, project: &Project) -> Vec<Entry> {
    let name = project.name.clone();
    let (old, new) = match read_both(cx, &project.id, None).await {
        Ok(both) => both,
        Err(e) => return vec![Entry::new(Kind::Quota, name, Outcome::Failed, e.to_string())],
    };
    let decision = quotas::diff_project(&name, &old, &new);
    let planned = match &decision {
        Decision::Update { update, .. } => Some(update.clone()),
        _ => None,
    };
    let mut entries = carry_out(Kind::Quota, vec![decision], cx.dry_run, async |d| apply(&cx.new, d).await).await;
    let project_failed = entries.iter().any(|e| e.outcome == Outcome::Failed);
    for (user_id, user_name) in &project.users {
        let label = format!("{name} / {}", if user_name.is_empty() { user_id } else { user_name });
        match user_decision(cx, project, user_id, &label, &old, &new, planned.as_ref()).await {
            Ok(None) => {}
            Ok(Some(_)) if project_failed => {
                entries.push(Entry::new(Kind::Quota, label, Outcome::Skipped, "the project's quotas failed to update"))
            }
            Ok(Some(d)) => {
                entries.extend(carry_out(Kind::Quota, vec![d], cx.dry_run, async |d| apply(&cx.new, d).await).await)
            }
            Err(e) => entries.push(Entry::new(Kind::Quota, label, Outcome::Failed, e.to_string())),
        }
    }
    entries
}

/// `None` for a user with no settings of their own in either region.
/// The project's update has been applied by now, except in a dry run,
/// where its effect on the user is predicted.
async fn user_decision(
    cx: &SyncCtx,
    project: &Project,
    user: &str,
    label: &str,
    old_project: &QuotaSet,
    new_project: &QuotaSet,
    planned: Option<&Update>,
) -> Result<Option<QuotaDecision>, Error> {
    let (old_user, new_user) = read_both(cx, &project.id, Some(user)).await?;
    let mut new_project_now = new_project.clone();
    if let (false, Some(update)) = (cx.dry_run, planned) {
        new_project_now.limits.extend(update.limits.clone());
    }
    if !quotas::has_own_settings(&old_user, old_project) && !quotas::has_own_settings(&new_user, &new_project_now) {
        return Ok(None);
    }
    let new_user = match cx.dry_run {
        true => quotas::predict_user_view(new_project, planned, &new_user),
        false => new_user,
    };
    Ok(Some(quotas::diff_user(label, &old_user, &new_user)))
}

async fn read_both(cx: &SyncCtx, project: &str, user: Option<&str>) -> Result<(QuotaSet, QuotaSet), Error> {
    let (old, new) = tokio::join!(cx.old.quota_set(project, user), cx.new.quota_set(project, user));
    Ok((old?, new?))
}

async fn apply(new: &RegionClient, decision: &QuotaDecision) -> Result<(), Error> {
    match decision {
        Decision::Update { update, .. } => {
            new.set_quotas(&update.project_id, update.user_id.as_deref(), &update.limits).await
        }
        _ => Ok(()),
    }
}
