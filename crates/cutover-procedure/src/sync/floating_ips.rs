/*!
`cutover sync` of nova-network floating IPs, when both regions have
nova-network (an old region on Neutron gives no entry: its floating IPs are
Neutron's, shared by both regions). The steps come from [`cutover_core::sync::floating_ips::diff`] in
order: held addresses first, each created alone and then claimed with a
token of its project; free addresses last. A pool whose held address
failed gets no free address this run: one would be taken by the next
run's claim instead of the address it wants.
*/

use std::collections::{BTreeMap, BTreeSet};

use cutover_cloud::RegionClient;
use cutover_core::model::PoolAddress;
use cutover_core::sync::floating_ips::{diff, Step};
use cutover_core::sync::{Decision, Entry, Kind, Outcome};

use super::as_project::AsProjects;
use super::kind::SyncCtx;

const KIND: Kind = Kind::FloatingIp;

pub async fn sync(cx: &SyncCtx) -> Vec<Entry> {
    let (old, new) = match tokio::try_join!(cx.old.pool_addresses(), cx.new.pool_addresses()) {
        Ok(read) => read,
        Err(e) => return vec![Entry::unreadable(KIND, e)],
    };
    let (old, new) = match (old, new) {
        (None, _) => {
            let reason =
                format!("{} uses Neutron: floating IPs are Neutron's, shared by both regions", cx.old.region());
            return vec![Entry::new(KIND, "(floating-ips)", Outcome::Skipped, reason)];
        }
        (Some(_), None) => {
            let reason = format!(
                "{} has nova-network pools but {} has no nova-network: addresses cannot be recreated by sync",
                cx.old.region(),
                cx.new.region()
            );
            return vec![Entry::new(KIND, "(floating-ips)", Outcome::Failed, reason)];
        }
        (Some(old), Some(new)) => (old, new),
    };
    let names = match cx.old.projects().await {
        Ok(projects) => projects.into_iter().map(|p| (p.id, p.name)).collect(),
        Err(e) => return vec![Entry::unreadable(KIND, e)],
    };
    let mut pool_sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for a in old.iter().chain(&new) {
        *pool_sizes.entry(a.pool.as_str()).or_default() += 1;
    }
    let mut scoped = AsProjects::new(cx);
    let mut failed_pools: BTreeSet<String> = BTreeSet::new();
    let mut entries = Vec::new();
    for decision in diff(&old, &new, &names) {
        let Decision::Create { name, create: step, detail } = &decision else {
            entries.push(decision.entry(KIND, Ok(())));
            continue;
        };
        if cx.dry_run {
            entries.push(decision.entry(KIND, Ok(())));
            continue;
        }
        let a = step.address();
        if failed_pools.contains(&a.pool) {
            let why = format!("not done: an earlier held address of pool {} failed (see above); rerun", a.pool);
            entries.push(Entry::new(KIND, name, Outcome::Skipped, why));
            continue;
        }
        let bound = pool_sizes.get(a.pool.as_str()).copied().unwrap_or(1);
        let result = match step {
            Step::CreateFree(a) => cx
                .new
                .create_pool_address(&a.address, &a.pool, &a.interface)
                .await
                .map(|()| 0)
                .map_err(|e| e.to_string()),
            Step::CreateHeld(a) => match cx.new.create_pool_address(&a.address, &a.pool, &a.interface).await {
                Ok(()) => claim(&mut scoped, a, bound).await,
                Err(e) => Err(e.to_string()),
            },
            Step::Claim(a) => claim(&mut scoped, a, bound).await,
        };
        entries.push(match result {
            Ok(0) => Entry::new(KIND, name, Outcome::Created, detail.clone()),
            Ok(n) => {
                let note =
                    format!("{detail}; {n} other free address(es) of the pool allocated on the way and released");
                Entry::new(KIND, name, Outcome::Created, note)
            }
            Err(e) => {
                failed_pools.insert(a.pool.clone());
                Entry::new(KIND, name, Outcome::Failed, e)
            }
        });
    }
    entries.extend(scoped.release(KIND).await);
    entries
}

/// Allocates from `a`'s pool with a token of its project until Nova gives
/// `a` (normally at once: it is the pool's only free address), then
/// releases whatever else it gave; returns how many others it gave.
async fn claim(scoped: &mut AsProjects<'_>, a: &PoolAddress, bound: usize) -> Result<usize, String> {
    let project = a.project_id.as_deref().unwrap_or_default();
    let client = scoped.client(project).await.map_err(|e| e.to_string())?;
    let mut others = Vec::new();
    let result = loop {
        if others.len() >= bound {
            break Err(format!("Nova did not allocate {} in {} tries", a.address, others.len()));
        }
        match client.allocate_floating_ip(&a.pool).await {
            Ok(got) if got.ip == a.address => break Ok(others.len()),
            Ok(got) => others.push(got),
            Err(e) => break Err(e.to_string()),
        }
    };
    let released = release(client, &others).await;
    match (result, released) {
        (Ok(n), Ok(())) => Ok(n),
        (Ok(_), Err(e)) | (Err(e), Ok(())) => Err(e),
        (Err(e), Err(r)) => Err(format!("{e}; {r}")),
    }
}

async fn release(
    client: &RegionClient,
    taken: &[cutover_cloud::compute::floating_ips::Allocated],
) -> Result<(), String> {
    for t in taken {
        client.deallocate_floating_ip(&t.id()).await.map_err(|e| format!("releasing {}: {e}", t.ip))?;
    }
    Ok(())
}
