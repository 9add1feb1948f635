/*!
How commands print data: `-f table|json|yaml|csv` and `-c NAME` (repeatable)
for every command, as in the openstack client. A command builds a
[`Listing`] or a [`Record`] and hands it to the [`Printer`]; nothing else
writes results to stdout (logs go to stderr).

```ignore
// a list: columns, then rows of anything that converts to serde_json::Value
let listing = Listing::new(["Host", "Servers", "Status"])
    .row([json!("cmp-1"), json!(4), json!("ok")])
    .status_column("Status");          // ok/warn/fail colored on a terminal
ctx.out.print(listing)?;
// or from records: one column per field, in declaration order
let listing = Listing::from_records(&hosts)?;   // hosts: Vec<impl Serialize>
// one thing, shown as a Field/Value table like `openstack server show`
ctx.out.print(Record::new().field("cloud", "prod").field("servers", 12))?;
// checks: prints, then exit status 3 when a status cell says `fail`
ctx.out.print_checks(listing)?;
```

Formats: `table` (the default; an empty listing prints nothing), `json`
(pretty: an array of objects, or one object), `yaml`, `csv` (a header row,
quoted per RFC 4180 where needed). A broken pipe (`cutover ... | head`) is
not an error: `main` exits 0 quietly ([`is_broken_pipe`]).
*/

mod data;
mod table;
#[cfg(test)]
mod tests;

use std::io::{IsTerminal, Write};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::errors::ChecksFailed;

pub use data::{cell_text, Listing, Output, Record};
use table::Style;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
    Csv,
}

/// Global options of every command that prints data.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format.
    #[arg(short = 'f', long = "format", global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show only this column (repeat for more, printed in that order).
    #[arg(short = 'c', long = "column", global = true, value_name = "NAME")]
    pub columns: Vec<String>,
}

/// Renders [`Output`]s in the chosen format and writes them to stdout.
#[derive(Debug, Clone)]
pub struct Printer {
    format: Format,
    columns: Vec<String>,
    color: bool,
    /// Write to stderr instead (`cutover demo`'s phases under `-f json`).
    stderr: bool,
}

impl Printer {
    /// Colors only a table on a terminal, and never with `NO_COLOR` set.
    pub fn new(args: &OutputArgs) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = args.format == Format::Table && !no_color && std::io::stdout().is_terminal();
        Printer { format: args.format, columns: args.columns.clone(), color, stderr: false }
    }

    /// The same printer writing to stderr, in color when stderr is a terminal.
    pub fn on_stderr(mut self) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        self.color = self.format == Format::Table && !no_color && std::io::stderr().is_terminal();
        self.stderr = true;
        self
    }

    /// Prints a listing or a record. Fails with an `InputError` for an
    /// unknown `-c` column, or with the I/O error of stdout.
    pub fn print(&self, output: impl Into<Output>) -> anyhow::Result<()> {
        let text = self.render(output.into())?;
        if self.stderr {
            let mut stderr = std::io::stderr().lock();
            return stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush()).context("writing to stderr");
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")
    }

    /// Prints the results of checks (preflight, verify) and fails with
    /// [`ChecksFailed`] (exit status 3) when a status cell says `fail`.
    pub fn print_checks(&self, checks: Listing) -> anyhow::Result<()> {
        let (failed, total) = (checks.failures(), checks.rows().len());
        self.print(checks)?;
        if failed > 0 {
            return Err(ChecksFailed { failed, total }.into());
        }
        Ok(())
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// True when `-c` chose columns.
    pub fn has_columns(&self) -> bool {
        !self.columns.is_empty()
    }

    /// Prints a whole document as it serializes, for `-f json` / `-f yaml`
    /// of a command whose result is more than one listing (a run's report).
    pub fn print_document<T: Serialize>(&self, document: &T) -> anyhow::Result<()> {
        let text = match self.format {
            Format::Yaml => yaml_serde::to_string(document).context("rendering YAML")?,
            _ => serde_json::to_string_pretty(document).context("rendering JSON")? + "\n",
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")
    }

    /// The text [`Printer::print`] writes.
    pub fn render(&self, output: Output) -> anyhow::Result<String> {
        let output = output.select(&self.columns)?;
        Ok(match (self.format, &output) {
            (Format::Table, Output::Listing(l)) => {
                let status = l.status_column.as_ref().and_then(|s| l.columns.iter().position(|c| c == s));
                table::render(&l.columns, &l.rows, Style { status, color: self.color, numbers_right: true })
            }
            (Format::Table, Output::Record(r)) => {
                let headers = ["Field".to_string(), "Value".to_string()];
                let rows: Vec<Vec<Value>> =
                    r.fields.iter().map(|(n, v)| vec![Value::String(n.clone()), v.clone()]).collect();
                table::render(&headers, &rows, Style::default())
            }
            (Format::Json, output) => {
                let mut text = serde_json::to_string_pretty(&Ordered(output)).context("rendering JSON")?;
                text.push('\n');
                text
            }
            (Format::Yaml, output) => yaml_serde::to_string(&Ordered(output)).context("rendering YAML")?,
            (Format::Csv, Output::Listing(l)) => csv(&l.columns, l.rows.iter().map(|r| r.as_slice()))?,
            (Format::Csv, Output::Record(r)) => {
                let (names, values): (Vec<String>, Vec<Value>) = r.fields.iter().cloned().unzip();
                csv(&names, std::iter::once(values.as_slice()))?
            }
        })
    }
}

/// A listing with no columns (from no records) has no header either.
fn csv<'a>(headers: &[String], rows: impl Iterator<Item = &'a [Value]>) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    if !headers.is_empty() {
        w.write_record(headers).context("rendering CSV")?;
        for row in rows {
            w.write_record(row.iter().map(cell_text)).context("rendering CSV")?;
        }
    }
    let bytes = w.into_inner().context("rendering CSV")?;
    String::from_utf8(bytes).context("rendering CSV")
}

/// Serializes an [`Output`] with its keys in column order (a
/// `serde_json::Map` would sort them).
struct Ordered<'a>(&'a Output);

struct Row<'a>(&'a [String], &'a [Value]);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0.iter().zip(self.1) {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Output::Listing(l) => {
                let mut seq = s.serialize_seq(Some(l.rows.len()))?;
                for row in &l.rows {
                    seq.serialize_element(&Row(&l.columns, row))?;
                }
                seq.end()
            }
            Output::Record(r) => {
                let mut map = s.serialize_map(Some(r.fields.len()))?;
                for (k, v) in &r.fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// True when the error is stdout's reader having gone away (`| head`):
/// the output was cut short on purpose, so `main` exits 0 without a word.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// A line on stderr for the operator, unless `-q` asked for errors only.
pub fn notice(message: &str) {
    if tracing::level_filters::LevelFilter::current() >= tracing::Level::WARN {
        eprintln!("cutover: {message}");
    }
}
