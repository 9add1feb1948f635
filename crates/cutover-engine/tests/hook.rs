/*!
The hand-off hook runner with real processes: cloud data reaches the hook
as argv entries and environment values, verbatim, and runs nothing else;
a failure, a timeout (the whole process group ended) and a flood of output
come back as a report.
*/
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutover_engine::hook::{CommandHook, HookEnd, HookError, HookGuard, HookRequest, OUTPUT_TAIL_BYTES};

fn request(host: &str) -> HookRequest {
    HookRequest {
        host: host.to_string().into(),
        old_region: "RegionOne".into(),
        new_region: "RegionTwo".into(),
        migration: "m-1".into(),
    }
}

/// A shell script in `dir`, run as `/bin/sh FILE`: the script's text is
/// the test's own, the host still reaches it only as `$1`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script written");
    path
}

fn sh(script: &Path) -> CommandHook {
    CommandHook::new("/bin/sh", [script.display().to_string()]).expect("hook")
}

/// Writes each argument and the CUTOVER_* variables, NUL-terminated, to $OUT.
const RECORD: &str = r#"printf '%s\0' "$@" > "$OUT"
printf '%s\0' "$CUTOVER_HOST" "$CUTOVER_OLD_REGION" "$CUTOVER_NEW_REGION" "$CUTOVER_MIGRATION" "$OS_CLOUD" > "$OUT.env""#;

fn fields(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split_terminator('\0').map(str::to_string).collect()
}

#[tokio::test]
async fn a_host_name_is_one_argument_verbatim_and_runs_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let pwned = dir.path().join("pwned");
    let record = script(dir.path(), "record", RECORD);
    let out = dir.path().join("argv");
    let hook = sh(&record).env("OUT", out.display().to_string()).cloud(Some("prod"));
    let p = pwned.display();
    for host in [
        format!("h1; touch {p}"),
        format!("h1 && touch {p}"),
        format!("$(touch {p})"),
        format!("`touch {p}`"),
        format!("h1' \"; touch {p} #"),
        format!("h1|touch {p}"),
        "h1 *".to_string(),
    ] {
        let report = hook.run(&request(&host)).await;
        assert_eq!(report.end, HookEnd::Succeeded, "{host}: {}", report.output);
        assert_eq!(fields(&out), [host.as_str(), "RegionOne", "RegionTwo", "m-1"], "argv of {host:?}");
        let env = fields(&dir.path().join("argv.env"));
        assert_eq!(env, [host.as_str(), "RegionOne", "RegionTwo", "m-1", "prod"], "environment of {host:?}");
        assert!(!pwned.exists(), "host name {host:?} ran a command");
    }
}

#[tokio::test]
async fn the_program_itself_runs_with_the_operators_arguments_first() {
    let dir = tempfile::tempdir().unwrap();
    let pwned = dir.path().join("pwned");
    let hook_path = script(dir.path(), "my hook", RECORD);
    let mut perms = std::fs::metadata(&hook_path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&hook_path, perms).unwrap();
    let out = dir.path().join("argv");
    // The operator's one string, quoted as a shell would take it.
    let line = format!("'{}' --playbook 'site one.yml' -e a=\"b c\"", hook_path.display());
    let hook = CommandHook::parse(&line).unwrap().env("OUT", out.display().to_string());
    assert_eq!(hook.check().unwrap(), hook_path);
    let host = format!("h1; touch {}", pwned.display());
    let report = hook.run(&request(&host)).await;
    assert!(report.succeeded(), "{}", report.output);
    assert_eq!(fields(&out), ["--playbook", "site one.yml", "-e", "a=b c", &host, "RegionOne", "RegionTwo", "m-1"]);
    assert!(!pwned.exists());
}

