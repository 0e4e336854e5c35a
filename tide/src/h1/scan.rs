//! The byte-level scan of a request head: the request line and the field lines, read in one
//! pass over the bytes, each byte looked at once.
//!
//! [`scan`] checks the grammar and nothing else: a method token, a target of visible bytes,
//! `HTTP/1.0` or `HTTP/1.1`, then `name ":" OWS value OWS` lines, every line ending in CRLF,
//! and the empty line. Names are tokens; values are field text (tab, visible ASCII, space and
//! obs-text `0x80..=0xff`): exactly the bytes `http::HeaderName` and `http::HeaderValue`
//! accept, so a field that passed the scan converts without a failure. What the fields mean
//! (framing, `Host`, `Connection`, `Expect`) is decided by the caller
//! ([`request_head`](super::request_head)), which is handed every field as it is found.
//!
//! "Need more bytes" is a value ([`Scanned::Partial`]), never an error; an error means the
//! head can never become valid, whatever follows.

/// Token bytes (RFC 9110 §5.6.2): method and field names.
const TOKEN: u8 = 1;
/// Bytes a request target may hold: visible ASCII and obs-text.
const TARGET: u8 = 2;
/// Bytes of a plain origin-form path or query, read in place (see [`RequestLine::plain`]).
const PLAIN: u8 = 4;
/// Field-value bytes: tab, space, visible ASCII, obs-text.
const VALUE: u8 = 8;
/// Bytes of a plain query: the plain bytes and `?`.
const QUERY: u8 = 16;

/// What each byte may be, as a set of the flags above.
const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
        {
            class |= TOKEN;
        }
        if (c >= b'!' && c <= b'~') || c >= 0x80 {
            class |= TARGET;
        }
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'%'
            )
        {
            class |= PLAIN;
        }
        if c == b'\t' || (c >= b' ' && c != 0x7f) {
            class |= VALUE;
        }
        if c == b'?' || class & PLAIN != 0 {
            class |= QUERY;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// The longest target read in place: its offsets are kept in `u32`s, and a longer one is
/// parsed as a `Uri` (which refuses it) anyway.
const MAX_PLAIN_TARGET: usize = u16::MAX as usize - 1;

fn is(b: u8, class: u8) -> bool {
    CLASSES[b as usize] & class != 0
}

/// Whether `b` may be part of a token (a method or a field name).
pub(crate) fn is_token(b: u8) -> bool {
    is(b, TOKEN)
}

/// Whether `b` may be part of a field value.
pub(crate) fn is_value_byte(b: u8) -> bool {
    is(b, VALUE)
}

/// Where the first byte at or after `at` that is not of `class` (one of the flags) lies
/// (`buf.len()` if none).
fn skip(buf: &[u8], at: usize, class: u8) -> usize {
    let rest = buf.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|&b| !is(b, class))
        .unwrap_or(rest.len())
}

/// The request line of a whole head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestLine<'b> {
    pub(crate) method: &'b [u8],
    /// Where the target starts and ends in the buffer.
    pub(crate) target: (usize, usize),
    /// Where the path ends, when the target is plain origin-form text: a `/`, then only
    /// unreserved, sub-delim, `:`, `@`, `/` and `%` bytes up to an optional `?` and a query of
    /// those and `?`. Every such target is a valid `Uri` whose path and query split at the
    /// first `?`, so it is read in place; any other target (other forms, a fragment, other
    /// bytes, valid UTF-8 in any case) must be parsed as a `Uri`.
    pub(crate) plain: Option<usize>,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub(crate) minor_version: u8,
}

/// What a scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scanned<'b> {
    /// The head is whole: it is the first `len` bytes.
    Complete { line: RequestLine<'b>, len: usize },
    /// More bytes are needed; the target has `target_len` bytes so far.
    Partial { target_len: usize },
}

/// Why a head can never be valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// The method or the target is malformed, or the request line's spaces are wrong.
    RequestLine,
    /// The version is not `HTTP/1.0` or `HTTP/1.1`.
    Version,
    /// A line ends in LF without CR.
    BareLf,
    /// A CR is not followed by LF.
    NewLine,
    /// A field name is not a token, or is followed by something other than a colon
    /// (whitespace before the colon, a folded line).
    FieldName,
    /// A field value holds a control byte.
    FieldValue,
    /// More than the allowed number of fields.
    TooManyFields,
}

