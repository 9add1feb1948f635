/*!
[`CommandHook`]: the operator's command, run for each emptied host as a
program with its own fixed arguments followed by the host, the regions and
the migration, each one argv entry, never through a shell: a host name is
cloud data and nothing in it can become a command. The same values are in
the environment (`CUTOVER_HOST`, ...). The hook runs in its own process
group, which is ended whole at the timeout (TERM, then KILL after a grace
period) and when the caller stops waiting. A cutover killed with `kill -9`
cannot end it: with a [`HookGuard`] as its stdin, the next run's hooks wait
for it.
*/

use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::guard::{HookGuard, NotHeld};
use super::tail::{Tail, OUTPUT_TAIL_BYTES};
use super::{HandOff, HookEnd, HookReport, HookRequest};

/// How long a hook may run unless told otherwise: redeploying a host
/// (an OS install, a playbook) takes minutes, not hours.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// Between TERM and KILL at the timeout: time for the hook to clean up.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);
/// After the hook exits, how long what it started may still write to its
/// output before the rest of its process group is ended.
const DRAIN: Duration = Duration::from_secs(2);

/// The status reported, as a shell does, when the hook could not be run at
/// all: found but not runnable (or refused, see [`CommandHook`]).
pub const CANNOT_RUN: i32 = 126;
/// The status reported, as a shell does, when the program does not exist.
pub const NOT_FOUND: i32 = 127;

/// A hook command that cannot be used: the operator's input, found before
/// any host is touched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    #[error("the hand-off hook command is empty")]
    Empty,
    #[error("the hand-off hook command {command:?} cannot be split into words: {reason}")]
    Quoting { command: String, reason: String },
    #[error("the hand-off hook {0} was not found (no such file, and not on PATH)")]
    NotFound(String),
    #[error("the hand-off hook {0} is not an executable file")]
    NotExecutable(String),
}

/// The operator's hand-off command. Built with [`CommandHook::new`] (a
/// program and its arguments, e.g. a list from the plan file) or
/// [`CommandHook::parse`] (one `--on-host-empty` string). For each host it
/// runs `PROGRAM ARGS... HOST OLD_REGION NEW_REGION MIGRATION` with
/// `CUTOVER_HOST`, `CUTOVER_OLD_REGION`, `CUTOVER_NEW_REGION` and
/// `CUTOVER_MIGRATION` set, `OS_CLOUD` when [`CommandHook::cloud`] names
/// one, stdin empty (the [`HookGuard`] when [`CommandHook::guard`] gives
/// one, else `/dev/null`), in cutover's working directory and environment
/// (so `OS_CLIENT_CONFIG_FILE` and the like pass through).
///
/// A host name that is empty, starts with `-` (a program could read it as
/// an option) or holds a control character is refused: the hook is not run
/// and the host fails with status [`CANNOT_RUN`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandHook {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    timeout: Duration,
    grace: Duration,
    guard: Option<Arc<HookGuard>>,
}

impl CommandHook {
    /// `program` with fixed `args`; the per-host values are appended.
    pub fn new<S: Into<String>>(
        program: impl Into<String>,
        args: impl IntoIterator<Item = S>,
    ) -> Result<Self, HookError> {
        let program = program.into();
        if program.trim().is_empty() {
            return Err(HookError::Empty);
        }
        Ok(CommandHook {
            program,
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            grace: DEFAULT_GRACE,
            guard: None,
        })
    }

    /// The operator's own command line, split into words with POSIX shell
    /// quoting (`'...'`, `"..."`, `\`) but no expansion, no variables, no
    /// globbing, and no shell ever run. Only the operator's text goes
    /// through this; cloud data is appended afterwards as separate words.
    pub fn parse(command_line: &str) -> Result<Self, HookError> {
        let words = shell_words::split(command_line)
            .map_err(|e| HookError::Quoting { command: command_line.to_string(), reason: e.to_string() })?;
        let mut words = words.into_iter();
        let program = words.next().ok_or(HookError::Empty)?;
        CommandHook::new(program, words)
    }

    /// How long the hook may run before its process group is ended.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Between TERM and KILL when the timeout is reached.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The guard every hook of the run holds as its stdin (one for all the
    /// run's hooks): a hook waits, at most its timeout, while hooks of a
    /// killed run hold it.
    pub fn guard(mut self, guard: Arc<HookGuard>) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Sets `OS_CLOUD` for the hook: the cloud cutover works on, even when
    /// it was named by a flag or cutover.toml rather than the environment.
    pub fn cloud(self, cloud: Option<&str>) -> Self {
        match cloud {
            Some(name) => self.env("OS_CLOUD", name),
            None => self,
        }
    }

