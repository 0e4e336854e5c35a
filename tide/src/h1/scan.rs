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

const fn is(b: u8, class: u8) -> bool {
    CLASSES[b as usize] & class != 0
}

/// Whether `b` may be part of a token (a method or a field name).
pub(crate) const fn is_token(b: u8) -> bool {
    is(b, TOKEN)
}

/// Whether `b` may be part of a field value.
pub(crate) fn is_value_byte(b: u8) -> bool {
    is(b, VALUE)
}

/// Where the first byte at or after `at` that is not of `class` (one of the flags) lies
/// (`buf.len()` if none).
///
/// Eight bytes per turn of the loop while the buffer holds them (the eight lookups
/// unrolled: three instructions a byte instead of six), then byte by byte. Inlined: it runs
/// for a few bytes at a time, five times a head, and a call cost as much as the bytes.
#[inline(always)]
fn skip(buf: &[u8], at: usize, class: u8) -> usize {
    let mut rest = buf.get(at..).unwrap_or_default();
    while let Some((bytes, after)) = rest.split_first_chunk::<8>() {
        for (i, &b) in bytes.iter().enumerate() {
            if !is(b, class) {
                return buf.len() - rest.len() + i;
            }
        }
        rest = after;
    }
    buf.len() - rest.len() + skip_bytewise(rest, class)
}

/// How many bytes at the start of `rest` are of `class`, one byte at a time.
fn skip_bytewise(rest: &[u8], class: u8) -> usize {
    rest.iter()
        .position(|&b| !is(b, class))
        .unwrap_or(rest.len())
}

/// Where the field text (a field value's bytes) from `at` ends: the first byte that is not
/// field text, or `buf.len()`.
///
/// Eight bytes at a time while the buffer holds them, as one word: the bytes that are not
/// field text are the controls but tab (below `0x20`) and `DEL`, and the first of those in
/// the word is found with a few arithmetic operations on it (a tab found so is stepped
/// over); then byte by byte. A value's end (its CR) is such a byte, so the scan stops there.
#[inline(always)]
fn skip_value(buf: &[u8], at: usize) -> usize {
    let mut rest = buf.get(at..).unwrap_or_default();
    while let Some((bytes, after)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*bytes);
        let stops = lanes_below(word, 0x20) | lanes_equal(word, 0x7f);
        if stops == 0 {
            rest = after;
            continue;
        }
        let lane = first_lane(stops);
        if bytes[lane] != b'\t' {
            return buf.len() - rest.len() + lane;
        }
        rest = &rest[lane + 1..];
    }
    buf.len() - rest.len() + skip_bytewise(rest, VALUE)
}

// Word-at-a-time scanning ("SWAR": SIMD within a register). Eight bytes are read as a
// little-endian `u64`, so the byte at the lowest address is the lowest lane, and the first
// lane marked by an operation below is the first such byte in the buffer.

/// `0x01` in every lane.
const ONES: u64 = u64::from_le_bytes([1; 8]);
/// The high bit of every lane.
const HIGHS: u64 = ONES * 0x80;

/// The lanes of `word` whose byte is below `n` (at most `0x80`), each marked by its high
/// bit. Exact up to the first marked lane: a lane above one whose byte is below `n` may be
/// marked too (the subtraction borrows from it), so only the first mark is to be read. A
/// byte of `0x80` or more is never below `n`, and borrows from no lane.
fn lanes_below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS
}

/// The lanes of `word` whose byte is `b`, marked as by [`lanes_below`] (first mark exact).
fn lanes_equal(word: u64, b: u8) -> u64 {
    lanes_below(word ^ (ONES * u64::from(b)), 1)
}

/// The index (0..8) of the first lane marked in `marks`, which is not zero (the mask only
/// tells the compiler so: indexing eight bytes with it needs no bounds check).
fn first_lane(marks: u64) -> usize {
    (marks.trailing_zeros() / 8) as usize & 7
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

/// Whether a CRLF is at `at` (one two-byte comparison).
fn is_crlf_at(buf: &[u8], at: usize) -> bool {
    buf.get(at..).and_then(<[u8]>::first_chunk) == Some(b"\r\n")
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
    if buf.get(at) == Some(&b'?') {
        at = skip(buf, at + 1, QUERY);
    }
    // The byte after the plain part, looked at once: the space that ends the target (the
    // usual case), or more of a target that is not plain.
    let mut plain = true;
    if buf.get(at).is_some_and(|&b| b != b' ') {
        plain = false;
        at = skip(buf, at, TARGET);
    }
    match buf.get(at) {
        Some(b' ') if at > start => {}
        None => {
            return Ok(Scanned::Partial {
                target_len: at - start,
            });
        }
        Some(_) => return Err(ScanError::RequestLine),
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
        let name_start = at;
        at = skip(buf, at, TOKEN);
        match buf.get(at) {
            Some(b':') if at > name_start => {}
            None => return Ok(partial),
            // No name: the empty line that ends the head, or a malformed one.
            Some(b'\r' | b'\n') if at == name_start => {
                return match crlf(buf, at, ScanError::NewLine)? {
                    true => Ok(Scanned::Complete { line, len: at + 2 }),
                    false => Ok(partial),
                };
            }
            Some(_) => return Err(ScanError::FieldName),
        }
        if fields == max_fields {
            return Err(ScanError::TooManyFields);
        }
        let name = &buf[name_start..at];
        at += 1;
        while let Some(b' ' | b'\t') = buf.get(at) {
            at += 1;
        }
        let value_start = at;
        at = skip_value(buf, at);
        // The usual end of the line first; `crlf` sorts out the others.
        if !is_crlf_at(buf, at) && !crlf(buf, at, ScanError::FieldValue)? {
            return Ok(partial);
        }
        let mut value = &buf[value_start..at];
        while let [rest @ .., b' ' | b'\t'] = value {
            value = rest;
        }
        field(name, value);
        fields += 1;
        at += 2;
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
