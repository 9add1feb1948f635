/*!
How a failure is said: the error and its causes on one line, each cause
once, with no control character and no unbounded quote of the input. Every
error a command returns passes through [`line`] on its way to stderr.
*/

/// The longest a single message of the chain may run before its middle is
/// left out. Parsers bound their own quotes (about 200 characters of the
/// input); this is the backstop for the ones that do not.
const MAX_MESSAGE: usize = 400;
/// What stays of an over-long message: its start (the error's kind) and
/// its end (often the line and column).
const KEEP_HEAD: usize = 240;
const KEEP_TAIL: usize = 100;

/// `cutover: error: ` follows with this: the chain joined by `: `, a cause
/// whose text the message before already holds said once (thiserror's
/// `{source}` and openstack_sdk's messages quote their cause).
pub fn line(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let message = cutover_core::quote::one_line(&cause.to_string());
        if message.is_empty() || text.contains(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&bounded(&message));
    }
    text
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

#[cfg(test)]
mod tests {
    use super::line;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot parse: {0}")]
    struct Quoting(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("bad value at line 3")]
    struct Inner;

    #[test]
    fn a_cause_already_quoted_is_said_once() {
        let err = anyhow::Error::new(Quoting(Inner)).context("loading plan.yaml");
        assert_eq!(line(&err), "loading plan.yaml: cannot parse: bad value at line 3");
    }

    #[test]
    fn control_characters_are_escaped_and_breaks_become_spaces() {
        let err = anyhow::anyhow!("bad\n\tinput \u{1b}[31mred\u{7}");
        assert_eq!(line(&err), "bad input \\u{1b}[31mred\\u{7}");
    }

    #[test]
    fn a_long_message_keeps_its_start_and_end() {
        let err = anyhow::anyhow!("unknown strategy {} at line 1 column 9", "x".repeat(50_000_000 / 1000));
        let said = line(&err);
        assert!(said.chars().count() < 420, "{}", said.len());
        assert!(said.starts_with("unknown strategy xxx") && said.ends_with("at line 1 column 9"), "{said}");
        assert!(said.contains("characters left out"), "{said}");
    }
}
