//! Snapshots of every format for a sample listing and record, and the
//! behaviour around them (column selection, colors, empty lists).

use serde::Serialize;
use serde_json::json;

use super::*;

fn printer(format: Format, columns: &[&str], color: bool) -> Printer {
    Printer { format, columns: columns.iter().map(|c| c.to_string()).collect(), color, stderr: false }
}

fn render(format: Format, output: impl Into<Output>) -> String {
    printer(format, &[], false).render(output.into()).unwrap()
}

#[derive(Serialize)]
struct Host {
    #[serde(rename = "Host")]
    host: String,
    #[serde(rename = "Servers")]
    servers: u32,
    #[serde(rename = "Status")]
    status: &'static str,
    #[serde(rename = "Note")]
    note: Option<String>,
    #[serde(rename = "Zones")]
    zones: Vec<&'static str>,
}

/// Field order on purpose not alphabetical; a comma, a quote, a newline and
/// a wide character to exercise quoting and alignment.
fn sample() -> Listing {
    Listing::from_records(&[
        Host { host: "cmp-1".into(), servers: 12, status: "ok", note: None, zones: vec!["nova"] },
        Host {
            host: "cmp-10".into(),
            servers: 3,
            status: "warn",
            note: Some("disk \"sdb\", degraded".into()),
            zones: vec!["az1", "az2"],
        },
        Host {
            host: "cmp-ü2".into(),
            servers: 0,
            status: "fail",
            note: Some("down\nsince 09:00".into()),
            zones: vec![],
        },
    ])
    .unwrap()
    .status_column("Status")
}

fn sample_record() -> Record {
    Record::new()
        .field("id", "5b0e…")
        .field("name", "web-1")
        .field("flavor", json!({"name": "m1.small", "vcpus": 1}))
        .field("volumes", json!(["a", "b"]))
        .field("locked", false)
        .field("description", Value::Null)
}

#[test]
fn listing_as_table() {
    insta::assert_snapshot!(render(Format::Table, sample()));
}

#[test]
fn listing_as_json() {
    insta::assert_snapshot!(render(Format::Json, sample()));
}

#[test]
fn listing_as_yaml() {
    insta::assert_snapshot!(render(Format::Yaml, sample()));
}

#[test]
fn listing_as_csv() {
    insta::assert_snapshot!(render(Format::Csv, sample()));
}

#[test]
fn record_as_table() {
    insta::assert_snapshot!(render(Format::Table, sample_record()));
}

#[test]
fn record_as_json() {
    insta::assert_snapshot!(render(Format::Json, sample_record()));
}

#[test]
fn record_as_yaml() {
    insta::assert_snapshot!(render(Format::Yaml, sample_record()));
}

#[test]
fn record_as_csv() {
    insta::assert_snapshot!(render(Format::Csv, sample_record()));
}

#[test]
fn columns_are_picked_in_the_order_asked() {
    let text = printer(Format::Csv, &["status", "Host"], false).render(sample().into()).unwrap();
    assert_eq!(text, "Status,Host\nok,cmp-1\nwarn,cmp-10\nfail,cmp-ü2\n");
    let text = printer(Format::Json, &["name"], false).render(sample_record().into()).unwrap();
    assert_eq!(text, "{\n  \"name\": \"web-1\"\n}\n");
}

#[test]
fn an_unknown_column_is_bad_input() {
    let err = printer(Format::Table, &["Hots"], false).render(sample().into()).unwrap_err();
    assert!(err.downcast_ref::<crate::errors::InputError>().is_some());
    assert_eq!(err.to_string(), "no column 'Hots'; the columns are 'Host', 'Servers', 'Status', 'Note', 'Zones'");
}

#[test]
fn status_cells_are_colored_only_when_asked() {
    let colored = printer(Format::Table, &[], true).render(sample().into()).unwrap();
    assert!(colored.contains("\x1b[32mok\x1b[0m  ") && colored.contains("\x1b[31mfail\x1b[0m"), "{colored}");
    let plain = render(Format::Table, sample());
    assert!(!plain.contains('\x1b'));
    assert_eq!(strip_ansi(&colored), plain, "colors do not move the borders");
}

fn strip_ansi(text: &str) -> String {
    ["\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"].iter().fold(text.to_string(), |t, code| t.replace(code, ""))
}

#[test]
fn an_empty_listing() {
    let empty = Listing::from_records::<Host>(&[]).unwrap();
    assert_eq!(render(Format::Table, empty.clone()), "");
    assert_eq!(render(Format::Json, empty.clone()), "[]\n");
    assert_eq!(render(Format::Yaml, empty.clone()), "[]\n");
    assert_eq!(render(Format::Csv, empty), "");
    let headed = Listing::new(["Host", "Status"]);
    assert_eq!(render(Format::Csv, headed.clone()), "Host,Status\n");
    assert_eq!(render(Format::Table, headed), "");
}

#[test]
fn rows_are_fitted_to_the_columns_and_failures_found() {
    let l = Listing::new(["A", "Status"]).row([json!(1)]).row([json!(2), json!("FAIL"), json!("extra")]);
    assert_eq!(l.rows(), &[vec![json!(1), Value::Null], vec![json!(2), json!("FAIL")]]);
    assert_eq!(l.failures(), 0, "no status column declared");
    assert_eq!(l.status_column("Status").failures(), 1);
}

#[test]
fn a_broken_pipe_is_recognised_through_context() {
    let err = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe)).context("writing to stdout");
    assert!(is_broken_pipe(&err));
    assert!(!is_broken_pipe(&anyhow::anyhow!("broken pipe")));
}
