//! Specification of the scan: named cases, and the scan checked against the byte-at-a-time
//! scan it replaced (kept here as the reference) at every position of the word-at-a-time
//! paths: each byte value at each of the first 16 positions of values, names and targets of
//! every length up to 17, with the buffer ending anywhere.

use super::*;

/// The byte-at-a-time skip the reference scan used.
fn reference_skip(buf: &[u8], at: usize, class: u8) -> usize {
    let rest = buf.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|&b| !is(b, class))
        .unwrap_or(rest.len())
}

/// [`crlf`] as it was. Checks the CRLF at `at`: `Ok(true)` if it is there, `Ok(false)` if the buffer ends first.
fn reference_crlf(buf: &[u8], at: usize, otherwise: ScanError) -> Result<bool, ScanError> {
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

/// The scan as it was before it read words, byte by byte: the specification the word-at-a-
/// time scan is checked against. Scans the head at the start of `buf`, calling `field(name, value)` for each field line
/// (the value without its surrounding whitespace), in order, as it is found.
fn reference<'b>(
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
        let end = reference_skip(buf, 0, TOKEN);
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
    at = reference_skip(buf, at, PLAIN);
    let path_end = at;
    if at < len && buf[at] == b'?' {
        at = reference_skip(buf, at + 1, QUERY);
    }
    let mut plain = true;
    if at < len && buf[at] != b' ' {
        plain = false;
        at = reference_skip(buf, at, TARGET);
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
    if !reference_crlf(buf, at, ScanError::NewLine)? {
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
            return match reference_crlf(buf, at, ScanError::NewLine)? {
                true => Ok(Scanned::Complete { line, len: at + 2 }),
                false => Ok(partial),
            };
        }
        let name_start = at;
        at = reference_skip(buf, at, TOKEN);
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
        at = reference_skip(buf, at, VALUE);
        if !reference_crlf(buf, at, ScanError::FieldValue)? {
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

/// What a scan says about `buf`: its result and the fields it handed over.
type Outcome<'b> = (Result<Scanned<'b>, ScanError>, Vec<(&'b [u8], &'b [u8])>);

fn outcome(buf: &[u8]) -> Outcome<'_> {
    let mut fields = Vec::new();
    let result = scan(buf, 8, |n, v| fields.push((n, v)));
    (result, fields)
}

fn reference_outcome(buf: &[u8]) -> Outcome<'_> {
    let mut fields = Vec::new();
    let result = reference(buf, 8, |n, v| fields.push((n, v)));
    (result, fields)
}

/// Asserts the scan agrees with the reference on `buf` and on every prefix of it (the
/// buffer ending anywhere, a CRLF split included).
fn agrees(buf: &[u8]) {
    for end in 0..=buf.len() {
        let prefix = &buf[..end];
        assert_eq!(
            outcome(prefix),
            reference_outcome(prefix),
            "{:?}",
            String::from_utf8_lossy(prefix)
        );
    }
}

/// `len` bytes of `fill`, with `bad` at `at` (if `at < len`).
fn bytes_with(len: usize, fill: u8, at: usize, bad: u8) -> Vec<u8> {
    let mut bytes = vec![fill; len];
    if at < len {
        bytes[at] = bad;
    }
    bytes
}

/// Every byte value at each position 0..16 of values of every length 0..=17, the value
/// followed by a CRLF and the head's end, and by padding of 0..=9 bytes, so that the value
/// ends both where eight more bytes can be read and where they cannot. A control byte, DEL,
/// a bare LF or a lone CR anywhere in a value is refused as before; tab, obs-text and
/// whitespace at either end are read as before.
#[test]
fn values_word_by_word_agree_with_the_byte_by_byte_scan() {
    for len in 0..=17 {
        for at in 0..16.min(len.max(1)) {
            for bad in 0..=255u8 {
                let value = bytes_with(len, b'v', at, bad);
                for pad in [0, 1, 6, 7, 8, 9] {
                    let mut raw = b"GET / HTTP/1.1\r\nHost: h\r\nX:".to_vec();
                    raw.extend_from_slice(&value);
                    raw.extend_from_slice(b"\r\n\r\n");
                    raw.extend(std::iter::repeat_n(b'p', pad));
                    let (result, fields) = outcome(&raw);
                    assert_eq!(
                        (result, fields.clone()),
                        reference_outcome(&raw),
                        "value {value:?}, padding {pad}"
                    );
                    // Refused exactly when the value holds something other than field text.
                    assert_eq!(
                        result.is_ok(),
                        value.iter().all(|&b| is_value_byte(b)),
                        "value {value:?}"
                    );
                }
            }
        }
    }
}