#[tokio::test]
async fn a_non_zero_exit_fails_the_host_with_its_status_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let failing =
        script(dir.path(), "failing", "echo \"redeploying $1\"\necho 'playbook: host unreachable' >&2\nexit 3");
    let report = sh(&failing).run(&request("old-1")).await;
    let HookEnd::Failed { status, output } = &report.end else { panic!("succeeded: {report:?}") };
    assert_eq!(*status, Some(3));
    assert!(output.contains("redeploying old-1") && output.contains("playbook: host unreachable"), "{output}");
    assert_eq!(report.last_line(), "playbook: host unreachable");
    assert_eq!(report.outcome(), "exited 3");
}

#[tokio::test]
async fn success_keeps_the_output_too() {
    let dir = tempfile::tempdir().unwrap();
    let ok = script(dir.path(), "ok", "echo \"moved $CUTOVER_HOST to $CUTOVER_NEW_REGION\"");
    let report = sh(&ok).run(&request("old-2")).await;
    assert!(report.succeeded());
    assert_eq!(report.output, "moved old-2 to RegionTwo\n");
}

#[tokio::test]
async fn at_the_timeout_the_whole_process_group_is_ended() {
    let dir = tempfile::tempdir().unwrap();
    let late = dir.path().join("late");
    // A child in the background that would write a file later, and a
    // parent that ignores TERM: both must be gone after the grace period.
    let body = format!("trap '' TERM\necho started\n(sleep 2; touch '{}') &\nsleep 30", late.display());
    let slow = script(dir.path(), "slow", &body);
    let hook = sh(&slow).timeout(Duration::from_millis(500)).grace(Duration::from_millis(300));
    let started = Instant::now();
    let report = hook.run(&request("old-1")).await;
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    let HookEnd::Failed { status: None, output } = &report.end else { panic!("not a timeout: {report:?}") };
    assert!(output.starts_with("started\n"), "{output}");
    assert!(output.contains("past its timeout"), "{output}");
    assert_eq!(report.outcome(), "timed out");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!late.exists(), "the hook's background child outlived the timeout");
}

/// The engine cancelled (Ctrl-C): dropping the run ends the hook's group.
#[tokio::test]
async fn a_caller_that_stops_waiting_leaves_nothing_running() {
    let dir = tempfile::tempdir().unwrap();
    let late = dir.path().join("late");
    let body = format!("(sleep 1; touch '{}') &\nsleep 30", late.display());
    let slow = script(dir.path(), "slow", &body);
    let hook = sh(&slow);
    let gave_up = tokio::time::timeout(Duration::from_millis(300), hook.run(&request("old-1"))).await;
    assert!(gave_up.is_err(), "the hook cannot have ended by itself");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!late.exists(), "the hook's background child outlived the caller");
}

#[tokio::test]
async fn only_the_tail_of_a_flood_of_output_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let chatty = script(
        dir.path(),
        "chatty",
        "i=0\nwhile [ $i -lt 4000 ]; do echo \"line $i of noise\"; i=$((i+1)); done\necho THE END >&2\nexit 1",
    );
    let report = sh(&chatty).run(&request("old-1")).await;
    assert!(report.output.starts_with("[...]"), "{}", &report.output[..40]);
    assert!(report.output.len() <= OUTPUT_TAIL_BYTES + "[...]".len());
    assert!(report.output.ends_with("THE END\n"));
    assert!(report.output.contains("line 3999 of noise"));
}

#[tokio::test]
async fn a_missing_program_is_found_early_and_fails_the_host_like_a_shell() {
    let hook = CommandHook::parse("/nonexistent/redeploy --now").unwrap();
    assert_eq!(hook.check(), Err(HookError::NotFound("/nonexistent/redeploy".into())));
    let report = hook.run(&request("old-1")).await;
    assert!(matches!(&report.end, HookEnd::Failed { status: Some(127), output } if output.contains("cannot start")));
    assert_eq!(
        CommandHook::parse("no-such-hook-program-xyz").unwrap().check(),
        Err(HookError::NotFound("no-such-hook-program-xyz".into()))
    );

    let dir = tempfile::tempdir().unwrap();
    let plain = script(dir.path(), "plain", "exit 0");
    let hook = CommandHook::new(plain.display().to_string(), Vec::<String>::new()).unwrap();
    assert!(matches!(hook.check(), Err(HookError::NotExecutable(_))));
    assert!(matches!(hook.run(&request("old-1")).await.end, HookEnd::Failed { status: Some(126), .. }));
}

