/*!
How a failure is said: the error and its causes on one line, each cause
once, with no control character and no unbounded quote of the input. Every
error a command returns passes through [`line`] on its way to stderr.
*/

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
        text.push_str(&message);
    }
    text
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
    fn a_long_message_keeps_its_start_and_end_and_a_long_word_is_cut() {
        let err = anyhow::anyhow!("unknown strategy {} at line 1 column 9", "x ".repeat(25_000_000));
        let said = line(&err);
        assert!(said.chars().count() < 520, "{}", said.len());
        assert!(said.starts_with("unknown strategy x x") && said.ends_with("x at line 1 column 9"), "{said}");
        assert!(said.contains("characters left out"), "{said}");
        let said = line(&anyhow::anyhow!("no host {} here", "y".repeat(1000)));
        assert_eq!(said, format!("no host {}… here", "y".repeat(200)));
    }
}
