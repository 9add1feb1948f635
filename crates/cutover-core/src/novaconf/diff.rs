/*!
The unified diff between the old and the rendered file, as `diff -u`
prints it, with every shown line passed through [`mask_line`] so that
passwords in changed and context lines stay hidden.
*/

use std::fmt::Write as _;

use similar::TextDiff;

use super::secret::mask_line;

/// `--- old_label` / `+++ new_label`, then hunks with three lines of
/// context; empty when the texts are equal.
pub fn unified_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        if out.is_empty() {
            let _ = writeln!(out, "--- {old_label}\n+++ {new_label}");
        }
        let _ = writeln!(out, "{}", hunk.header());
        for change in hunk.iter_changes() {
            let line = change.value();
            let _ = write!(out, "{}{}", change.tag(), mask_line(line));
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}
