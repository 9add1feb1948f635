/*!
Input quoted in an error message: on one line, printable, and at most
[`MAX_QUOTE`] characters of it, however long the input. Parsers of the
operator's files put their messages through [`one_line`].
*/

/// The most characters of a quoted value an error shows.
pub const MAX_QUOTE: usize = 200;
/// The most characters of a whole message: past it, its middle is left
/// out (an input of many short words, a quote closed early by a quote mark
/// in the value).
pub const MAX_MESSAGE: usize = 480;
/// What stays of an over-long message: its start (the error's kind) and
/// its end (often the line and column).
const KEEP_HEAD: usize = 320;
const KEEP_TAIL: usize = 120;

/// `text` on one line (runs of whitespace become one space), control
/// characters escaped (`\u{1b}`), and every quoted run (`"…"`, `` `…` ``
/// as serde quotes a value, `'…'` opened after a space) or unquoted word cut
/// to [`MAX_QUOTE`] characters; the whole at most [`MAX_MESSAGE`].
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    // The quote mark open, and how many characters it has shown so far.
    let mut open: Option<(char, usize)> = None;
    // Characters of the current word shown (outside quotes).
    let mut word = 0;
    let mut cut = false;
    let mut previous = ' ';
    // A backslash inside a "…" quote escapes the next character (`\"`).
    let mut escaped = false;
    for c in text.chars() {
        let opens_quote = c == '"' || c == '`' || (c == '\'' && (previous.is_whitespace() || previous == '('));
        previous = c;
        if let Some((mark, shown)) = open.as_mut() {
            let closes = c == *mark && !escaped;
            escaped = *mark == '"' && c == '\\' && !escaped;
            if closes {
                close(&mut out, &mut cut);
                out.push(c);
                open = None;
                continue;
            }
            if *shown >= MAX_QUOTE {
                cut = true;
                continue;
            }
            *shown += 1;
        } else if opens_quote {
            close(&mut out, &mut cut);
            open = Some((c, 0));
            escaped = false;
            word = 0;
            out.push(c);
            continue;
        } else if c.is_whitespace() {
            close(&mut out, &mut cut);
            word = 0;
        } else if word >= MAX_QUOTE {
            cut = true;
            continue;
        } else {
            word += 1;
        }
        push_printable(&mut out, c);
    }
    close(&mut out, &mut cut);
    bounded(out.trim())
}

/// `text`, or its start and end with the middle left out when it is over
/// [`MAX_MESSAGE`] characters.
fn bounded(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_MESSAGE {
        return text.to_string();
    }
    let head: String = text.chars().take(KEEP_HEAD).collect();
    let tail: String = text.chars().skip(count - KEEP_TAIL).collect();
    format!("{head} … ({} characters left out) … {tail}", count - KEEP_HEAD - KEEP_TAIL)
}

/// Marks where a quote or word was cut, once.
fn close(out: &mut String, cut: &mut bool) {
    if std::mem::take(cut) {
        out.push('…');
    }
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
    fn a_long_word_or_single_quoted_name_is_cut_but_not_an_apostrophe() {
        let long = "n".repeat(1000);
        let said = one_line(&format!("servers[0]: unknown project '{long} {long}' of {long}"));
        let cut = format!("{}…", "n".repeat(MAX_QUOTE));
        assert_eq!(said, format!("servers[0]: unknown project '{cut}' of {cut}"));
        assert_eq!(one_line("cutover's plan, the host's 'old-1'"), "cutover's plan, the host's 'old-1'");
    }

    #[test]
    fn an_escaped_quote_mark_does_not_close_the_quote() {
        let said = one_line(&format!("invalid type: string \"a\\\" {}\", expected a map", "\\\" ".repeat(300)));
        assert!(said.ends_with("…\", expected a map") && said.chars().count() < MAX_QUOTE + 60, "{said}");
    }

    #[test]
    fn a_long_message_of_short_words_keeps_its_start_and_end() {
        let said = one_line(&format!("clouds.sim.{} at line 4 column 7", "au ".repeat(20_000)));
        assert!(said.chars().count() < MAX_MESSAGE + 40, "{said}");
        assert!(said.starts_with("clouds.sim.au au") && said.ends_with("au at line 4 column 7"), "{said}");
        assert!(said.contains("characters left out"), "{said}");
    }

    #[test]
    fn short_messages_only_lose_their_line_breaks() {
        assert_eq!(one_line("  a\n\tb \"c d\"  "), "a b \"c d\"");
    }
}
