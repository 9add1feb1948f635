/*!
A run's report as `cutover run` (at the end) and `cutover status` print it:
a table of servers per phase, one row per server, the old hosts (where
the run stepped them) and the totals; with
`-f json`/`-f yaml` the engine's `Report` as it is; with `-f csv` the
server rows.
*/

use cutover_engine::{Outcome, Report, ServerReport};
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::output::{Format, Listing, Record};

pub fn print(report: &Report, ctx: &Ctx) -> anyhow::Result<()> {
    match ctx.out.format() {
        Format::Json | Format::Yaml => ctx.out.print_document(report),
        Format::Csv => ctx.out.print(servers(report)),
        Format::Table if ctx.out.has_columns() => ctx.out.print(servers(report)),
        Format::Table => {
            ctx.out.print(phases(report))?;
            ctx.out.print(servers(report))?;
            if !report.hosts.is_empty() {
                ctx.out.print(hosts(report))?;
            }
            ctx.out.print(totals(report))
        }
    }
}

fn phases(report: &Report) -> Listing {
    let mut listing = Listing::new(["Phase", "Servers"]);
    for count in &report.phases {
        listing.push([json!(count.phase), json!(count.servers)]);
    }
    listing
}

fn servers(report: &Report) -> Listing {
    let mut listing = Listing::new([
        "Old ID",
        "Name",
        "Host",
        "Strategy",
        "Phase",
        "Result",
        "New ID",
        "Downtime",
        "API calls",
        "Reason",
    ]);
    for s in &report.servers {
        listing.push([
            json!(s.old_id),
            json!(s.name),
            json!(s.host),
            json!(s.strategy),
            json!(s.phase),
            json!(outcome(s.result)),
            json!(s.new_id),
            s.downtime_secs.map_or(Value::Null, |d| json!(format!("{d}s"))),
            json!(s.api_calls),
            json!(reason(s)),
        ]);
    }
    listing
}

/// The reason it ended as it did, and what the move could not keep.
fn reason(s: &ServerReport) -> Option<String> {
    let warning = s.warning.as_ref().map(|w| format!("warning: {w}"));
    match (&s.reason, warning) {
        (Some(reason), Some(warning)) => Some(format!("{reason}; {warning}")),
        (reason, warning) => reason.clone().or(warning),
    }
}

fn hosts(report: &Report) -> Listing {
    let mut listing = Listing::new(["Old host", "Stage", "Hook", "Reason"]);
    for h in &report.hosts {
        listing.push([json!(h.host), json!(h.stage), json!(h.hook), json!(h.reason)]);
    }
    listing
}

fn totals(report: &Report) -> Record {
    let t = &report.totals;
    let record = Record::new()
        .field("migration", report.migration.as_str())
        .field("journal", report.journal.as_str())
        .field("servers", t.servers)
        .field("moved", t.moved)
        .field("rolled back", t.rolled_back)
        .field("failed", t.failed)
        .field("held", t.held)
        .field("unfinished", t.unfinished)
        .field("downtime max", t.downtime_max_secs.map_or(Value::Null, |d| json!(format!("{d}s"))))
        .field("downtime mean", t.downtime_mean_secs.map_or(Value::Null, |d| json!(format!("{d}s"))))
        .field("API calls", t.api_calls)
        .field("API calls per moved server", json!(t.api_calls_per_moved_server));
    match report.hosts_enabled_for_rebuild.is_empty() {
        true => record,
        // Disabled again by the next run or rollback: the operator should know.
        false => record.field("old hosts enabled for a rebuild", report.hosts_enabled_for_rebuild.join(", ")),
    }
}

fn outcome(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Moved => "moved",
        Outcome::RolledBack => "rolled back",
        Outcome::Failed => "failed",
        Outcome::Held => "held",
        Outcome::Unfinished => "unfinished",
    }
}