/// The same for field names (tokens) and plain targets (paths and queries) of every length,
/// read eight bytes per turn of the loop.
#[test]
fn names_and_targets_word_by_word_agree_with_the_byte_by_byte_scan() {
    for len in 0..=17 {
        for at in 0..16.min(len.max(1)) {
            for bad in 0..=255u8 {
                let name = bytes_with(len, b'n', at, bad);
                let mut raw = b"GET / HTTP/1.1\r\n".to_vec();
                raw.extend_from_slice(&name);
                raw.extend_from_slice(b": v\r\n\r\n");
                assert_eq!(outcome(&raw), reference_outcome(&raw), "name {name:?}");
                let path = bytes_with(len, b'p', at, bad);
                for target in [
                    [b"/".as_slice(), &path].concat(),
                    [b"/?", &path[..]].concat(),
                ] {
                    let mut raw = b"GET ".to_vec();
                    raw.extend_from_slice(&target);
                    raw.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
                    assert_eq!(outcome(&raw), reference_outcome(&raw), "target {target:?}");
                }
            }
        }
    }
}

/// Heads ending anywhere: every prefix of heads whose lines and values end at each offset
/// from the words' boundaries needs more bytes, exactly as the reference says.
#[test]
fn heads_cut_anywhere_agree_with_the_byte_by_byte_scan() {
    for len in 0..=17 {
        let value = "v".repeat(len);
        let raw = format!("POST /a?b HTTP/1.1\r\nHost: h\r\nX-Long-Name: {value}\t \r\nY:\r\n\r\n");
        agrees(raw.as_bytes());
        let raw = format!("GET /{value} HTTP/1.0\r\n{value}x: {value}\r\n\r\n");
        agrees(raw.as_bytes());
    }
    agrees(b"GET / HTTP/1.1\r\nA: \tx\ty\t\r\nB: \x80\xff\r\n\r\n");
    agrees(b"GET / HTTP/1.1\r\nA: 12345678\r\r\n\r\n");
    agrees(b"GET / HTTP/1.1\r\nA: 1234567\n\r\n");
}

/// Random heads (a few bytes of a small alphabet of the bytes that matter spliced into a
/// valid head), checked against the reference. Deterministic: xorshift from a fixed seed.
#[test]
fn random_heads_agree_with_the_byte_by_byte_scan() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const ALPHABET: &[u8] = b"aZ09-:/? \t\r\n\x00\x1f\x7f\x80\xff%";
    let base = b"GET /path/to?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: agent/1.0 (x)\r\nAccept: */*\r\n\r\n";
    for _ in 0..20_000 {
        let mut raw = base.to_vec();
        for _ in 0..1 + next() % 3 {
            let at = (next() % raw.len() as u64) as usize;
            raw[at] = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
        }
        let end = (next() % (raw.len() as u64 + 1)) as usize;
        let raw = &raw[..end];
        assert_eq!(outcome(raw), reference_outcome(raw), "{raw:?}");
    }
}

#[test]
fn the_word_operations_find_the_first_byte() {
    for at in 0..8 {
        for b in 0..=255u8 {
            let mut bytes = [b'a'; 8];
            bytes[at] = b;
            let word = u64::from_le_bytes(bytes);
            let below = lanes_below(word, 0x20);
            assert_eq!(below != 0, b < 0x20, "{b}");
            if below != 0 {
                assert_eq!(first_lane(below), at);
            }
            let equal = lanes_equal(word, 0x7f);
            assert_eq!(equal != 0, b == 0x7f, "{b}");
            if equal != 0 {
                assert_eq!(first_lane(equal), at);
            }
        }
    }
    // Lanes after a matching one may be marked too: only the first is read.
    let word = u64::from_le_bytes([b'a', 0x00, 0x20, 0x1f, b'a', b'a', b'a', b'a']);
    assert_eq!(first_lane(lanes_below(word, 0x20)), 1);
}
