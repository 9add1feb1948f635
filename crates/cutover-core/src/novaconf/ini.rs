/*!
A `nova.conf` as oslo.config reads it, kept line for line so that an edit
touches only the lines it means to: comments, blank lines, spacing, order,
duplicate keys and continuation lines all survive a round trip.
*/

use super::RenderError;

/// One line of the file: its text without the line ending, the ending
/// itself (`"\n"`, `"\r\n"`, or `""` on a last line without one), and what
/// oslo.config makes of it.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    eol: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Blank,
    Comment,
    /// A section header; the name as oslo.config normalises it.
    Section(String),
    Entry(Entry),
    /// An indented line continuing the value of the entry above it.
    Continuation,
}

#[derive(Debug, Clone)]
struct Entry {
    section: String,
    key: String,
    /// Byte range of the value in the line's text (inside quotes, if any).
    value: std::ops::Range<usize>,
}

/// Where an entry is: its index among the document's lines.
pub(crate) type EntryAt = usize;

#[derive(Debug, Clone)]
pub(crate) struct Document {
    lines: Vec<Line>,
}

/// oslo.config lower-cases section names, except `DEFAULT`.
pub(crate) fn normalize_section(name: &str) -> String {
    if name == "DEFAULT" {
        name.to_string()
    } else {
        name.to_lowercase()
    }
}

