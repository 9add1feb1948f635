/*!
What `cargo test` asks of a test that has its own `main` (`harness =
false`): libtest's arguments reach it too, so `--list`, a name filter
that does not name it, or a `--skip` that does, mean it runs nothing.
*/

/// Whether the test called `name` runs, given libtest's arguments.
pub fn runs(name: &str, args: &[String]) -> bool {
    // `--list` (IDEs, nextest): nothing is registered as a test.
    if args.iter().any(|a| a == "--list") {
        return false;
    }
    let (filters, skips) = words(args);
    (filters.is_empty() || filters.iter().any(|f| name.contains(f))) && !skips.iter().any(|s| name.contains(s))
}

/// The test-name filters among libtest's arguments (the words that are
/// neither a flag nor the value of one, `--test-threads 2`), and the
/// values of `--skip`.
fn words(args: &[String]) -> (Vec<&str>, Vec<&str>) {
    const TAKES_VALUE: &[&str] =
        &["--test-threads", "--skip", "--color", "--format", "--logfile", "--shuffle-seed", "-Z"];
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    let mut value_of: Option<&str> = None;
    for arg in args {
        if let Some(flag) = value_of.take() {
            if flag == "--skip" {
                skips.push(arg.as_str());
            }
        } else if let Some(skip) = arg.strip_prefix("--skip=") {
            skips.push(skip);
        } else if arg.starts_with('-') {
            value_of = TAKES_VALUE.contains(&arg.as_str()).then_some(arg.as_str());
        } else {
            filters.push(arg.as_str());
        }
    }
    (filters, skips)
}
