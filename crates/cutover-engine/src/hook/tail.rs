/*!
The bounded tail of a hook's output: a hook may print megabytes (an
`ansible-playbook -vvv`), the journal and the report keep the end, where
the reason for a failure is.
*/

use std::collections::VecDeque;

/// How much of a hook's output is kept.
pub const OUTPUT_TAIL_BYTES: usize = 4096;

/// The last `capacity` bytes written, and whether anything was cut.
#[derive(Debug)]
pub(crate) struct Tail {
    bytes: VecDeque<u8>,
    capacity: usize,
    cut: bool,
}

impl Tail {
    pub(crate) fn new(capacity: usize) -> Tail {
        Tail { bytes: VecDeque::with_capacity(capacity.min(64 * 1024)), capacity, cut: false }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        let chunk = if chunk.len() > self.capacity {
            self.cut = true;
            &chunk[chunk.len() - self.capacity..]
        } else {
            chunk
        };
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.capacity);
        if overflow > 0 {
            self.cut = true;
            self.bytes.drain(..overflow);
        }
        self.bytes.extend(chunk);
    }

    /// The text kept; a character cut in two at the start becomes U+FFFD.
    pub(crate) fn text(&self) -> String {
        let (front, back) = self.bytes.as_slices();
        let text = String::from_utf8_lossy(&[front, back].concat()).into_owned();
        if self.cut {
            format!("[...]{text}")
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tail;

    #[test]
    fn keeps_the_last_bytes_and_says_it_cut() {
        let mut tail = Tail::new(8);
        tail.push(b"abc");
        assert_eq!(tail.text(), "abc");
        tail.push(b"defgh");
        assert_eq!(tail.text(), "abcdefgh");
        tail.push(b"ij");
        assert_eq!(tail.text(), "[...]cdefghij");
        tail.push(b"0123456789XYZ");
        assert_eq!(tail.text(), "[...]56789XYZ");
    }

    #[test]
    fn a_character_cut_at_the_start_is_replaced_not_an_error() {
        let mut tail = Tail::new(4);
        tail.push("xé!!!".as_bytes());
        assert_eq!(tail.text(), "[...]\u{fffd}!!!");
    }
}