#[tokio::test]
async fn names_a_program_could_take_for_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("argv");
    let record = script(dir.path(), "record", RECORD);
    let hook = sh(&record).env("OUT", out.display().to_string());
    for host in ["-rf", "--help", "", "h1\nh2"] {
        let report = hook.run(&request(host)).await;
        assert!(
            matches!(&report.end, HookEnd::Failed { status: Some(126), output } if output.contains("did not run")),
            "{host:?}: {report:?}"
        );
        assert!(!out.exists(), "the hook ran for {host:?}");
    }
}

#[test]
fn the_operators_command_line_is_split_without_a_shell() {
    let hook = CommandHook::parse("ansible-playbook -i 'inv/prod hosts' redeploy.yml").unwrap();
    assert_eq!(hook.command_line(), "ansible-playbook -i 'inv/prod hosts' redeploy.yml");
    assert_eq!(CommandHook::parse("  "), Err(HookError::Empty));
    assert!(matches!(CommandHook::parse("hook 'unclosed"), Err(HookError::Quoting { .. })));
    // No expansion: `$HOME` and `*` stay as written.
    assert_eq!(CommandHook::parse("hook $HOME *").unwrap().command_line(), "hook '$HOME' '*'");
}

/// A hook a killed run left running: `command` with the guard at `path`
/// as its stdin, which it alone holds now.
fn left_running(path: &Path, command: &str) -> Child {
    std::fs::File::create(path).unwrap();
    let file = std::fs::File::open(path).unwrap();
    file.try_lock().expect("the guard is free");
    std::process::Command::new("/bin/sh").args(["-c", command]).stdin(Stdio::from(file)).spawn().unwrap()
}

#[tokio::test]
async fn a_hook_waits_for_the_hooks_a_killed_run_left_running_and_reads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, done) = (dir.path().join("journal.hooks.lock"), dir.path().join("done"));
    let mut orphan = left_running(&guard, &format!("sleep 1; touch '{}'", done.display()));
    let check = script(dir.path(), "check", &format!("test -e '{}' && test -z \"$(cat)\"", done.display()));
    let hook = sh(&check).guard(Arc::new(HookGuard::new(&guard)));
    let report = hook.run(&request("old-1")).await;
    assert_eq!(report.end, HookEnd::Succeeded, "ran while the killed run's hook ran: {}", report.output);
    assert!(orphan.wait().unwrap().success());
    // Held by this run now: its own hooks share it.
    assert!(hook.run(&request("old-2")).await.succeeded());
}

#[tokio::test]
async fn a_hook_left_running_past_the_timeout_stops_the_host_unrun() {
    let dir = tempfile::tempdir().unwrap();
    let (guard, ran) = (dir.path().join("journal.hooks.lock"), dir.path().join("ran"));
    let mut orphan = left_running(&guard, "sleep 30");
    let hook = sh(&script(dir.path(), "hook", &format!("touch '{}'", ran.display())))
        .guard(Arc::new(HookGuard::new(&guard)))
        .timeout(Duration::from_millis(500));
    let report = hook.run(&request("old-1")).await;
    orphan.kill().unwrap();
    orphan.wait().unwrap();
    assert!(matches!(report.end, HookEnd::Failed { status: None, .. }), "{report:?}");
    assert!(report.output.contains("still hold") && report.output.contains("journal.hooks.lock"), "{}", report.output);
    assert!(!ran.exists());
}
