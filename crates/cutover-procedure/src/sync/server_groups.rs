/*!
`cutover sync` of server groups: each old group created in its own project
(a token scoped to it, see [`super::as_project`]) with the same name,
policy and rules. The new id differs; the report says which old id became
which, and later steps pair them again by project and name
([`cutover_core::sync::server_groups::pairs`]).
*/

use std::collections::BTreeMap;

use cutover_cloud::compute::server_groups::{GROUP_OWNERS, GROUP_RULES, GROUP_SOFT_POLICIES};
use cutover_core::id::ProjectId;
use cutover_core::sync::server_groups::{diff, pairs, unowned, NewRegion};
use cutover_core::sync::{Decision, Entry, Kind, Outcome};

use super::as_project::AsProjects;
use super::kind::SyncCtx;

const KIND: Kind = Kind::ServerGroup;

pub async fn sync(cx: &SyncCtx) -> Vec<Entry> {
    if !cx.new.compute_versions().offers(GROUP_OWNERS) {
        let reason = format!("{}'s Nova is below 2.13: its groups' projects are unknown", cx.new.region());
        return vec![Entry::new(KIND, "(server-groups)", Outcome::Failed, reason)];
    }
    let read = async {
        let projects = cx.old.projects().await?;
        Ok::<_, cutover_cloud::Error>((cx.old.server_groups().await?, cx.new.server_groups().await?, projects))
    };
    let (old, new, projects) = match read.await {
        Ok(read) => read,
        Err(e) => return vec![Entry::unreadable(KIND, e)],
    };
    let names: BTreeMap<ProjectId, String> = projects.into_iter().map(|p| (p.id, p.name)).collect();
    let versions = cx.new.compute_versions();
    let can = NewRegion { rules: versions.offers(GROUP_RULES), soft_policies: versions.offers(GROUP_SOFT_POLICIES) };
    let paired = pairs(&old, &new);
    let mut entries = unowned(&old, &cx.old.compute_versions().max.to_string());
    let mut scoped = AsProjects::new(cx);
    for decision in diff(&old, &new, can, &names) {
        let entry = match &decision {
            Decision::Create { name, create, detail } if !cx.dry_run => {
                let project = create.project_id.as_deref().unwrap_or_default();
                let created = match scoped.client(project).await {
                    Ok(client) => client.create_server_group(create).await,
                    Err(e) => Err(e),
                };
                match created {
                    Ok(group) => {
                        let detail = detail.replace(&format!("old id {}", create.id), "");
                        let mapping = format!("old id {} -> new id {}", create.id, group.id);
                        Entry::new(KIND, name, Outcome::Created, format!("{detail}{mapping}"))
                    }
                    Err(e) => decision.entry(KIND, Err(e.to_string())),
                }
            }
            Decision::Equal { name } => {
                let old_id = old.iter().find(|g| paired.contains_key(&g.id) && &label_of(g, &names) == name);
                let detail = old_id.map(|g| format!("old id {} -> new id {}", g.id, paired[&g.id]));
                Entry::new(KIND, name, Outcome::Equal, detail.unwrap_or_default())
            }
            _ => decision.entry(KIND, Ok(())),
        };
        entries.push(entry);
    }
    entries.extend(scoped.release(KIND).await);
    entries
}

fn label_of(group: &cutover_core::model::ServerGroup, names: &BTreeMap<ProjectId, String>) -> String {
    cutover_core::sync::server_groups::label(group, names)
}
