/*!
The owner's key pair under cutover's own user, for the boots that need it:
Nova looks `key_name` up among the booting user's key pairs, so a rebuild
keeps its `key_name` only if cutover's user holds a key of that name with
the owner's public key while the boot is sent.

One copy per region and name at a time, shared by the boots that need the
same public key; a boot needing another key under that name waits for the
copy to go. Each copy cutover makes is written to the journal's ledger
before it is created and removed after it is deleted, so a run killed in
between finds it ([`KeyCopies::tidy`]), and a key of cutover's user that
cutover did not make is never deleted: it is used when it holds the same
key, else the boot falls back to a per-move copy name.
*/

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cutover_cloud::RegionClient;
use cutover_journal::Ledger;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tracing::info;

use super::errors::failed;
use crate::driver::DriverError;

/// The ledger keys of the copies: `key-copy/<region>/<name>`.
const COPY_PREFIX: &str = "key-copy/";
/// The ledger keys of the boots that fell back to a per-move name.
pub const CLASH_PREFIX: &str = "key-clash/";

/// A public key as Nova holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub public_key: String,
    pub kind: String,
}

/// How a boot names its key.
#[derive(Debug)]
pub enum Held {
    /// Cutover's user holds the original name with the owner's key (a copy,
    /// or a key of its own that is the same): boot with it, then
    /// [`KeyCopies::release`].
    Original,
    /// Cutover's user has another key under that name, which cutover did
    /// not make: the boot needs a copy under another name (the reason, for
    /// the report).
    Clash(String),
}

/// One name in one region, while boots use it.
struct Slot {
    key: PublicKey,
    /// Boots using it (0 while it is being made or deleted).
    holders: usize,
    /// Ready for more holders.
    ready: bool,
    /// Cutover made it (and deletes it after the last holder).
    made: bool,
}

/// The copies of a driver: who holds which, and the journal's ledger.
#[derive(Default)]
pub struct KeyCopies {
    ledger: Mutex<Option<Arc<Ledger>>>,
    slots: Mutex<HashMap<(String, String), Slot>>,
    changed: Notify,
}

fn copy_key(region: &str, name: &str) -> String {
    format!("{COPY_PREFIX}{region}/{name}")
}

fn journal_failed(e: cutover_journal::Error) -> DriverError {
    DriverError::temporary(format!("recording a key pair copy: {e}")).caused_by(e)
}

impl KeyCopies {
    pub fn keep_records(&self, ledger: Ledger) {
        *self.ledger.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(ledger));
    }

    /// The ledger, when a run gave one; without it no copy is made under
    /// the original name (it could not be found again after a crash).
    pub fn ledger(&self) -> Option<Arc<Ledger>> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes cutover's user hold `name` with `key` in `region` for a boot,
    /// waiting while another boot holds the name with another key.
    pub async fn acquire(
        &self,
        ledger: &Ledger,
        region: &RegionClient,
        name: &str,
        key: &PublicKey,
    ) -> Result<Held, DriverError> {
        let id = (region.region().to_string(), name.to_string());
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut slots = self.slots();
                match slots.get_mut(&id) {
                    None => {
                        slots.insert(id.clone(), Slot { key: key.clone(), holders: 0, ready: false, made: false });
                        break;
                    }
                    Some(slot) if slot.ready && slot.key == *key => {
                        slot.holders += 1;
                        return Ok(Held::Original);
                    }
                    Some(_) => {}
                }
            }
            changed.await;
        }
        let prepared = prepare(ledger, region, name, key).await;
        let mut slots = self.slots();
        match prepared {
            Ok(Some(made)) => {
                if let Some(slot) = slots.get_mut(&id) {
                    (slot.holders, slot.ready, slot.made) = (1, true, made);
                }
                drop(slots);
                self.changed.notify_waiters();
                Ok(Held::Original)
            }
            other => {
                slots.remove(&id);
                drop(slots);
                self.changed.notify_waiters();
                other.map(|_| {
                    Held::Clash(format!(
                        "{}: key pair {name} of cutover's own user holds another key: booted with a copy under \
                         another name (its key_name differs)",
                        region.region()
                    ))
                })
            }
        }
    }

    /// A boot is done with `name`: the last one deletes the copy cutover
    /// made, then its record.
    pub async fn release(&self, ledger: &Ledger, region: &RegionClient, name: &str) -> Result<(), DriverError> {
        let id = (region.region().to_string(), name.to_string());
        let made = {
            let mut slots = self.slots();
            let Some(slot) = slots.get_mut(&id) else { return Ok(()) };
            slot.holders = slot.holders.saturating_sub(1);
            if slot.holders > 0 {
                return Ok(());
            }
            slot.ready = false;
            slot.made
        };
        let deleted = match made {
            true => forget(ledger, region, name).await,
            false => Ok(()),
        };
        self.slots().remove(&id);
        self.changed.notify_waiters();
        deleted
    }

    /// Deletes every copy the ledger records that no boot holds (a run
    /// stopped between making and deleting it), then its record; a key
    /// that no longer holds the recorded public key is not cutover's copy
    /// and stays.
    pub async fn tidy(&self, ledger: &Ledger, regions: [&RegionClient; 2]) -> Result<(), DriverError> {
        for (key, value) in ledger.values_with_prefix(COPY_PREFIX).map_err(journal_failed)? {
            let Some((region_name, name)) = key[COPY_PREFIX.len()..].split_once('/') else { continue };
            let Some(region) = regions.into_iter().find(|r| r.region() == region_name) else { continue };
            if self.slots().contains_key(&(region_name.to_string(), name.to_string())) {
                continue;
            }
            let recorded: Option<PublicKey> = serde_json::from_str(&value).ok();
            match own_key(region, name).await? {
                Some(there) if Some(&there) == recorded.as_ref() => {
                    forget(ledger, region, name).await?;
                    info!(region = region_name, key = name, "deleted a key pair copy left by a stopped run");
                }
                _ => ledger.remove_value(&key).map_err(journal_failed)?,
            }
        }
        Ok(())
    }
}