    /// One more environment variable for the hook (the `CUTOVER_*` ones
    /// of the request win over a variable of the same name).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The operator's command, quoted back into one line (for the journal
    /// and the report).
    pub fn command_line(&self) -> String {
        shell_words::join(std::iter::once(&self.program).chain(&self.args))
    }

    /// Finds the program now, as running it would (a path, else `PATH`),
    /// so a mistyped hook is refused before any host is touched.
    pub fn check(&self) -> Result<PathBuf, HookError> {
        let candidates: Vec<PathBuf> = if self.program.contains('/') {
            vec![PathBuf::from(&self.program)]
        } else {
            std::env::var_os("PATH")
                .map(|path| std::env::split_paths(&path).map(|dir| dir.join(&self.program)).collect())
                .unwrap_or_default()
        };
        let mut not_executable = None;
        for candidate in candidates {
            if candidate.is_file() {
                if executable(&candidate) {
                    return Ok(candidate);
                }
                not_executable.get_or_insert(candidate);
            }
        }
        Err(match not_executable {
            Some(path) => HookError::NotExecutable(path.display().to_string()),
            None => HookError::NotFound(self.program.clone()),
        })
    }

    fn command(&self, request: &HookRequest, stdin: Stdio) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).args([
            request.host.as_str(),
            request.old_region.as_str(),
            request.new_region.as_str(),
            request.migration.as_str(),
        ]);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
            .env("CUTOVER_HOST", request.host.as_str())
            .env("CUTOVER_OLD_REGION", request.old_region.as_str())
            .env("CUTOVER_NEW_REGION", request.new_region.as_str())
            .env("CUTOVER_MIGRATION", &request.migration)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        command
    }

    async fn spawn(&self, request: &HookRequest, stdin: Option<&std::fs::File>) -> io::Result<Child> {
        let mut tries = 0;
        loop {
            let stdin = match stdin {
                Some(file) => Stdio::from(file.try_clone()?),
                None => Stdio::null(),
            };
            match self.command(request, stdin).spawn() {
                // ETXTBSY: the file is still open for writing somewhere (a
                // deployment tool rewriting it, or a fork of this process
                // that inherited the writer); it passes within moments.
                Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    /// Runs the hook for `request` to its end or its timeout.
    pub async fn run(&self, request: &HookRequest) -> HookReport {
        let started = Instant::now();
        let report = |end: HookEnd| {
            let output = match &end {
                HookEnd::Failed { output, .. } => output.clone(),
                HookEnd::Succeeded => String::new(),
            };
            HookReport { end, output, duration: started.elapsed() }
        };
        if let Some(why) = refused_host(&request.host) {
            let output = format!("cutover did not run the hook: the host name {:?} {why}", request.host);
            return report(HookEnd::Failed { status: Some(CANNOT_RUN), output });
        }
        let guard = match &self.guard {
            Some(guard) => match guard.stdin(self.timeout, &request.host).await {
                Ok(file) => Some(file),
                Err(NotHeld::StillHeld(path)) => {
                    let output = format!(
                        "cutover did not run the hook: hooks started by a killed cutover run still hold {} after \
                         {} s (`fuser -v {}` names them): end them",
                        path.display(),
                        self.timeout.as_secs(),
                        path.display()
                    );
                    return report(HookEnd::Failed { status: None, output });
                }
                Err(NotHeld::Io(path, e)) => {
                    let output = format!("cutover did not run the hook: cannot take {}: {e}", path.display());
                    return report(HookEnd::Failed { status: Some(CANNOT_RUN), output });
                }
            },
            None => None,
        };
        let mut child = match self.spawn(request, guard.as_ref()).await {
            Ok(child) => child,
            Err(e) => {
                let status = if e.kind() == io::ErrorKind::NotFound { NOT_FOUND } else { CANNOT_RUN };
                let output = format!("cannot start the hook {}: {e}", self.program);
                return report(HookEnd::Failed { status: Some(status), output });
            }
        };
        let group = ProcessGroup::of(&child);
        let tail = Arc::new(Mutex::new(Tail::new(OUTPUT_TAIL_BYTES)));
        let mut readers: Vec<JoinHandle<()>> = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(collect(out, tail.clone()));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(collect(err, tail.clone()));
        }
        let status = self.wait(&mut child, &group, &tail).await;
        finish(readers, group).await;
        let output = tail.lock().unwrap_or_else(PoisonError::into_inner).text();
        let end = match status {
            Some(status) if status.success() => HookEnd::Succeeded,
            Some(status) => HookEnd::Failed { status: Some(exit_code(status)), output: output.clone() },
            None => HookEnd::Failed { status: None, output: output.clone() },
        };
        HookReport { end, output, duration: started.elapsed() }
    }

    /// The hook's exit status, or `None` when it was ended at its timeout.
    async fn wait(&self, child: &mut Child, group: &ProcessGroup, tail: &Mutex<Tail>) -> Option<ExitStatus> {
        let note = |text: String| tail.lock().unwrap_or_else(PoisonError::into_inner).push(text.as_bytes());
        match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(Ok(status)) => return Some(status),
            Ok(Err(e)) => note(format!("\ncutover: lost track of the hook ({e}); ending it\n")),
            Err(_) => {
                note(format!("\ncutover: the hook ran past its timeout of {} s; ending it\n", self.timeout.as_secs()));
                group.signal(Signal::Term);
                if tokio::time::timeout(self.grace, child.wait()).await.is_ok() {
                    return None;
                }
            }
        }
        group.signal(Signal::Kill);
        let _ = child.wait().await;
        None
    }
}

