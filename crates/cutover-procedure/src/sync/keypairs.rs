/*!
`cutover sync` of keypairs: every Keystone user's keypairs, read and
imported with `user_id` (2.10). An old region below 2.10 shows the admin
only its own: the other users' are reported skipped, to be re-imported.
*/

use std::collections::BTreeMap;

use cutover_cloud::Error as CloudError;
use cutover_core::id::UserId;
use cutover_core::model::{Keypair, User};
use cutover_core::sync::keypairs::diff;
use cutover_core::sync::{Decision, Entry, Kind, Outcome};

use super::kind::{carry_out, SyncCtx};

pub async fn sync(cx: &SyncCtx) -> Vec<Entry> {
    let users = match cx.old.users().await {
        Ok(users) => users,
        Err(e) => return vec![Entry::unreadable(Kind::Keypair, e)],
    };
    if !cx.new.keypairs_for_users() {
        let reason = format!(
            "{}'s Nova ({}) cannot import keypairs for other users: 2.10 needed",
            cx.new.region(),
            cx.new.compute_versions()
        );
        return vec![Entry::new(Kind::Keypair, "(keypairs)", Outcome::Failed, reason)];
    }
    let names: BTreeMap<UserId, String> = users.iter().map(|u| (u.id.clone(), u.name.clone())).collect();
    let (old, skipped) = match read_old(cx, &users).await {
        Ok(read) => read,
        Err(e) => return vec![Entry::unreadable(Kind::Keypair, e)],
    };
    let mut new = Vec::new();
    for user in &users {
        match cx.new.keypairs(Some(&user.id), "").await {
            Ok(keys) => new.extend(keys),
            Err(e) => return vec![Entry::unreadable(Kind::Keypair, e)],
        }
    }
    let mut entries = carry_out(Kind::Keypair, diff(&old, &new, &names), cx.dry_run, async |d| match d {
        Decision::Create { create, .. } => cx.new.create_keypair(create).await,
        _ => Ok(()),
    })
    .await;
    entries.extend(skipped);
    entries
}

/// The old region's keypairs, and a skipped entry per user whose keypairs
/// it will not show.
async fn read_old(cx: &SyncCtx, users: &[User]) -> Result<(Vec<Keypair>, Vec<Entry>), CloudError> {
    let me = cx.old.scope().user_id;
    if cx.old.keypairs_for_users() {
        let mut old = Vec::new();
        for user in users {
            old.extend(cx.old.keypairs(Some(&user.id), &me).await?);
        }
        return Ok((old, Vec::new()));
    }
    let reason = format!(
        "{}'s Nova ({}) lists only the caller's own keypairs (2.10 needed): the user re-imports them, \
         or an admin imports each public key with `openstack --os-compute-api-version 2.10 keypair create \
         --public-key FILE --user USER NAME` in {}",
        cx.old.region(),
        cx.old.compute_versions(),
        cx.new.region()
    );
    let skipped = users
        .iter()
        .filter(|u| u.id != me)
        .map(|u| Entry::new(Kind::Keypair, format!("{}/*", u.name), Outcome::Skipped, reason.clone()))
        .collect();
    Ok((cx.old.keypairs(None, &me).await?, skipped))
}
