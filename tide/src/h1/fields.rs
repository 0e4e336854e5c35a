//! [`Fields`]: the header fields of a request head, read in place from its bytes.
//!
//! A head that [`request_head::parse`](super::request_head::parse) accepted has CRLF line
//! endings, no folded lines and no whitespace before a colon, so each field is one line
//! `name ":" OWS value OWS`: a walk over the lines finds them again without storing where
//! they are.

/// The `(name, value)` of every field of a head, in order; the value without its
/// surrounding whitespace.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'h> {
    rest: &'h [u8],
}

impl<'h> Fields<'h> {
    /// The fields of `head`: a whole head that `parse` accepted (request line, fields and
    /// the empty line), or nothing.
    pub(crate) fn of(head: &'h [u8]) -> Fields<'h> {
        let rest = match head.iter().position(|&b| b == b'\n') {
            Some(end) => &head[end + 1..],
            None => &[],
        };
        Fields { rest }
    }

    /// The fields of `lines`: field lines only, each ending in CRLF.
    pub(crate) fn lines(lines: &'h [u8]) -> Fields<'h> {
        Fields { rest: lines }
    }
}

impl<'h> Iterator for Fields<'h> {
    type Item = (&'h [u8], &'h [u8]);

    fn next(&mut self) -> Option<(&'h [u8], &'h [u8])> {
        let end = self.rest.iter().position(|&b| b == b'\n')?;
        let line = &self.rest[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.rest = &self.rest[end + 1..];
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            // The empty line that ends the head.
            self.rest = &[];
            return None;
        };
        Some((&line[..colon], line[colon + 1..].trim_ascii()))
    }
}

/// Whether `name` (as sent) is `expected` (lowercase), ignoring case.
pub(crate) fn is_named(name: &[u8], expected: &[u8]) -> bool {
    name.len() == expected.len() && name.eq_ignore_ascii_case(expected)
}

/// Whether the token `name` (a field name that passed the scan) is `lower`, ignoring case;
/// `lower` holds only lowercase letters, digits and `-`.
///
/// A word at a time: OR-ing `0x20` into a token byte turns an uppercase letter into its
/// lowercase form and leaves lowercase letters, digits and `-` as they are; the only other
/// bytes it would turn into one of those are controls, which no token holds. So one OR and
/// one comparison per word decide it exactly. Names of 4 to 16 bytes are read as two words
/// that overlap (the first and the last 4 or 8 bytes), so that a literal `lower` compiles
/// to two comparisons.
#[inline]
pub(crate) fn token_is(name: &[u8], lower: &[u8]) -> bool {
    debug_assert!(
        lower
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    );
    let len = name.len();
    if len != lower.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| {
        u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
    };
    let half = |bytes: &[u8], at: usize| {
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
    };
    const WORD_CASE: u64 = 0x2020_2020_2020_2020;
    const HALF_CASE: u32 = 0x2020_2020;
    match len {
        0..4 => name.iter().zip(lower).all(|(n, l)| n | 0x20 == *l),
        4..8 => {
            half(name, 0) | HALF_CASE == half(lower, 0)
                && half(name, len - 4) | HALF_CASE == half(lower, len - 4)
        }
        _ => {
            (0..len - 8)
                .step_by(8)
                .all(|at| word(name, at) | WORD_CASE == word(lower, at))
                && word(name, len - 8) | WORD_CASE == word(lower, len - 8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(head: &str) -> Vec<(&str, &str)> {
        Fields::of(head.as_bytes())
            .map(|(n, v)| {
                (
                    std::str::from_utf8(n).unwrap(),
                    std::str::from_utf8(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn every_field_in_order_with_values_trimmed() {
        let head = "GET / HTTP/1.1\r\nHost: h\r\nX-A:\t a b \t\r\nx-a:2\r\nEmpty:\r\n\r\n";
        assert_eq!(
            fields(head),
            [("Host", "h"), ("X-A", "a b"), ("x-a", "2"), ("Empty", "")]
        );
    }

    #[test]
    fn a_token_is_compared_ignoring_case_and_nothing_else() {
        let names = [
            "te",
            "host",
            "expect",
            "if-match",
            "connection",
            "content-length",
            "content-language",
            "transfer-encoding",
            "x-0123456789-abcdefghij",
        ];
        for lower in names {
            assert!(token_is(lower.as_bytes(), lower.as_bytes()));
            assert!(token_is(lower.to_uppercase().as_bytes(), lower.as_bytes()));
            // Every token byte in every position: only the letter itself, either case.
            for at in 0..lower.len() {
                for b in (0..=255u8).filter(|&b| crate::h1::scan::is_token(b)) {
                    let mut name = lower.as_bytes().to_vec();
                    name[at] = b;
                    let expected = b.eq_ignore_ascii_case(&lower.as_bytes()[at]);
                    assert_eq!(token_is(&name, lower.as_bytes()), expected, "{name:?}");
                }
            }
            assert!(!token_is(&lower.as_bytes()[1..], lower.as_bytes()));
        }
    }

    #[test]
    fn a_head_without_fields() {
        assert!(fields("GET / HTTP/1.0\r\n\r\n").is_empty());
        assert!(fields("").is_empty());
    }

    #[test]
    fn the_body_after_the_head_is_not_read() {
        assert_eq!(
            fields("POST / HTTP/1.1\r\nHost: h\r\n\r\nnot: a field\r\n"),
            [("Host", "h")]
        );
    }
}