impl Document {
    /// Parses `text` with the rules of oslo.config's `iniparser`: a line is
    /// right-trimmed; empty ends a multi-line value; leading space or tab
    /// continues the previous value; `[name]` opens a section; `#` or `;`
    /// starts a comment; anything else is `key = value` or `key: value`,
    /// split at whichever separator comes first.
    pub(crate) fn parse(text: &str) -> Result<Document, RenderError> {
        let mut lines = Vec::new();
        let mut section: Option<String> = None;
        let mut in_entry = false;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let number = index + 1;
            let (body, eol) = split_eol(raw);
            let trimmed = body.trim_end();
            let parse_error = |reason: &str| RenderError::Parse { line: number, reason: reason.to_string() };
            let kind = if trimmed.is_empty() {
                in_entry = false;
                Kind::Blank
            } else if trimmed.starts_with([' ', '\t']) {
                if !in_entry {
                    return Err(parse_error("an indented line continues no value"));
                }
                Kind::Continuation
            } else if let Some(rest) = trimmed.strip_prefix('[') {
                in_entry = false;
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(parse_error("a section header must end with ']'"));
                };
                if name.is_empty() {
                    return Err(parse_error("empty section name"));
                }
                let name = normalize_section(name);
                section = Some(name.clone());
                Kind::Section(name)
            } else if trimmed.starts_with(['#', ';']) {
                in_entry = false;
                Kind::Comment
            } else {
                let Some(current) = &section else {
                    return Err(parse_error("a value before any [section]"));
                };
                let Some(sep) = trimmed.find([':', '=']) else {
                    return Err(parse_error("no '=' or ':' in this line"));
                };
                let key = trimmed[..sep].trim();
                if key.is_empty() {
                    return Err(parse_error("empty key"));
                }
                in_entry = true;
                Kind::Entry(Entry { section: current.clone(), key: key.to_string(), value: value_range(trimmed, sep) })
            };
            lines.push(Line { text: body.to_string(), eol: eol.to_string(), kind });
        }
        Ok(Document { lines })
    }

    /// The file again; identical to the parsed text when nothing changed.
    pub(crate) fn to_text(&self) -> String {
        self.lines.iter().flat_map(|l| [l.text.as_str(), l.eol.as_str()]).collect()
    }

    /// Every entry of `key` in `section` (normalised name), in file order.
    pub(crate) fn find(&self, section: &str, key: &str) -> Vec<EntryAt> {
        (0..self.lines.len())
            .filter(|&i| matches!(&self.lines[i].kind, Kind::Entry(e) if e.section == section && e.key == key))
            .collect()
    }

    /// The value as oslo.config sees it: trimmed, unquoted, continuation
    /// lines joined with newlines.
    pub(crate) fn value(&self, at: EntryAt) -> String {
        let Kind::Entry(entry) = &self.lines[at].kind else { return String::new() };
        let mut value = self.lines[at].text[entry.value.clone()].to_string();
        for line in self.continuations(at) {
            value.push('\n');
            value.push_str(line.text.trim());
        }
        value
    }

    /// Replaces the value of the entry at `at`, keeping its key, spacing and
    /// quotes; its continuation lines, part of the old value, go. A value of
    /// several lines (a topic the old file continued on the next line, with
    /// its suffix) is written as oslo.config reads one: its first line on
    /// the entry's, each other on an indented continuation line.
    pub(crate) fn set_value(&mut self, at: EntryAt, value: &str) {
        let indent = self
            .continuations(at)
            .next()
            .map_or("    ".to_string(), |l| l.text[..l.text.len() - l.text.trim_start().len()].to_string());
        let continued = self.continuations(at).count();
        self.lines.drain(at + 1..at + 1 + continued);
        let mut parts = value.split('\n');
        let first = parts.next().unwrap_or_default();
        let more: Vec<&str> = parts.collect();
        let line_ending = self.line_ending();
        let line = &mut self.lines[at];
        if let Kind::Entry(entry) = &mut line.kind {
            line.text.replace_range(entry.value.clone(), first);
            entry.value = entry.value.start..entry.value.start + first.len();
        }
        if more.is_empty() {
            return;
        }
        // The entry's own line ending moves to the last continuation line
        // (it is empty on a last line without one).
        let last_eol = std::mem::replace(&mut line.eol, line_ending.clone());
        let count = more.len();
        let continuation = more.into_iter().enumerate().map(|(i, part)| Line {
            text: format!("{indent}{part}"),
            eol: if i + 1 == count { last_eol.clone() } else { line_ending.clone() },
            kind: Kind::Continuation,
        });
        self.lines.splice(at + 1..at + 1, continuation);
    }

    /// Adds `key = value` to `section` (see [`Self::insertion_point`]), or
    /// in a new section at the end of the file. The separator copies the
    /// file's first entry (`key=value` or `key = value`).
    pub(crate) fn add(&mut self, section: &str, key: &str, value: &str) {
        let text = format!("{key}{}{value}", self.separator_style());
        let eol = self.line_ending();
        let entry = |text: String| {
            let start = text.len() - value.len();
            Line {
                text,
                eol: eol.clone(),
                kind: Kind::Entry(Entry {
                    section: section.to_string(),
                    key: key.to_string(),
                    value: start..start + value.len(),
                }),
            }
        };
        match self.insertion_point(section) {
            Some(at) => {
                // After a last line without a line ending (a file ending
                // `[conductor]`), that line gets one first.
                if let Some(before) = at.checked_sub(1).map(|i| &mut self.lines[i]) {
                    if before.eol.is_empty() {
                        before.eol = eol.clone();
                    }
                }
                self.lines.insert(at, entry(text));
            }
            None => {
                if let Some(last) = self.lines.last_mut() {
                    if last.eol.is_empty() {
                        last.eol = eol.clone();
                    }
                    if !matches!(last.kind, Kind::Blank) {
                        self.lines.push(Line { text: String::new(), eol: eol.clone(), kind: Kind::Blank });
                    }
                }
                self.lines.push(Line {
                    text: format!("[{section}]"),
                    eol: eol.clone(),
                    kind: Kind::Section(section.into()),
                });
                self.lines.push(entry(text));
            }
        }
    }

    /// After the last entry of the section's last occurrence; in a section
    /// of comments only, after its last comment (usually the commented-out
    /// default of the key being added).
    fn insertion_point(&self, section: &str) -> Option<usize> {
        let header = self.lines.iter().rposition(|l| matches!(&l.kind, Kind::Section(s) if s == section))?;
        let body = self.lines[header + 1..].iter().take_while(|l| !matches!(l.kind, Kind::Section(_)));
        let (mut after_entry, mut after_text) = (None, header + 1);
        for (i, line) in body.enumerate().map(|(i, l)| (header + 1 + i, l)) {
            match &line.kind {
                Kind::Entry(_) | Kind::Continuation => after_entry = Some(i + 1),
                Kind::Comment => after_text = i + 1,
                Kind::Blank | Kind::Section(_) => {}
            }
        }
        Some(after_entry.unwrap_or(after_text))
    }

    fn continuations(&self, at: EntryAt) -> impl Iterator<Item = &Line> {
        self.lines[at + 1..].iter().take_while(|l| matches!(l.kind, Kind::Continuation))
    }

    fn separator_style(&self) -> String {
        self.lines
            .iter()
            .find_map(|l| match &l.kind {
                Kind::Entry(e) => Some(l.text[e.key.len()..e.value.start].trim_end_matches(['"', '\'']).to_string()),
                _ => None,
            })
            .unwrap_or_else(|| " = ".to_string())
    }

    fn line_ending(&self) -> String {
        self.lines.iter().map(|l| l.eol.clone()).find(|e| !e.is_empty()).unwrap_or_else(|| "\n".to_string())
    }
}

fn split_eol(raw: &str) -> (&str, &str) {
    if let Some(body) = raw.strip_suffix("\r\n") {
        (body, "\r\n")
    } else if let Some(body) = raw.strip_suffix('\n') {
        (body, "\n")
    } else {
        (raw, "")
    }
}

/// The value after the separator at `sep`: trimmed, and inside a pair of
/// matching quotes when it is quoted (oslo.config drops them).
fn value_range(line: &str, sep: usize) -> std::ops::Range<usize> {
    let after = &line[sep + 1..];
    let start = sep + 1 + (after.len() - after.trim_start().len());
    let end = line.len();
    let value = &line[start..end];
    let quoted =
        value.len() >= 2 && (value.starts_with('"') || value.starts_with('\'')) && value.ends_with(&value[..1]);
    if quoted {
        start + 1..end - 1
    } else {
        start..end
    }
}