impl ScanError {
    /// The reason given to the client.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            ScanError::RequestLine => "invalid request line",
            ScanError::Version => "invalid HTTP version",
            ScanError::BareLf => "line ending is not CRLF",
            ScanError::NewLine => "invalid line ending",
            ScanError::FieldName => {
                "invalid header name (or whitespace before a colon, or a folded line)"
            }
            ScanError::FieldValue => "invalid header value",
            ScanError::TooManyFields => "too many header fields",
        }
    }
}

/// Checks the CRLF at `at`: `Ok(true)` if it is there, `Ok(false)` if the buffer ends first.
fn crlf(buf: &[u8], at: usize, otherwise: ScanError) -> Result<bool, ScanError> {
    match buf.get(at) {
        None => Ok(false),
        Some(b'\r') => match buf.get(at + 1) {
            None => Ok(false),
            Some(b'\n') => Ok(true),
            Some(_) => Err(ScanError::NewLine),
        },
        Some(b'\n') => Err(ScanError::BareLf),
        Some(_) => Err(otherwise),
    }
}

/// Scans the head at the start of `buf`, calling `field(name, value)` for each field line
/// (the value without its surrounding whitespace), in order, as it is found.
pub(crate) fn scan<'b>(
    buf: &'b [u8],
    max_fields: usize,
    mut field: impl FnMut(&'b [u8], &'b [u8]),
) -> Result<Scanned<'b>, ScanError> {
    const PARTIAL: Scanned<'static> = Scanned::Partial { target_len: 0 };
    let len = buf.len();

    // The method.
    let (method, mut at) = if buf.starts_with(b"GET ") {
        (&buf[..3], 4)
    } else {
        let end = skip(buf, 0, TOKEN);
        if end == len {
            return Ok(PARTIAL);
        }
        if end == 0 || buf[end] != b' ' {
            return Err(ScanError::RequestLine);
        }
        (&buf[..end], end + 1)
    };

    // The target: the plain path, its query, and anything else a target may hold.
    let start = at;
    at = skip(buf, at, PLAIN);
    let path_end = at;
    if at < len && buf[at] == b'?' {
        at = skip(buf, at + 1, QUERY);
    }
    let mut plain = true;
    if at < len && buf[at] != b' ' {
        plain = false;
        at = skip(buf, at, TARGET);
    }
    if at == len {
        return Ok(Scanned::Partial {
            target_len: at - start,
        });
    }
    if buf[at] != b' ' || at == start {
        return Err(ScanError::RequestLine);
    }
    let target = (start, at);
    let partial = Scanned::Partial {
        target_len: at - start,
    };
    plain &= buf[start] == b'/' && at - start <= MAX_PLAIN_TARGET;
    if !plain && std::str::from_utf8(&buf[start..at]).is_err() {
        return Err(ScanError::RequestLine);
    }
    at += 1;

    // The version and the end of the line.
    let rest = &buf[at..];
    if rest.len() < 8 {
        let prefix = &rest[..rest.len().min(7)];
        return if b"HTTP/1.".starts_with(prefix) {
            Ok(partial)
        } else {
            Err(ScanError::Version)
        };
    }
    // One 8-byte comparison per version, not a byte-slice comparison.
    let version = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
    let minor_version = if version == u64::from_le_bytes(*b"HTTP/1.1") {
        1
    } else if version == u64::from_le_bytes(*b"HTTP/1.0") {
        0
    } else {
        return Err(ScanError::Version);
    };
    at += 8;
    if !crlf(buf, at, ScanError::NewLine)? {
        return Ok(partial);
    }
    at += 2;
    let line = RequestLine {
        method,
        target,
        plain: plain.then_some(path_end),
        minor_version,
    };

    // The field lines, up to the empty line.
    let mut fields = 0;
    loop {
        let Some(&first) = buf.get(at) else {
            return Ok(partial);
        };
        if first == b'\r' || first == b'\n' {
            return match crlf(buf, at, ScanError::NewLine)? {
                true => Ok(Scanned::Complete { line, len: at + 2 }),
                false => Ok(partial),
            };
        }
        let name_start = at;
        at = skip(buf, at, TOKEN);
        if at == len {
            return Ok(partial);
        }
        if buf[at] != b':' || at == name_start {
            return Err(ScanError::FieldName);
        }
        if fields == max_fields {
            return Err(ScanError::TooManyFields);
        }
        let name = &buf[name_start..at];
        at += 1;
        while at < len && (buf[at] == b' ' || buf[at] == b'\t') {
            at += 1;
        }
        let value_start = at;
        at = skip(buf, at, VALUE);
        if !crlf(buf, at, ScanError::FieldValue)? {
            return Ok(partial);
        }
        let mut value_end = at;
        while value_end > value_start && matches!(buf[value_end - 1], b' ' | b'\t') {
            value_end -= 1;
        }
        field(name, &buf[value_start..value_end]);
        fields += 1;
        at += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str) -> Result<Scanned<'_>, ScanError> {
        scan(raw.as_bytes(), 100, |_, _| {})
    }

    #[test]
    fn the_classes_agree_with_their_definitions() {
        for b in 0..=255u8 {
            assert_eq!(is(b, TOKEN), http::Method::from_bytes(&[b]).is_ok(), "{b}");
            assert_eq!(
                is(b, VALUE),
                http::HeaderValue::from_bytes(&[b]).is_ok(),
                "{b}"
            );
            assert_eq!(is(b, QUERY), is(b, PLAIN) || b == b'?', "{b}");
        }
    }

    #[test]
    fn a_head_and_its_fields() {
        let raw = "PUT /a?b HTTP/1.0\r\nX: 1 \r\ny:\t\r\n\r\nbody";
        let mut seen = Vec::new();
        let scanned = scan(raw.as_bytes(), 100, |n, v| seen.push((n, v))).unwrap();
        let Scanned::Complete { line, len } = scanned else {
            panic!("{scanned:?}")
        };
        assert_eq!(len, raw.len() - 4);
        assert_eq!(line.method, b"PUT");
        assert_eq!(&raw[line.target.0..line.target.1], "/a?b");
        assert_eq!(line.plain, Some(6));
        assert_eq!(line.minor_version, 0);
        assert_eq!(seen, [(&b"X"[..], &b"1"[..]), (b"y", b"")]);
    }

    #[test]
    fn every_prefix_of_a_head_needs_more_bytes() {
        let raw = "OPTIONS http://h/x?y HTTP/1.1\r\nHost: h\r\nA:\r\n\r\n";
        for end in 0..raw.len() {
            assert!(
                matches!(check(&raw[..end]), Ok(Scanned::Partial { .. })),
                "{:?}",
                &raw[..end]
            );
        }
        assert!(matches!(check(raw), Ok(Scanned::Complete { .. })));
    }

    #[test]
    fn refusals() {
        use ScanError::*;
        for (raw, error) in [
            (" / HTTP/1.1\r\n", RequestLine),
            ("GET  / HTTP/1.1\r\n", RequestLine),
            ("G(T / HTTP/1.1\r\n", RequestLine),
            ("GET /\t HTTP/1.1\r\n", RequestLine),
            ("GET / HTTP/2.0\r\n", Version),
            ("GET / HTTQ", Version),
            ("GET / HTTP/1.1 \r\n", NewLine),
            ("GET / HTTP/1.1\n", BareLf),
            ("GET / HTTP/1.1\rx", NewLine),
            ("GET / HTTP/1.1\r\nA: b\n", BareLf),
            ("GET / HTTP/1.1\r\nA: b\r\n\n", BareLf),
            ("GET / HTTP/1.1\r\nA : b\r\n", FieldName),
            ("GET / HTTP/1.1\r\n: b\r\n", FieldName),
            ("GET / HTTP/1.1\r\nA: b\r\n c\r\n", FieldName),
            ("GET / HTTP/1.1\r\nA: b\x7f\r\n", FieldValue),
            ("GET / HTTP/1.1\r\nA: b\0\r\n", FieldValue),
        ] {
            assert_eq!(check(raw), Err(error), "{raw:?}");
        }
        let four = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
        assert!(scan(four.as_bytes(), 4, |_, _| {}).is_ok());
        assert_eq!(
            scan(four.as_bytes(), 3, |_, _| {}),
            Err(ScanError::TooManyFields)
        );
    }

    #[test]
    fn obs_text_is_a_value_and_a_non_utf8_target_is_refused() {
        let raw = b"GET / HTTP/1.1\r\nA: \xff\xfe\r\n\r\n";
        let mut values = Vec::new();
        assert!(scan(raw, 10, |_, v| values.push(v.to_vec())).is_ok());
        assert_eq!(values, [vec![0xff, 0xfe]]);
        assert_eq!(
            scan(b"GET /\xff HTTP/1.1\r\n\r\n", 10, |_, _| {}),
            Err(ScanError::RequestLine)
        );
    }
}
