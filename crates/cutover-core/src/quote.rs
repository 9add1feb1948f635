/*!
Input quoted in an error message: on one line, printable, and at most
[`MAX_QUOTE`] characters of it, however long the input. Parsers of the
operator's files put their messages through [`one_line`].
*/

/// The most characters of a quoted value an error shows.
pub const MAX_QUOTE: usize = 200;

/// `text` on one line (runs of whitespace become one space), control
/// characters escaped (`\u{1b}`), and every `"…"` or `` `…` `` run (how
/// serde's messages quote a value) cut to [`MAX_QUOTE`] characters.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    // The quote mark open, and how many characters it has shown so far.
    let mut open: Option<(char, usize)> = None;
    let mut cut = false;
    for c in text.chars() {
        if let Some((mark, shown)) = open.as_mut() {
            if c == *mark {
                if cut {
                    out.push('…');
                }
                out.push(c);
                open = None;
                cut = false;
                continue;
            }
            if *shown >= MAX_QUOTE {
                cut = true;
                continue;
            }
            *shown += 1;
        } else if c == '"' || c == '`' {
            open = Some((c, 0));
            out.push(c);
            continue;
        }
        push_printable(&mut out, c);
    }
    if cut {
        out.push('…');
    }
    out.trim().to_string()
}

fn push_printable(out: &mut String, c: char) {
    if c.is_whitespace() {
        if !out.ends_with(' ') {
            out.push(' ');
        }
    } else if c.is_control() {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_quote_is_cut_and_the_rest_kept() {
        let long = "x".repeat(10_000);
        let said = one_line(&format!("unknown variant `{long}`, expected one of `a`, `b` at\nline 1"));
        assert_eq!(said, format!("unknown variant `{}…`, expected one of `a`, `b` at line 1", "x".repeat(MAX_QUOTE)));
    }

    #[test]
    fn an_unclosed_quote_is_cut_too_and_control_characters_escaped() {
        let said = one_line(&format!("invalid type: string \"\u{1b}[2J{}", "y".repeat(500)));
        assert!(said.starts_with("invalid type: string \"\\u{1b}[2J"), "{said}");
        assert!(said.ends_with('…') && said.chars().count() < MAX_QUOTE + 40, "{said}");
    }

    #[test]
    fn short_messages_only_lose_their_line_breaks() {
        assert_eq!(one_line("  a\n\tb \"c d\"  "), "a b \"c d\"");
    }
}
