/*!
The plan file: YAML with a header comment telling the operator how to edit
it. Loading a bad file (unreadable, not YAML, an unknown key or strategy)
is one [`InputError`] with the file's line and column; writing never
replaces an existing file unless asked.
*/

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use cutover_core::plan::planner::DRAIN_ORDER;
use cutover_core::plan::Plan;

use crate::errors::InputError;

/// Reads and parses a plan file.
pub fn load(path: &Path) -> Result<Plan, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read plan file {}: {e}", path.display())))?;
    parse(&text).map_err(|e| InputError(format!("plan file {}:{e}", path.display())))
}

/// Parses a plan; the error is one line, `LINE:COLUMN: message`.
pub fn parse(text: &str) -> Result<Plan, String> {
    yaml_serde::from_str(text).map_err(|e| {
        let message = e.to_string();
        match e.location() {
            Some(at) => {
                // yaml_serde appends the position to its message; it goes first here.
                let suffix = format!(" at line {} column {}", at.line(), at.column());
                let message = message.replace(&suffix, "");
                format!("{}:{}: {}", at.line(), at.column(), cutover_core::quote::one_line(&message))
            }
            None => format!(" {}", cutover_core::quote::one_line(&message)),
        }
    })
}

/// The comment the file opens with.
fn header(plan: &Plan) -> String {
    let c = &plan.clouds;
    format!(
        "\
# cutover plan {migration}, made {created} for cloud {cloud} ({url}): {old} -> {new}.
#
# Hosts are listed in drain order (reorder them to drain in another order):
#   {DRAIN_ORDER}.
# Each server has a strategy (redeploy, snapshot, volume,
# wait), `why` (the rule that chose it) and `warnings` (what its guest will
# notice after the move). To change how a server moves, edit its `strategy`;
# to leave it where it is, make it `wait` (its host is then not emptied
# until its owner deletes it). Do not edit the `server:` records: they are
# what the old region holds and what each server is rebuilt from.
# `unplanned` lists servers that could not be planned (error state, task in
# progress): their hosts cannot be emptied; deal with them and plan again.
#
# `cutover plan --show FILE` prints this plan as a table; `cutover plan
# --check FILE` checks it against the clouds (every server still where and
# as planned, each strategy possible) and names what no longer fits.
",
        migration = plan.migration,
        created = plan.created_at,
        cloud = c.cloud,
        url = c.auth_url,
        old = c.old_region,
        new = c.new_region,
    )
}

/// Writes the plan to `path`: an existing file only with `force`. The
/// YAML is streamed (a plan of 100,000 servers is some 150 MB of it) into
/// a temporary file beside `path`, which takes its name only once whole:
/// a failed write leaves nothing behind.
pub fn write(path: &Path, plan: &Plan, force: bool) -> anyhow::Result<()> {
    let exists = || {
        anyhow::Error::new(InputError(format!(
            "{} exists: give --force to overwrite it, or another file",
            path.display()
        )))
    };
    if !force && path.exists() {
        return Err(exists());
    }
    let cannot =
        |e: std::io::Error| anyhow::Error::new(e).context(format!("cannot write plan file {}", path.display()));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new().prefix(".cutover-plan-").tempfile_in(dir).map_err(cannot)?;
    // As a file made the usual way would be (tempfile makes them private).
    std::fs::set_permissions(file.path(), std::os::unix::fs::PermissionsExt::from_mode(0o644)).map_err(cannot)?;
    let mut out = std::io::BufWriter::new(file.as_file_mut());
    out.write_all(header(plan).as_bytes()).map_err(cannot)?;
    yaml_serde::to_writer(&mut out, plan).context("rendering the plan as YAML")?;
    out.flush().map_err(cannot)?;
    drop(out);
    let kept = if force { file.persist(path) } else { file.persist_noclobber(path) };
    kept.map(drop).map_err(|e| match e.error.kind() {
        std::io::ErrorKind::AlreadyExists => exists(),
        _ => cannot(e.error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_line_and_column_on_one_line() {
        let e = parse("version: 1\nmigration: m\nbogus: [\n").unwrap_err();
        assert!(!e.contains('\n') && e.split(':').next().unwrap().parse::<u32>().is_ok(), "{e}");
        let e = parse("version: 1\nmigration: m\ncolour: red\n").unwrap_err();
        assert!(e.starts_with("3:1: unknown field `colour`"), "{e}");
        assert!(!e.contains(" at line "), "{e}");
    }
}