/// Cutover's user holds `name` with `key` after this: `Some(true)` when
/// cutover made it (now or in a run that stopped before deleting it),
/// `Some(false)` when it is a key of cutover's user that happens to be the
/// same, `None` when that user holds another key under the name.
async fn prepare(
    ledger: &Ledger,
    region: &RegionClient,
    name: &str,
    key: &PublicKey,
) -> Result<Option<bool>, DriverError> {
    let record = copy_key(region.region(), name);
    let recorded: Option<PublicKey> =
        ledger.value(&record).map_err(journal_failed)?.and_then(|text| serde_json::from_str(&text).ok());
    match own_key(region, name).await? {
        Some(there) if Some(&there) == recorded.as_ref() => {
            if there == *key {
                return Ok(Some(true));
            }
            // A copy of another key, left by a stopped run: replaced.
            forget(ledger, region, name).await?;
        }
        Some(there) => {
            if recorded.is_some() {
                ledger.remove_value(&record).map_err(journal_failed)?;
            }
            return Ok((there == *key).then_some(false));
        }
        None => {}
    }
    // Recorded before it is made: a run killed after the create, or a
    // create whose answer was lost, leaves a record to find it by.
    let text = serde_json::to_string(key).unwrap_or_default();
    ledger.set_value(&record, &text).map_err(journal_failed)?;
    match region.import_own_keypair(name, &key.public_key, &key.kind).await {
        Ok(()) => Ok(Some(true)),
        Err(e) if e.is_conflict() => {
            // Someone else made it meanwhile: theirs, not cutover's.
            ledger.remove_value(&record).map_err(journal_failed)?;
            Ok(own_key(region, name).await?.filter(|there| there == key).map(|_| false))
        }
        Err(e) => Err(failed(e)),
    }
}

/// The key cutover's own user holds under `name`, if any.
async fn own_key(region: &RegionClient, name: &str) -> Result<Option<PublicKey>, DriverError> {
    let own = region.scope().user_id;
    let keys = region.keypairs(None, &own).await.map_err(failed)?;
    Ok(keys.into_iter().find(|k| k.name == name).map(|k| PublicKey { public_key: k.public_key, kind: k.kind }))
}

/// Deletes cutover's copy `name`, then its record.
async fn forget(ledger: &Ledger, region: &RegionClient, name: &str) -> Result<(), DriverError> {
    match region.delete_own_keypair(name).await {
        Err(e) if !e.is_not_found() => return Err(failed(e)),
        _ => {}
    }
    ledger.remove_value(&copy_key(region.region(), name)).map_err(journal_failed)
}
