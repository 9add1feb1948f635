/*!
The end of the demo: each run's report (tables of its servers and old
hosts, or every [`Report`] in one document with `-f json|yaml`), a short
account of what happened in each pair of regions, and the verdict: did it
go as the scenario designed it?
*/

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cutover_core::plan::rules::strategy_name;
use cutover_core::plan::{Plan, ServerRecord};
use cutover_engine::{Outcome, Report, ServerReport};
use serde_json::json;

use super::script::PartDone;
use crate::output::{Format, Listing, Printer};

/// The reports in one document (`-f json|yaml`: a list), else a table each.
pub fn print_reports(printer: &Printer, format: Format, reports: &[&Report]) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(reports)?),
        Format::Yaml => print!("{}", yaml_serde::to_string(reports)?),
        Format::Table | Format::Csv => {
            for report in reports {
                if format == Format::Table {
                    println!("\n{} -> {} (migration {}):", report.old_region, report.new_region, report.migration);
                }
                print_table(printer, report)?;
                if format == Format::Table && !report.hosts.is_empty() {
                    print_hosts(printer, report)?;
                }
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

fn print_hosts(printer: &Printer, report: &Report) -> anyhow::Result<()> {
    let mut listing = Listing::new(["Old host", "Stage", "Hand-off", "Reason"]);
    for h in &report.hosts {
        listing.push([json!(h.host), json!(h.stage), json!(h.hook), json!(h.reason)]);
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

/// A few lines for a person about one pair of regions: moves per
/// strategy, what was rolled back and why and how it moved in the end,
/// the addresses kept, downtime, API calls, the hosts handed off (when
/// each joined, what it brought), the new region's room, what retire
/// deleted, makespan (with what times would be on a real cloud when the
/// time scale is not 0).
pub fn what_happened(done: &PartDone, scale: f64) -> String {
    let scale = Scale(scale);
    let mut text = format!("What happened ({}):\n", done.part.mode);
    runs(&mut text, done);
    let moved: Vec<&ServerReport> = done.runs.iter().flat_map(|r| moved(&r.report)).collect();
    let plans: Vec<&Plan> = done.runs.iter().map(|r| &r.plan).collect();
    if let Some(kept) = addresses_kept(&plans, &moved) {
        let _ = writeln!(text, "- {kept}");
    }
    downtime(&mut text, done.part.new_region, &moved, scale);
    if !moved.is_empty() {
        let calls: f64 = moved.iter().map(|s| s.api_calls).sum::<f64>() / moved.len() as f64;
        let all: f64 = done.runs.iter().map(|r| r.report.totals.api_calls).sum();
        let _ = writeln!(
            text,
            "- API calls per moved server: {calls:.1} (its actions and its share of the batched observations); {all:.0} in all",
        );
    }
    hosts_handed_off(&mut text, done, scale);
    room(&mut text, done, scale);
    retired(&mut text, done);
    let makespans: Vec<String> = done.runs.iter().map(|r| format!("{:.1} s", r.makespan.as_secs_f64())).collect();
    let total: f64 = done.runs.iter().map(|r| r.makespan.as_secs_f64()).sum();
    let _ = writeln!(text, "- makespan: {}{}", makespans.join(" + "), scale.real(total));
    text
}

/// The demo's time scale, to tell what a time would be on a real cloud.
#[derive(Clone, Copy)]
struct Scale(f64);

impl Scale {
    /// " (~12 min on a real cloud)", or nothing at time scale 0.
    fn real(self, secs: f64) -> String {
        match self.0 > 0.0 {
            true => format!(" (~{} on a real cloud)", human(secs / self.0)),
            false => String::new(),
        }
    }
}

/// Each run's moves: per strategy, and the servers that did not move.
fn runs(text: &mut String, done: &PartDone) {
    for (i, ran) in done.runs.iter().enumerate() {
        let report = &ran.report;
        let moved: Vec<&ServerReport> = moved(report).collect();
        let strategies = by_strategy(&moved);
        let _ = match (i, &done.part.fault) {
            (0, _) | (_, None) => writeln!(
                text,
                "- {} of {} servers moved from {} to {}: {strategies}.",
                moved.len(),
                report.servers.len(),
                report.old_region,
                report.new_region,
            ),
            (_, Some(fault)) => writeln!(
                text,
                "- once {} was repaired, a second plan ({}) moved {}: {strategies}.",
                fault.new_host,
                report.migration,
                names(&moved),
            ),
        };
        for s in report.servers.iter().filter(|s| s.result != Outcome::Moved) {
            let reason = s.reason.as_deref().unwrap_or("no reason recorded");
            let _ = writeln!(text, "- {} {} ({}, host {}): {reason}", outcome(s.result), s.name, s.project, s.host);
            if let (Outcome::RolledBack, Some(id)) = (s.result, &s.new_id) {
                let _ = writeln!(text, "  restored in {} as server {id}", report.old_region);
            }
        }
    }
}

fn downtime(text: &mut String, new_region: &str, moved: &[&ServerReport], scale: Scale) {
    let mut downtimes: Vec<i64> = moved.iter().filter_map(|s| s.downtime_secs).collect();
    downtimes.sort_unstable();
    let (Some(&min), Some(&max)) = (downtimes.first(), downtimes.last()) else { return };
    let median = downtimes[downtimes.len() / 2];
    let real = match scale.0 > 0.0 {
        true => format!(
            " (~{} / {} / {} on a real cloud)",
            human(min as f64 / scale.0),
            human(median as f64 / scale.0),
            human(max as f64 / scale.0)
        ),
        false => String::new(),
    };
    let _ = writeln!(
        text,
        "- downtime per moved server (stop -> verified in {new_region}): min {min} s, median {median} s, max {max} s{real}"
    );
}

/// The new region's hosts before and after, and the servers that waited
/// for the room the old hosts brought.
fn room(text: &mut String, done: &PartDone, scale: Scale) {
    let new_region = done.part.new_region;
    let ((hosts_before, before), (hosts_after, after)) = (done.new_before, done.new_after);
    let waits: Vec<String> = done
        .runs
        .iter()
        .enumerate()
        .filter_map(|(i, ran)| {
            let (most, until) = ran.waited_for_room?;
            let secs = until.as_secs_f64();
            let run = run_name(done, i);
            Some(format!("{most} servers waited for room there until {secs:.1} s into {run}{}", scale.real(secs)))
        })
        .collect();
    let _ = match waits.is_empty() {
        true => writeln!(
            text,
            "- {new_region} grew from {hosts_before} compute hosts ({before}) to {hosts_after} ({after}) as the old hosts joined it"
        ),
        false => writeln!(
            text,
            "- {new_region} started with {hosts_before} compute hosts ({before}), room for part of the servers: \
             {}, when a redeployed old host had brought room; it ends with {hosts_after} ({after})",
            waits.join("; ")
        ),
    };
}

/// What retire deleted, and whether any old Nova service is left.
fn retired(text: &mut String, done: &PartDone) {
    let _ = match &done.retired {
        Ok((before, left)) => {
            let deleted: Vec<&str> = before.iter().filter(|s| !left.contains(s)).map(String::as_str).collect();
            let left = match left.is_empty() {
                true => "no old Nova service is left".to_string(),
                false => format!("left: {}", left.join(", ")),
            };
            writeln!(
                text,
                "- retire deleted what {}'s Nova still listed ({}); {left}",
                done.part.old_region,
                deleted.join(", ")
            )
        }
        Err(why) => writeln!(text, "- retire failed: {why}"),
    };
}

fn moved(report: &Report) -> impl Iterator<Item = &ServerReport> {
    report.servers.iter().filter(|s| s.result == Outcome::Moved)
}

/// "6 by redeploy, 19 by snapshot, 4 by volume".
fn by_strategy(moved: &[&ServerReport]) -> String {
    let mut by_strategy: BTreeMap<&str, usize> = BTreeMap::new();
    for s in moved {
        *by_strategy.entry(strategy_name(s.strategy)).or_default() += 1;
    }
    by_strategy.iter().map(|(name, n)| format!("{n} by {name}")).collect::<Vec<_>>().join(", ")
}

fn names(servers: &[&ServerReport]) -> String {
    servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// A line per old host handed off, as the last run that stepped it left
/// it: when it joined the new region (into that run) and what it brought;
/// or where it stopped.
fn hosts_handed_off(text: &mut String, done: &PartDone, scale: Scale) {
    let mut last: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, ran) in done.runs.iter().enumerate() {
        last.extend(ran.report.hosts.iter().map(|h| (h.host.as_str(), i)));
    }
    let mut lines = Vec::new();
    for (i, ran) in done.runs.iter().enumerate() {
        let run = run_name(done, i);
        for host in ran.report.hosts.iter().filter(|h| last.get(h.host.as_str()) == Some(&i)) {
            let name = &host.host;
            let spare =
                if ran.spares.contains(name.as_str()) { " (the spare, kept until every server had moved)" } else { "" };
            let joined = ran.hosts.get(name.as_str()).and_then(|t| t.joined);
            let line = match (joined, done.joined.get(name.as_str())) {
                (Some(at), Some(capacity)) => {
                    let secs = at.as_secs_f64();
                    let into = format!("{secs:.1} s into {run}{}", scale.real(secs));
                    ((i, at), format!("{name}{spare} joined {} {into}, bringing {capacity}", done.part.new_region))
                }
                _ => {
                    let why = host.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
                    ((i, std::time::Duration::MAX), format!("{name}{spare}: {} after {run}{why}", host.stage))
                }
            };
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return;
    }
    lines.sort();
    let _ = writeln!(
        text,
        "- old hosts, each verified empty twice, redeployed into {} and seen joining it, its old nova-compute record then deleted:",
        done.part.new_region
    );
    for (_, line) in lines {
        let _ = writeln!(text, "    {line}");
    }
}

/// "the run" when there was one, else "the first run", "the second run".
fn run_name(done: &PartDone, i: usize) -> String {
    match (done.runs.len(), i) {
        (1, _) => "the run".into(),
        (_, 0) => "the first run".into(),
        (_, 1) => "the second run".into(),
        (_, n) => format!("run {}", n + 1),
    }
}

/// What the moved servers kept of their addresses, as the plan recorded
/// them (a rebuild is verified with them: Nova boots it on the fixed IPs
/// asked for or refuses, and a move ends only once its floating addresses
/// are on it); `None` when they had none.
fn addresses_kept(plans: &[&Plan], moved: &[&ServerReport]) -> Option<String> {
    let records: Vec<_> = plans
        .iter()
        .flat_map(|plan| plan.servers().map(|(_, s)| &s.server))
        .filter(|r| moved.iter().any(|m| m.old_id == r.id))
        .collect();
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

/// Ok when the part went as the scenario designed it: every server of the
/// first run moved but the one the fault hits, rolled back there and moved
/// by the second; every old host joined the new region and had its old
/// record deleted; retire left no old Nova service. Otherwise what went
/// otherwise.
pub fn as_designed(done: &PartDone) -> anyhow::Result<()> {
    let failing = done.part.fault.as_ref().map(|f| f.server);
    let mut unexpected = Vec::new();
    for (i, ran) in done.runs.iter().enumerate() {
        let expected = |name: &str| match i == 0 && Some(name) == failing {
            true => Outcome::RolledBack,
            false => Outcome::Moved,
        };
        for s in ran.report.servers.iter().filter(|s| s.result != expected(&s.name)) {
            unexpected.push(format!("{} {}", s.name, outcome(s.result)));
        }
    }
    // Each host where the last run that stepped it left it.
    let mut hosts: BTreeMap<&str, &str> = BTreeMap::new();
    for ran in &done.runs {
        hosts.extend(ran.plan.hosts.iter().map(|h| (h.name.as_str(), "not handed off")));
        hosts.extend(ran.report.hosts.iter().map(|h| (h.host.as_str(), h.stage.as_str())));
    }
    unexpected
        .extend(hosts.iter().filter(|(_, stage)| **stage != "retired-old").map(|(h, stage)| format!("{h} {stage}")));
    match &done.retired {
        Ok((_, left)) => unexpected.extend(left.iter().map(|s| format!("{s} not retired"))),
        Err(why) => unexpected.push(format!("retire failed: {why}")),
    }
    let designed = match failing {
        Some(failing) => format!("all moved, {failing} after a rollback and a repair; every host handed off; retired"),
        None => "all moved; every host handed off; retired".into(),
    };
    match unexpected.is_empty() {
        true => Ok(()),
        false => Err(anyhow::anyhow!(
            "the demo did not go as designed in {} ({designed}): {}",
            done.part.mode,
            unexpected.join(", ")
        )),
    }
}
