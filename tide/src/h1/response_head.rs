//! Writing a response head and chunked framing into the connection's write buffer.
//!
//! The engine owns framing: it decides between `Content-Length` and chunked coding from what it
//! knows of the body, and drops any `Content-Length` or `Transfer-Encoding` the handler set,
//! so a handler can never make the response's framing disagree with its body.
//!
//! A response is written in one pass into room reserved once at the end of the buffer
//! ([`Room`](super::room::Room)): [`write_response`] for
//! any response, [`write_ok`] for the usual one (`200`, plain field lines, a body in memory,
//! nothing to choose), which must write the same bytes (a test holds them to it).

use http::{StatusCode, Version};

use super::date::DATE_LEN;
use super::response_fields::ResponseFields;
use super::room::Room;

/// How a response body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseFraming {
    /// `Content-Length: n`, then n bytes (none for a HEAD request).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// No body and no length: 1xx, 204 and 304 responses.
    Bodiless,
    /// A body of unknown length to an HTTP/1.0 client: no length, and the end of the body is
    /// the end of the connection.
    UntilClose,
}

/// What the `Connection` header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionHeader {
    /// Nothing: the version's default applies.
    Default,
    /// `Connection: close`: the server closes after this response.
    Close,
    /// `Connection: keep-alive`: for HTTP/1.0 clients that asked for it.
    KeepAlive,
}

/// The final chunk and the empty trailer section.
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The interim response sent when a client that expects it starts reading the body.
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Whether a response with `status` may carry a body at all.
pub(crate) fn status_allows_body(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// Whether a comma-separated header value lists `token` (case-insensitively).
pub(crate) fn lists_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|item| item.trim_ascii().eq_ignore_ascii_case(token))
}

/// What a response head is written from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResponseHead<'a> {
    pub(crate) version: Version,
    pub(crate) status: StatusCode,
    pub(crate) fields: &'a ResponseFields,
    pub(crate) framing: ResponseFraming,
    pub(crate) connection: ConnectionHeader,
    /// The `Date` value to add, `None` when the handler set its own.
    pub(crate) date: Option<&'a [u8; DATE_LEN]>,
}

/// Appends the status line and header section to `out`; `date` is the `Date` value to add,
/// `None` when the handler set its own.
pub(crate) fn write_head(
    out: &mut Vec<u8>,
    version: Version,
    status: StatusCode,
    fields: &ResponseFields,
    framing: ResponseFraming,
    connection: ConnectionHeader,
    date: Option<&[u8; DATE_LEN]>,
) {
    let head = ResponseHead {
        version,
        status,
        fields,
        framing,
        connection,
        date,
    };
    write_response(out, &head, &[]);
}

/// Appends a whole response to `out`: the status line, the header section of `head`, then
/// `body` (empty when the response has none, or its body is written later).
///
/// The usual response (fields kept as lines with nothing the engine must filter) is written
/// into one reservation ([`Room`]): every piece is one copy, the pieces whose length is
/// known when compiled (the usual status line, the engine's field names, the `Date`) a few
/// stores each, and the buffer's length is set once.
pub(crate) fn write_response(out: &mut Vec<u8>, head: &ResponseHead<'_>, body: &[u8]) {
    let mut room = match head.fields.plain_lines() {
        Some([content_type, lines]) => {
            let size = STATUS_LINE_MAX + content_type.len() + lines.len() + TAIL_MAX + body.len();
            let mut room = Room::new(out, size);
            put_status_line(&mut room, head.version, head.status);
            room.put(content_type);
            room.put(lines);
            room
        }
        None => {
            let mut room = Room::new(out, STATUS_LINE_MAX);
            put_status_line(&mut room, head.version, head.status);
            let out = room.done();
            head.fields
                .write(out, head.connection == ConnectionHeader::Default);
            Room::new(out, TAIL_MAX + body.len())
        }
    };
    match head.framing {
        ResponseFraming::Length(length) => {
            room.put(b"content-length: ");
            put_decimal(&mut room, length);
            room.put(b"\r\n");
        }
        ResponseFraming::Chunked => room.put(b"transfer-encoding: chunked\r\n"),
        ResponseFraming::Bodiless | ResponseFraming::UntilClose => {}
    }
    match head.connection {
        ConnectionHeader::Default => {}
        ConnectionHeader::Close => room.put(b"connection: close\r\n"),
        ConnectionHeader::KeepAlive => room.put(b"connection: keep-alive\r\n"),
    }
    if let Some(date) = head.date {
        room.put(b"date: ");
        room.put(date);
        room.put(b"\r\n");
    }
    room.put(b"\r\n");
    room.put(body);
    room.done();
}

