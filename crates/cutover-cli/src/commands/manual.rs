/*!
`cutover completions SHELL` and `cutover man`: shell completion scripts
and man pages generated from the CLI's own definition (clap's
`clap_complete` and `clap_mangen`), so they never drift from `--help`.
*/

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::errors::InputError;

pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    // Into memory first: the generator panics on a failed write, and a
    // reader gone away (`| head`) is no error (`output::is_broken_pipe`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cutover", &mut script);
    print(&script).context("writing the completion script")
}

fn print(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// The main page on stdout, or every command's page into `dir`.
pub fn man(dir: Option<&Path>) -> anyhow::Result<()> {
    let command = Cli::command();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page).context("rendering the man page")?;
        return print(&page).context("writing the man page");
    };
    if !dir.is_dir() {
        return Err(InputError(format!("--dir {}: not a directory", dir.display())).into());
    }
    clap_mangen::generate_to(command, dir).with_context(|| format!("writing the man pages into {}", dir.display()))
}
