/*!
[`HookGuard`]: a lock file (beside the journal) that every hook of a run
holds as its stdin, an empty file. A hook goes on when the cutover that
started it is killed (it runs in its own process group), and so does its
hold: the next run's hooks wait until the killed run's hooks, and what
they started with the same stdin, have ended. Two hooks never run at once
for a host, and a resumed run does not race the hook it runs again.
*/

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often a hook waiting for the guard looks again.
const POLL: Duration = Duration::from_millis(200);

/// The guard of one run's hooks: taken by the first hook to start, held
/// until the process ends, lent to each hook as its stdin.
pub struct HookGuard {
    path: PathBuf,
    held: Mutex<Option<File>>,
}

/// Why a hook did not get the guard.
#[derive(Debug)]
pub(super) enum NotHeld {
    /// Hooks of a killed run still held it after the hook's timeout.
    StillHeld(PathBuf),
    Io(PathBuf, io::Error),
}

impl HookGuard {
    pub fn new(path: impl Into<PathBuf>) -> HookGuard {
        HookGuard { path: path.into(), held: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A handle on the guard for a hook's stdin once this process holds
    /// it, waiting (at most `patience`) while others do.
    pub(super) async fn stdin(&self, patience: Duration, host: &str) -> Result<File, NotHeld> {
        let started = Instant::now();
        let mut told = false;
        loop {
            match self.try_stdin() {
                Ok(Some(file)) => return Ok(file),
                Ok(None) if started.elapsed() >= patience => return Err(NotHeld::StillHeld(self.path.clone())),
                Ok(None) => {}
                Err(e) => return Err(NotHeld::Io(self.path.clone(), e)),
            }
            if !std::mem::replace(&mut told, true) {
                tracing::warn!(
                    host,
                    "hooks started by a cutover run that was killed still run (they hold {}): this host's hook \
                     waits for them to end",
                    self.path.display()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A handle on the guard, taking it first; `None` while others hold it.
    fn try_stdin(&self) -> io::Result<Option<File>> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.is_none() {
            // Created empty, then opened to read: that is all a hook sees.
            OpenOptions::new().create(true).append(true).open(&self.path)?;
            let file = File::open(&self.path)?;
            match file.try_lock() {
                Ok(()) => *held = Some(file),
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(e),
            }
        }
        held.as_ref().map(File::try_clone).transpose()
    }
}

impl std::fmt::Debug for HookGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookGuard").field("path", &self.path).finish()
    }
}

/// Two guards are alike when they lock the same file.
impl PartialEq for HookGuard {
    fn eq(&self, other: &HookGuard) -> bool {
        self.path == other.path
    }
}

impl Eq for HookGuard {}