/// Appends the usual response: `HTTP/1.1 200 OK`, fields kept as plain lines
/// ([`ResponseFields::plain_lines`]), the body's `content-length`, the batch's `Date`, then
/// the body, which is in memory; the connection stays open. It is what [`write_response`]
/// writes for such a response (a test holds the two to it), without its choices.
pub(crate) fn write_ok(
    out: &mut Vec<u8>,
    [content_type, lines]: [&[u8]; 2],
    date: &[u8; DATE_LEN],
    body: &[u8],
) {
    // The digits first: their loop then has none of the room's bookkeeping to carry.
    let length = short_decimal(body.len() as u64);
    let size = STATUS_LINE_OK.len() + content_type.len() + lines.len() + TAIL_MAX + body.len();
    let mut room = Room::new(out, size);
    room.put(STATUS_LINE_OK);
    room.put(content_type);
    room.put(lines);
    room.put(b"content-length: ");
    match length {
        Some(digits) => put_digits(&mut room, digits),
        None => put_long_decimal(&mut room, body.len() as u64),
    }
    room.put(b"\r\ndate: ");
    room.put(date);
    room.put(b"\r\n\r\n");
    room.put(body);
    room.done();
}

/// The status line of the usual response.
const STATUS_LINE_OK: &[u8] = b"HTTP/1.1 200 OK\r\n";

/// The most bytes of a status line: `HTTP/1.x NNN `, a reason (the longest canonical one
/// has 31 bytes) and CRLF.
const STATUS_LINE_MAX: usize = 64;

fn put_status_line(room: &mut Room<'_>, version: Version, status: StatusCode) {
    if version == Version::HTTP_11 && status == StatusCode::OK {
        room.put(STATUS_LINE_OK);
    } else {
        put_other_status_line(room, version, status);
    }
}

