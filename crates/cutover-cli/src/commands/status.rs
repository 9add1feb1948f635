/*!
`cutover status`: a run's progress from its journal alone — servers per
phase, one row per server, the totals. Reads without the run's lock, so it
works while `cutover run` is going; never calls a cloud.
*/

use anyhow::Context as _;
use cutover_engine::Report;

use super::{plan_file, report};
use crate::cli::StatusArgs;
use crate::ctx::Ctx;
use crate::errors::InputError;

pub fn run(args: StatusArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let path = match (&args.journal, &args.plan) {
        (Some(journal), _) => journal.clone(),
        (None, Some(plan)) => plan_file::journal_path(plan, None),
        (None, None) => return Err(InputError("give a plan or --journal PATH".into()).into()),
    };
    if !path.exists() {
        return Err(InputError(format!("no journal at {} (has `cutover run` started?)", path.display())).into());
    }
    let report = Report::read(&path).with_context(|| format!("reading journal {}", path.display()))?;
    report::print(&report, ctx)
}
