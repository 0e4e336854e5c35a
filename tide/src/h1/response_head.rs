//! Writing a response head and chunked framing into the connection's write buffer.
//!
//! The engine owns framing: it decides between `Content-Length` and chunked coding from what it
//! knows of the body, and drops any `Content-Length` or `Transfer-Encoding` the handler set,
//! so a handler can never make the response's framing disagree with its body.

use http::{StatusCode, Version};

use super::date::DATE_LEN;
use super::response_fields::ResponseFields;

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
    if version == Version::HTTP_11 && status == StatusCode::OK {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    } else {
        write_status_line(out, version, status);
    }
    fields.write(out, connection == ConnectionHeader::Default);

    // The engine's own lines, after one reservation for all of them: every piece but the
    // length's digits has a length known when compiled, so each is a few stores.
    out.reserve(TAIL_MAX);
    match framing {
        ResponseFraming::Length(length) => {
            out.extend_from_slice(b"content-length: ");
            let mut digits = [0u8; 20];
            let at = decimal(&mut digits, length);
            out.extend_from_slice(&digits[at..]);
            out.extend_from_slice(b"\r\n");
        }
        ResponseFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        ResponseFraming::Bodiless | ResponseFraming::UntilClose => {}
    }
    match connection {
        ConnectionHeader::Default => {}
        ConnectionHeader::Close => out.extend_from_slice(b"connection: close\r\n"),
        ConnectionHeader::KeepAlive => out.extend_from_slice(b"connection: keep-alive\r\n"),
    }
    if let Some(date) = date {
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(date);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn write_status_line(out: &mut Vec<u8>, version: Version, status: StatusCode) {
    out.extend_from_slice(if version == Version::HTTP_10 {
        b"HTTP/1.0 "
    } else {
        b"HTTP/1.1 "
    });
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// The most bytes of the lines the engine adds after the handler's fields: a 20-digit
/// `content-length`, `connection: keep-alive`, `date` and the empty line (101 bytes).
const TAIL_MAX: usize = 128;

/// Writes `value` in decimal at the end of `digits`; returns where it starts.
fn decimal(digits: &mut [u8; 20], mut value: u64) -> usize {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    at
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
                lines.append(name, value);
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
        for value in [0, 1, 9, 10, 255, 256, 65535, u64::MAX] {
            let mut digits = [0u8; 20];
            let at = decimal(&mut digits, value);
            assert_eq!(
                std::str::from_utf8(&digits[at..]).unwrap(),
                value.to_string()
            );
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
}
