/*!
The aligned ASCII table of `-f table`, drawn as the openstack client's
prettytable output is: `+---+` rules above and below the header and at the
end, `|` between columns, multi-line cells, numbers right-aligned.
*/

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use super::data::cell_text;

/// ANSI colors of status cells.
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// How a table is drawn beyond its cells.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// The status column, colored when `color` is set.
    pub status: Option<usize>,
    pub color: bool,
    /// Right-align columns holding only numbers (a listing, not a
    /// Field/Value record whose values are of every kind).
    pub numbers_right: bool,
}

/// Draws a table. No rows or no columns draw nothing, as the openstack
/// client prints nothing for an empty list.
pub fn render(headers: &[String], rows: &[Vec<Value>], style: Style) -> String {
    if headers.is_empty() || rows.is_empty() {
        return String::new();
    }
    let cells: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(cell_text).collect()).collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            std::iter::once(headers[c].as_str())
                .chain(cells.iter().map(|r| r[c].as_str()))
                .flat_map(str::lines)
                .map(UnicodeWidthStr::width)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..headers.len())
        .map(|c| {
            style.numbers_right
                && rows.iter().all(|r| r[c].is_number() || r[c].is_null())
                && rows.iter().any(|r| r[c].is_number())
        })
        .collect();
    let rule = format!("+{}+\n", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));

    let mut out = rule.clone();
    let left = vec![false; headers.len()];
    draw_row(&mut out, headers, &widths, &left, None);
    out.push_str(&rule);
    for row in &cells {
        let paint = style.status.filter(|_| style.color).and_then(|i| paint_of(&row[i]).map(|p| (i, p)));
        draw_row(&mut out, row, &widths, &numeric, paint);
    }
    out.push_str(&rule);
    out
}

/// One row, as many lines high as its tallest cell.
fn draw_row(out: &mut String, cells: &[String], widths: &[usize], right: &[bool], paint: Option<(usize, &str)>) {
    let lines: Vec<Vec<&str>> = cells.iter().map(|c| c.split('\n').collect()).collect();
    let height = lines.iter().map(Vec::len).max().unwrap_or(1);
    for l in 0..height {
        out.push('|');
        for (c, cell) in lines.iter().enumerate() {
            let text = cell.get(l).copied().unwrap_or("");
            let pad = " ".repeat(widths[c].saturating_sub(text.width()));
            let (start, end) = match paint {
                Some((i, p)) if i == c && !text.is_empty() => (p, RESET),
                _ => ("", ""),
            };
            if right[c] {
                out.push_str(&format!(" {pad}{start}{text}{end} |"));
            } else {
                out.push_str(&format!(" {start}{text}{end}{pad} |"));
            }
        }
        out.push('\n');
    }
}

fn paint_of(status: &str) -> Option<&'static str> {
    match status.to_ascii_lowercase().as_str() {
        "ok" => Some(GREEN),
        "warn" => Some(YELLOW),
        "fail" => Some(RED),
        _ => None,
    }
}
