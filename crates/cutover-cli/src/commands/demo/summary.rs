/*!
The end of the demo: each run's report (a table of servers per pair of
regions, or every [`Report`] in one document with `-f json|yaml`), a short
account of what happened in each, and the verdict: did it go as the
scenario designed it?
*/

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use cutover_core::plan::rules::strategy_name;
use cutover_core::plan::{Plan, ServerRecord};
use cutover_engine::{Outcome, Report, ServerReport};
use serde_json::json;

use crate::output::{Format, Listing, Printer};

/// The reports in one document (`-f json|yaml`: a list), else a table each.
pub fn print_reports(printer: &Printer, format: Format, reports: &[&Report]) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(reports)?),
        Format::Yaml => print!("{}", serde_yaml::to_string(reports)?),
        Format::Table | Format::Csv => {
            for report in reports {
                if format == Format::Table {
                    println!("\n{} -> {} (migration {}):", report.old_region, report.new_region, report.migration);
                }
                print_table(printer, report)?;
            }
        }
    }
    Ok(())
}

fn print_table(printer: &Printer, report: &Report) -> anyhow::Result<()> {
    let mut listing =
        Listing::new(["Name", "Host", "Strategy", "Result", "Downtime (s)", "API calls", "New id", "Reason"]);
    for s in &report.servers {
        listing.push([
            json!(s.name),
            json!(s.host),
            json!(strategy_name(s.strategy)),
            json!(outcome(s.result)),
            json!(s.downtime_secs),
            json!(s.api_calls),
            json!(s.new_id),
            json!(s.reason),
        ]);
    }
    printer.print(listing)
}

fn outcome(result: Outcome) -> &'static str {
    match result {
        Outcome::Moved => "moved",
        Outcome::RolledBack => "rolled back",
        Outcome::Failed => "failed",
        Outcome::Held => "held",
        Outcome::Unfinished => "unfinished",
    }
}

/// A few lines for a person about one pair of regions (`mode`: its
/// networking): moves per strategy, what was rolled back and why, the
/// addresses kept, downtime, API calls, makespan (with what they would be
/// on a real cloud when the time scale is not 0).
pub fn what_happened(mode: &str, report: &Report, plan: &Plan, makespan: Duration, scale: f64) -> String {
    let real = |secs: f64| match scale > 0.0 {
        true => format!(" (~{} on a real cloud)", human(secs / scale)),
        false => String::new(),
    };
    let moved: Vec<&ServerReport> = report.servers.iter().filter(|s| s.result == Outcome::Moved).collect();
    let mut by_strategy: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &moved {
        *by_strategy.entry(strategy_name(s.strategy)).or_default() += 1;
    }
    let strategies: Vec<String> = by_strategy.iter().map(|(name, n)| format!("{n} by {name}")).collect();
    let mut text = format!("What happened ({mode}):\n");
    let _ = writeln!(
        text,
        "- {} of {} servers moved from {} to {}: {}.",
        moved.len(),
        report.servers.len(),
        report.old_region,
        report.new_region,
        strategies.join(", ")
    );
    for s in report.servers.iter().filter(|s| s.result != Outcome::Moved) {
        let reason = s.reason.as_deref().unwrap_or("no reason recorded");
        let _ = writeln!(text, "- {} {} ({}, host {}): {reason}", outcome(s.result), s.name, s.project, s.host);
        if let (Outcome::RolledBack, Some(id)) = (s.result, &s.new_id) {
            let _ = writeln!(text, "  restored in {} as server {id}", report.old_region);
        }
    }
    if let Some(kept) = addresses_kept(plan, &moved) {
        let _ = writeln!(text, "- {kept}");
    }
    let mut downtimes: Vec<i64> = moved.iter().filter_map(|s| s.downtime_secs).collect();
    downtimes.sort_unstable();
    if let (Some(min), Some(max)) = (downtimes.first(), downtimes.last()) {
        let median = downtimes[downtimes.len() / 2];
        let _ = writeln!(
            text,
            "- downtime per moved server (stop -> verified in {}): min {min} s, median {median} s, max {max} s{}",
            report.new_region,
            match scale > 0.0 {
                true => format!(
                    " (~{} / {} / {} on a real cloud)",
                    human(*min as f64 / scale),
                    human(median as f64 / scale),
                    human(*max as f64 / scale)
                ),
                false => String::new(),
            }
        );
    }
    if let Some(per_server) = report.totals.api_calls_per_moved_server {
        let _ = writeln!(
            text,
            "- API calls per moved server: {per_server:.1} (its actions and its share of the batched observations); {:.0} in all",
            report.totals.api_calls
        );
    }
    let _ = writeln!(text, "- makespan: {:.1} s{}", makespan.as_secs_f64(), real(makespan.as_secs_f64()));
    text
}

/// What the moved servers kept of their addresses, as the plan recorded
/// them (a rebuild is verified with them: Nova boots it on the fixed IPs
/// asked for or refuses, and a move ends only once its floating addresses
/// are on it); `None` when they had none.
fn addresses_kept(plan: &Plan, moved: &[&ServerReport]) -> Option<String> {
    let records: Vec<_> =
        plan.servers().map(|(_, s)| &s.server).filter(|r| moved.iter().any(|m| m.old_id == r.id)).collect();
    let count = |n: fn(&ServerRecord) -> usize| records.iter().map(|r| n(r)).sum::<usize>();
    let (ports, fixed) = (count(|r| r.ports.len()), count(|r| r.fixed_networks.len()));
    let floating = count(|r| r.floating_ips.len());
    match (ports, fixed) {
        (0, 0) => None,
        (_, 0) => Some(format!(
            "addresses kept: {ports} Neutron ports (id, MAC, fixed IPs) taken over or recreated, \
             {floating} floating IPs with them"
        )),
        _ => Some(format!(
            "addresses kept: {fixed} fixed IPs asked for again at boot, {floating} floating addresses \
             (recreated by sync in the project) added back; MAC addresses are new (nova-network cannot choose them)"
        )),
    }
}

/// "12 min", "1.5 h", "40 s".
fn human(secs: f64) -> String {
    match secs {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7200.0 => format!("{:.0} min", s / 60.0),
        s => format!("{:.1} h", s / 3600.0),
    }
}

/// Ok when every server moved but `failing`, which was rolled back (the
/// fault the scenario injects); otherwise what went otherwise.
pub fn as_designed(mode: &str, report: &Report, failing: Option<&str>) -> anyhow::Result<()> {
    let unexpected: Vec<String> = report
        .servers
        .iter()
        .filter(|s| match Some(s.name.as_str()) == failing {
            true => s.result != Outcome::RolledBack,
            false => s.result != Outcome::Moved,
        })
        .map(|s| format!("{} {}", s.name, outcome(s.result)))
        .collect();
    let designed = match failing {
        Some(failing) => format!("all moved but {failing}, rolled back"),
        None => "all moved".into(),
    };
    match unexpected.is_empty() {
        true => Ok(()),
        false => {
            Err(anyhow::anyhow!("the demo did not go as designed in {mode} ({designed}): {}", unexpected.join(", ")))
        }
    }
}