#[async_trait]
impl HandOff for CommandHook {
    async fn hand_off(&self, request: &HookRequest) -> HookReport {
        self.run(request).await
    }
}

/// Why a host name is not handed to a program, or `None`.
fn refused_host(host: &str) -> Option<&'static str> {
    if host.is_empty() {
        Some("is empty")
    } else if host.starts_with('-') {
        Some("starts with '-' and could be read as an option")
    } else if host.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
    }
}

fn executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The exit code, or a shell's 128 + N for a hook killed by signal N.
fn exit_code(status: ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(-1)
}

/// Copies a pipe into the shared tail until it closes.
fn collect(mut pipe: impl AsyncRead + Unpin + Send + 'static, tail: Arc<Mutex<Tail>>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n @ 1..) = pipe.read(&mut buf).await {
            tail.lock().unwrap_or_else(PoisonError::into_inner).push(&buf[..n]);
        }
    })
}

/// Waits for the output of what the hook left behind, then ends it: a
/// process still holding the pipes would otherwise keep the reads open.
async fn finish(mut readers: Vec<JoinHandle<()>>, group: ProcessGroup) {
    if tokio::time::timeout(DRAIN, join(&mut readers)).await.is_err() {
        group.signal(Signal::Kill);
        // A process that left the group (setsid) may hold the pipes still.
        let _ = tokio::time::timeout(Duration::from_secs(1), join(&mut readers)).await;
    }
    drop(group);
    for reader in readers {
        reader.abort();
    }
}

/// Waits for the readers still running (a finished one is not polled again).
async fn join(readers: &mut [JoinHandle<()>]) {
    for reader in readers.iter_mut().filter(|r| !r.is_finished()) {
        let _ = reader.await;
    }
}

#[derive(Debug, Clone, Copy)]
enum Signal {
    Term,
    Kill,
}

/// The hook's process group (its id is the hook's pid). Dropping it ends
/// the group: a caller that stops waiting (Ctrl-C, the run cancelled)
/// leaves nothing running.
struct ProcessGroup {
    id: Option<u32>,
}

impl ProcessGroup {
    fn of(child: &Child) -> ProcessGroup {
        ProcessGroup { id: child.id() }
    }

    fn signal(&self, signal: Signal) {
        #[cfg(unix)]
        if let Some(pid) = self.id.and_then(|id| rustix::process::Pid::from_raw(id as i32)) {
            use rustix::process::Signal as Sig;
            let sig = match signal {
                Signal::Term => Sig::TERM,
                Signal::Kill => Sig::KILL,
            };
            // ESRCH once every member has gone: nothing left to end.
            let _ = rustix::process::kill_process_group(pid, sig);
        }
        #[cfg(not(unix))]
        let _ = (signal, self.id);
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.signal(Signal::Kill);
    }
}