#[cold]
fn put_other_status_line(room: &mut Room<'_>, version: Version, status: StatusCode) {
    room.put(if version == Version::HTTP_10 {
        b"HTTP/1.0 "
    } else {
        b"HTTP/1.1 "
    });
    room.put(status.as_str().as_bytes());
    room.put(b" ");
    room.put(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    room.put(b"\r\n");
}

/// The most bytes of the lines the engine adds after the handler's fields: a 20-digit
/// `content-length`, `connection: keep-alive`, `date` and the empty line (101 bytes).
const TAIL_MAX: usize = 128;

/// The most decimal digits of a `u64`.
const MAX_DIGITS: usize = 20;

/// Puts `value` in decimal.
#[inline]
fn put_decimal(room: &mut Room<'_>, value: u64) {
    match short_decimal(value) {
        Some(digits) => put_digits(room, digits),
        None => put_long_decimal(room, value),
    }
}

/// Up to 8 decimal digits: a word holding them first to last, and how many there are.
type ShortDecimal = ([u8; 8], usize);

/// `value` in decimal when it has up to 8 digits (the usual length). Each digit, produced
/// last first, is shifted in at the low end of a word, so that the word's little-endian
/// bytes are the digits in order: no digit count beforehand, and the digits are put as a
/// copy of a length known when compiled ([`put_digits`]).
#[inline]
fn short_decimal(value: u64) -> Option<ShortDecimal> {
    let mut rest = u32::try_from(value)
        .ok()
        .filter(|&small| small < 100_000_000)?;
    let mut word = 0u64;
    let mut count = 0;
    loop {
        word = (word << 8) | u64::from(b'0' + (rest % 10) as u8);
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    Some((word.to_le_bytes(), count))
}

/// Puts the digits of a [`short_decimal`]: the whole word (one store), of which the digits
/// are kept.
#[inline]
fn put_digits(room: &mut Room<'_>, (digits, count): ShortDecimal) {
    room.put_first(&digits, count);
}

/// [`put_decimal`] of a value of more than 8 digits: out of line, so that the usual one
/// stays small.
#[cold]
#[inline(never)]
fn put_long_decimal(room: &mut Room<'_>, value: u64) {
    let mut digits = [0u8; MAX_DIGITS];
    let mut at = MAX_DIGITS;
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    room.put(&digits[at..]);
}

/// Appends one chunk (`size CRLF data CRLF`); an empty `data` writes nothing, since an empty
/// chunk would end the body.
pub(crate) fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    write_hex(out, data.len() as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fn write_hex(out: &mut Vec<u8>, value: u64) {
    let digits = 16 - (value.leading_zeros() as usize / 4).min(15);
    for shift in (0..digits).rev() {
        out.push(b"0123456789abcdef"[(value >> (shift * 4)) as usize & 0xf]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h1::chunked::ChunkedDecoder;
    use crate::h1::response_fields::ContentTypeLine;
    use http::header::{CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
    use http::{HeaderMap, HeaderValue};

    fn head(
        version: Version,
        status: u16,
        headers: &HeaderMap,
        framing: ResponseFraming,
        connection: ConnectionHeader,
    ) -> String {
        let mut out = Vec::new();
        let fields = ResponseFields::Map(headers.clone());
        let date = (!fields.facts().has_date).then(super::super::date::current_date);
        write_head(
            &mut out,
            version,
            StatusCode::from_u16(status).unwrap(),
            &fields,
            framing,
            connection,
            date.as_ref(),
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn status_line_headers_length_and_date() {
        let mut headers = HeaderMap::new();
        headers.insert("server", HeaderValue::from_static("tide"));
        let text = head(
            Version::HTTP_11,
            200,
            &headers,
            ResponseFraming::Length(13),
            ConnectionHeader::Default,
        );
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\nserver: tide\r\ncontent-length: 13\r\ndate: "),
            "{text}"
        );
        assert!(text.ends_with(" GMT\r\n\r\n"), "{text}");
    }

    #[test]
    fn the_engine_owns_framing_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("999"));
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(
            DATE,
            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
        );
        let text = head(
            Version::HTTP_11,
            404,
            &headers,
            ResponseFraming::Chunked,
            ConnectionHeader::Close,
        );
        assert_eq!(
            text,
            "HTTP/1.1 404 Not Found\r\ndate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
             transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );
    }

    #[test]
    fn http_1_0_keep_alive_and_bodiless_statuses() {
        let mut headers = HeaderMap::new();
        headers.insert(DATE, HeaderValue::from_static("x"));
        let text = head(
            Version::HTTP_10,
            204,
            &headers,
            ResponseFraming::Bodiless,
            ConnectionHeader::KeepAlive,
        );
        assert_eq!(
            text,
            "HTTP/1.0 204 No Content\r\ndate: x\r\nconnection: keep-alive\r\n\r\n"
        );
        assert!(!status_allows_body(StatusCode::NO_CONTENT));
        assert!(!status_allows_body(StatusCode::NOT_MODIFIED));
        assert!(!status_allows_body(StatusCode::CONTINUE));
        assert!(status_allows_body(StatusCode::OK));
    }

    #[test]
    fn the_headers_say_whether_they_carry_a_date_and_close() {
        let check = |pairs: &[(&'static str, &'static str)], expected: (bool, bool)| {
            let mut headers = HeaderMap::new();
            let mut lines = ResponseFields::default();
            for (name, value) in pairs {
                headers.append(*name, HeaderValue::from_static(value));
                lines.append(name, value).unwrap();
            }
            for fields in [ResponseFields::Map(headers), lines] {
                let facts = fields.facts();
                assert_eq!((facts.has_date, facts.says_close), expected, "{pairs:?}");
            }
        };
        check(&[], (false, false));
        check(&[("date", "x")], (true, false));
        check(&[("connection", "keep-alive, Close ")], (false, true));
        check(
            &[("connection", "upgrade"), ("connection", "close")],
            (false, true),
        );
        check(
            &[("connection", "closed"), ("x-close", "close")],
            (false, false),
        );
    }

    #[test]
    fn decimal_and_hex() {
        let edges = [9_999_999, 99_999_999, 100_000_000, u64::from(u32::MAX) + 1];
        for value in [
            0,
            1,
            9,
            10,
            99,
            100,
            255,
            256,
            65535,
            u64::MAX / 10,
            u64::MAX,
        ]
        .into_iter()
        .chain(edges)
        {
            let mut out = b"x".to_vec();
            let mut room = Room::new(&mut out, MAX_DIGITS);
            put_decimal(&mut room, value);
            room.done();
            assert_eq!(String::from_utf8(out).unwrap(), format!("x{value}"));
            let mut out = Vec::new();
            write_hex(&mut out, value);
            assert_eq!(String::from_utf8(out).unwrap(), format!("{value:x}"));
        }
    }

    #[test]
    fn chunks_decode_back_to_the_body() {
        let mut wire = Vec::new();
        for part in [&b"hello"[..], b"", b" ", &[b'x'; 300]] {
            write_chunk(&mut wire, part);
        }
        wire.extend_from_slice(LAST_CHUNK);
        let mut decoder = ChunkedDecoder::new(0);
        let mut body = Vec::new();
        assert_eq!(decoder.decode(&wire, &mut body).unwrap(), wire.len());
        assert!(decoder.is_done());
        assert_eq!(body.len(), 306);
        assert!(body.starts_with(b"hello "));
    }

    /// What [`write_response`] must write for `head` and `body`, put together from the
    /// pieces' own writers: the fields by [`ResponseFields::write`], which looks at every
    /// line.
    fn expected(head: &ResponseHead<'_>, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if head.version == Version::HTTP_11 && head.status == StatusCode::OK {
            out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        } else {
            let version = if head.version == Version::HTTP_10 {
                "1.0"
            } else {
                "1.1"
            };
            let reason = head.status.canonical_reason().unwrap_or("Unknown");
            out.extend_from_slice(
                format!("HTTP/{version} {} {reason}\r\n", head.status.as_str()).as_bytes(),
            );
        }
        head.fields
            .write(&mut out, head.connection == ConnectionHeader::Default);
        match head.framing {
            ResponseFraming::Length(n) => {
                out.extend_from_slice(format!("content-length: {n}\r\n").as_bytes())
            }
            ResponseFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
            _ => {}
        }
        match head.connection {
            ConnectionHeader::Close => out.extend_from_slice(b"connection: close\r\n"),
            ConnectionHeader::KeepAlive => out.extend_from_slice(b"connection: keep-alive\r\n"),
            ConnectionHeader::Default => {}
        }
        if let Some(date) = head.date {
            out.extend_from_slice(b"date: ");
            out.extend_from_slice(date);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn the_one_pass_writer_writes_what_the_pieces_write() {
        let plain = {
            let mut fields = ResponseFields::with_content_type(ContentTypeLine::new(
                b"content-type: text/plain; charset=utf-8\r\n",
            ));
            fields.insert("Server", "tide").unwrap();
            fields
        };
        let special = {
            let mut fields = plain.clone();
            fields.append("content-length", "999").unwrap();
            fields.append("connection", "close").unwrap();
            fields
        };
        let map = {
            let mut fields = special.clone();
            fields.map_mut();
            fields
        };
        let date = *b"Sun, 06 Nov 1994 08:49:37 GMT";
        let big = vec![b'x'; 5000];
        for fields in [&plain, &special, &map, &ResponseFields::default()] {
            for (version, status) in [
                (Version::HTTP_11, 200),
                (Version::HTTP_10, 200),
                (Version::HTTP_11, 404),
                (Version::HTTP_11, 599),
            ] {
                for framing in [
                    ResponseFraming::Length(13),
                    ResponseFraming::Length(u64::MAX),
                    ResponseFraming::Chunked,
                    ResponseFraming::Bodiless,
                    ResponseFraming::UntilClose,
                ] {
                    for connection in [
                        ConnectionHeader::Default,
                        ConnectionHeader::Close,
                        ConnectionHeader::KeepAlive,
                    ] {
                        for (date, body) in [(Some(&date), &b"Hello, World!"[..]), (None, &big[..])]
                        {
                            let head = ResponseHead {
                                version,
                                status: StatusCode::from_u16(status).unwrap(),
                                fields,
                                framing,
                                connection,
                                date,
                            };
                            let mut out = b"earlier response".to_vec();
                            write_response(&mut out, &head, body);
                            let mut want = b"earlier response".to_vec();
                            want.extend_from_slice(&expected(&head, body));
                            assert_eq!(
                                String::from_utf8_lossy(&out),
                                String::from_utf8_lossy(&want),
                                "{head:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_usual_response_is_written_as_the_general_writer_writes_it() {
        let date = *b"Sun, 06 Nov 1994 08:49:37 GMT";
        let mut with_lines = ResponseFields::with_content_type(ContentTypeLine::new(
            b"content-type: application/json\r\n",
        ));
        with_lines.insert("server", "tide").unwrap();
        with_lines.append("x-more", "1").unwrap();
        let big = vec![b'x'; 123_456];
        for fields in [ResponseFields::default(), with_lines] {
            for body in [&b""[..], b"Hello, World!", &big] {
                let head = ResponseHead {
                    version: Version::HTTP_11,
                    status: StatusCode::OK,
                    fields: &fields,
                    framing: ResponseFraming::Length(body.len() as u64),
                    connection: ConnectionHeader::Default,
                    date: Some(&date),
                };
                let mut general = b"earlier".to_vec();
                write_response(&mut general, &head, body);
                let mut usual = b"earlier".to_vec();
                write_ok(&mut usual, fields.plain_lines().unwrap(), &date, body);
                assert_eq!(
                    String::from_utf8_lossy(&usual),
                    String::from_utf8_lossy(&general)
                );
            }
        }
    }

    #[test]
    fn every_status_line_fits_its_room() {
        let fields = ResponseFields::default();
        for code in 100..=999 {
            let status = StatusCode::from_u16(code).unwrap();
            for version in [Version::HTTP_10, Version::HTTP_11] {
                let mut out = Vec::new();
                write_head(
                    &mut out,
                    version,
                    status,
                    &fields,
                    ResponseFraming::Bodiless,
                    ConnectionHeader::Default,
                    None,
                );
                let text = String::from_utf8(out).unwrap();
                assert!(
                    text.starts_with(&format!(
                        "HTTP/1.{} {code} ",
                        u8::from(version == Version::HTTP_11)
                    )),
                    "{text}"
                );
                assert!(text.ends_with("\r\n\r\n"), "{text}");
            }
        }
    }
}
