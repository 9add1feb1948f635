/*!
What a command prints, before it is formatted: a [`Listing`] (columns and
rows, like `openstack ... list`) or a [`Record`] (fields of one thing, like
`openstack ... show`). Cells are `serde_json::Value`s so JSON and YAML keep
their types and the table and CSV get text from [`cell_text`].
*/

use serde::Serialize;
use serde_json::Value;

use crate::errors::InputError;

/// Rows under named columns. A column's name is both the table header and
/// the key in JSON, YAML and the CSV header, as in the openstack client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Listing {
    pub(super) columns: Vec<String>,
    pub(super) rows: Vec<Vec<Value>>,
    /// A column holding ok / warn / fail, colored on a terminal.
    pub(super) status_column: Option<String>,
}

/// Named fields of one thing, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    pub(super) fields: Vec<(String, Value)>,
}

/// Either kind; [`super::Printer::print`] takes anything that converts.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Listing(Listing),
    Record(Record),
}

impl From<Listing> for Output {
    fn from(l: Listing) -> Self {
        Output::Listing(l)
    }
}

impl From<Record> for Output {
    fn from(r: Record) -> Self {
        Output::Record(r)
    }
}

#[allow(
    dead_code,
    reason = "row-by-row and from-records building: the commands so far push rows; kept for `plan --show`-like listings and tested"
)]
impl Listing {
    /// An empty listing with these columns; add rows with [`Listing::row`].
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        Listing { columns: columns.into_iter().map(Into::into).collect(), ..Listing::default() }
    }

    /// Adds a row; cells beyond the columns are dropped, missing ones are null.
    pub fn row<V: Into<Value>>(mut self, cells: impl IntoIterator<Item = V>) -> Self {
        self.push(cells);
        self
    }

    pub fn push<V: Into<Value>>(&mut self, cells: impl IntoIterator<Item = V>) {
        let mut cells: Vec<Value> = cells.into_iter().map(Into::into).take(self.columns.len()).collect();
        cells.resize(self.columns.len(), Value::Null);
        self.rows.push(cells);
    }

    /// One row per record, one column per field in declaration order (use
    /// `#[serde(rename = "Old host")]` for a header). An empty slice gives
    /// a listing without columns: nothing in a table, `[]` in JSON.
    pub fn from_records<T: Serialize>(records: &[T]) -> Result<Self, yaml_serde::Error> {
        let mut listing = Listing::default();
        for record in records {
            let fields = ordered_fields(record)?;
            for (name, _) in &fields {
                if !listing.columns.contains(name) {
                    listing.columns.push(name.clone());
                    listing.rows.iter_mut().for_each(|r| r.push(Value::Null));
                }
            }
            let row = listing
                .columns
                .iter()
                .map(|c| fields.iter().find(|(n, _)| n == c).map_or(Value::Null, |(_, v)| v.clone()))
                .collect();
            listing.rows.push(row);
        }
        Ok(listing)
    }

    /// Marks the column whose ok / warn / fail cells are colored on a
    /// terminal.
    pub fn status_column(mut self, name: impl Into<String>) -> Self {
        self.status_column = Some(name.into());
        self
    }

    /// How many rows have `fail` in the status column (none without one).
    pub fn failures(&self) -> usize {
        let Some(i) = self.status_column.as_ref().and_then(|s| self.columns.iter().position(|c| c == s)) else {
            return 0;
        };
        self.rows.iter().filter(|r| r[i].as_str().is_some_and(|s| s.eq_ignore_ascii_case("fail"))).count()
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    fn select(mut self, wanted: &[String]) -> Result<Self, InputError> {
        let picks = pick_columns(&self.columns, wanted)?;
        self.rows = self.rows.into_iter().map(|row| picks.iter().map(|&i| row[i].clone()).collect()).collect();
        self.columns = picks.iter().map(|&i| self.columns[i].clone()).collect();
        Ok(self)
    }
}

impl Record {
    pub fn new() -> Self {
        Record::default()
    }

    /// Adds a field.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// The fields of a struct in declaration order.
    #[allow(dead_code, reason = "records from any Serialize value: no show command uses it yet; tested")]
    pub fn from_serialize<T: Serialize>(record: &T) -> Result<Self, yaml_serde::Error> {
        Ok(Record { fields: ordered_fields(record)? })
    }

    fn select(self, wanted: &[String]) -> Result<Self, InputError> {
        let names: Vec<String> = self.fields.iter().map(|(n, _)| n.clone()).collect();
        let picks = pick_columns(&names, wanted)?;
        Ok(Record { fields: picks.iter().map(|&i| self.fields[i].clone()).collect() })
    }
}

impl Output {
    /// Keeps the `-c` columns (fields), in the order asked for; a name that
    /// is not there is an [`InputError`] listing the ones that are.
    pub fn select(self, wanted: &[String]) -> Result<Self, InputError> {
        if wanted.is_empty() {
            return Ok(self);
        }
        Ok(match self {
            Output::Listing(l) => Output::Listing(l.select(wanted)?),
            Output::Record(r) => Output::Record(r.select(wanted)?),
        })
    }
}

/// Indexes of the wanted columns; exact names first, then ignoring ASCII case.
fn pick_columns(columns: &[String], wanted: &[String]) -> Result<Vec<usize>, InputError> {
    wanted
        .iter()
        .map(|w| {
            columns
                .iter()
                .position(|c| c == w)
                .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(w)))
                .ok_or_else(|| {
                    let known = columns.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
                    InputError(format!("no column '{w}'; the columns are {known}"))
                })
        })
        .collect()
}

/// A serializable struct's fields in declaration order. serde_json's maps
/// sort their keys (the workspace does not enable `preserve_order`, which
/// would change the simulator's bodies), yaml_serde's mappings keep the
/// order, so the struct goes through a YAML value first.
fn ordered_fields<T: Serialize>(record: &T) -> Result<Vec<(String, Value)>, yaml_serde::Error> {
    match yaml_serde::to_value(record)? {
        yaml_serde::Value::Mapping(map) => Ok(map.into_iter().map(|(k, v)| (key_text(k), yaml_to_json(v))).collect()),
        other => Ok(vec![("Value".to_string(), yaml_to_json(other))]),
    }
}

fn key_text(key: yaml_serde::Value) -> String {
    match key {
        yaml_serde::Value::String(s) => s,
        other => cell_text(&yaml_to_json(other)),
    }
}

fn yaml_to_json(value: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                n.as_f64().map_or(Value::Null, Into::into)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(map.into_iter().map(|(k, v)| (key_text(k), yaml_to_json(v))).collect()),
        Y::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

/// A cell as text for the table and CSV: null is empty, a list of plain
/// values is joined with ", ", anything nested is compact JSON.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
            items.iter().map(cell_text).collect::<Vec<_>>().join(", ")
        }
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}
