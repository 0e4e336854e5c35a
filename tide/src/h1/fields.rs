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
