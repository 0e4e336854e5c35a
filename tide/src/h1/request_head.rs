//! Parsing a request head (request line and header fields) straight from the read buffer,
//! with every limit enforced and every ambiguous framing refused.
//!
//! [`parse`] returns `Ok(None)` while the head is incomplete, `Ok(Some((head, len)))` once it
//! is whole, and an error, with the status to answer, when it can never become valid. A
//! request that gets an error must be answered and the connection closed: after a framing
//! error nobody can tell where the next request would start.
//!
//! Decisions, each tested below:
//! - Lines must end in CRLF. A bare LF anywhere in the head is a 400: RFC 9112 lets a server
//!   accept it, but a server and a proxy that disagree on line endings can be made to disagree
//!   on where a request ends.
//! - Obsolete line folding and whitespace between a field name and its colon are 400.
//! - `Transfer-Encoding` together with `Content-Length`, in an HTTP/1.0 request, or whose last
//!   coding is not `chunked`, is 400; a coding other than `chunked` is 501.
//! - Several `Content-Length` values are accepted only if identical; a value that is not a
//!   plain decimal number fitting in 64 bits is 400.
//! - HTTP/1.1 requires exactly one `Host`.

use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING};
use std::mem::MaybeUninit;

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};

use crate::settings::HeadLimits as Limits;

/// Header slots kept on the stack; a larger `max_headers` setting parses into the heap.
const STACK_HEADER_SLOTS: usize = 128;

/// How the request's body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    /// No body.
    Empty,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// The chunked coding follows the head.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) body: BodyFraming,
    /// Whether the client wants the connection kept open after this exchange.
    pub(crate) keep_alive: bool,
    /// Whether the client waits for `100 Continue` before sending the body.
    pub(crate) expect_continue: bool,
}

/// Why a head was refused, and the status that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadError {
    pub(crate) status: StatusCode,
    pub(crate) reason: &'static str,
}

impl HeadError {
    fn bad(reason: &'static str) -> HeadError {
        HeadError {
            status: StatusCode::BAD_REQUEST,
            reason,
        }
    }
}

/// Parses a request head from the start of `buf`.
pub(crate) fn parse(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(RequestHead, usize)>, HeadError> {
    let too_large = HeadError {
        status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        reason: "request head too large",
    };
    if buf.is_empty() {
        return Ok(None);
    }
    // Uninitialised slots: clearing 128 header slots per parse cost more than parsing.
    if limits.max_headers <= STACK_HEADER_SLOTS {
        let mut slots =
            [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADER_SLOTS];
        parse_into(buf, limits, &mut slots[..limits.max_headers], too_large)
    } else {
        let mut slots: Vec<MaybeUninit<httparse::Header<'_>>> =
            Vec::with_capacity(limits.max_headers);
        slots.resize_with(limits.max_headers, MaybeUninit::uninit);
        parse_into(buf, limits, &mut slots, too_large)
    }
}

fn parse_into<'b>(
    buf: &'b [u8],
    limits: &Limits,
    slots: &mut [MaybeUninit<httparse::Header<'b>>],
    too_large: HeadError,
) -> Result<Option<(RequestHead, usize)>, HeadError> {
    let mut request = httparse::Request::new(&mut []);
    let parsed = request.parse_with_uninit_headers(buf, slots);
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            // Refuse as soon as the limit is passed, not when the head finally ends.
            if buf.len() > limits.max_head_bytes {
                return Err(too_large);
            }
            if request
                .path
                .is_some_and(|path| path.len() > limits.max_uri_bytes)
            {
                return Err(uri_too_long());
            }
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(HeadError {
                status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                reason: "too many header fields",
            });
        }
        Err(httparse::Error::Version) if names_an_http_version(buf) => {
            return Err(HeadError {
                status: StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                reason: "only HTTP/1.0 and HTTP/1.1 are supported",
            });
        }
        Err(_) if buf.len() > limits.max_head_bytes => return Err(too_large),
        Err(error) => return Err(HeadError::bad(parse_error_reason(error))),
    };
    if len > limits.max_head_bytes {
        return Err(too_large);
    }
    if has_bare_lf(&buf[..len]) {
        return Err(HeadError::bad("line ending is not CRLF"));
    }

    let path = request
        .path
        .ok_or(HeadError::bad("missing request target"))?;
    if path.len() > limits.max_uri_bytes {
        return Err(uri_too_long());
    }
    let method = Method::from_bytes(request.method.unwrap_or_default().as_bytes())
        .map_err(|_| HeadError::bad("invalid method"))?;
    let uri: Uri = path
        .parse()
        .map_err(|_| HeadError::bad("invalid request target"))?;
    let version = match request.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };

    let mut headers = HeaderMap::with_capacity(request.headers.len());
    for header in request.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| HeadError::bad("invalid header name"))?;
        let value = HeaderValue::from_bytes(header.value)
            .map_err(|_| HeadError::bad("invalid header value"))?;
        headers.append(name, value);
    }

    let body = body_framing(&headers, version)?;
    if version == Version::HTTP_11 && headers.get_all(HOST).iter().count() != 1 {
        return Err(HeadError::bad("HTTP/1.1 requires exactly one Host header"));
    }
    let keep_alive = wants_keep_alive(&headers, version);
    let expect_continue = expects_continue(&headers, version)?;

    Ok(Some((
        RequestHead {
            method,
            uri,
            version,
            headers,
            body,
            keep_alive,
            expect_continue,
        },
        len,
    )))
}

fn uri_too_long() -> HeadError {
    HeadError {
        status: StatusCode::URI_TOO_LONG,
        reason: "request target too long",
    }
}

fn parse_error_reason(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => {
            "invalid header name (or whitespace before a colon, or a folded line)"
        }
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Token => "invalid request line",
        _ => "malformed request head",
    }
}

/// Whether the request line ends in something shaped like `HTTP/x.y`: an unsupported version
/// (505) rather than garbage (400).
fn names_an_http_version(buf: &[u8]) -> bool {
    let line_end = buf
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(buf.len());
    let line = &buf[..line_end];
    line.rsplit(|&b| b == b' ')
        .next()
        .is_some_and(|version| version.len() == 8 && version.starts_with(b"HTTP/"))
}

/// Whether some LF in `head` is not preceded by a CR.
fn has_bare_lf(head: &[u8]) -> bool {
    head.iter()
        .enumerate()
        .any(|(at, &byte)| byte == b'\n' && (at == 0 || head[at - 1] != b'\r'))
}

/// Decides the body's framing from `Transfer-Encoding` and `Content-Length`.
fn body_framing(headers: &HeaderMap, version: Version) -> Result<BodyFraming, HeadError> {
    let has_te = headers.contains_key(TRANSFER_ENCODING);
    let has_cl = headers.contains_key(CONTENT_LENGTH);
    if has_te && has_cl {
        return Err(HeadError::bad("both Transfer-Encoding and Content-Length"));
    }
    if has_te {
        if version == Version::HTTP_10 {
            return Err(HeadError::bad("Transfer-Encoding in an HTTP/1.0 request"));
        }
        return transfer_coding(headers).map(|()| BodyFraming::Chunked);
    }
    if has_cl {
        return content_length(headers).map(|len| {
            if len == 0 {
                BodyFraming::Empty
            } else {
                BodyFraming::Length(len)
            }
        });
    }
    Ok(BodyFraming::Empty)
}

/// Accepts exactly one coding, `chunked`, across all `Transfer-Encoding` fields.
fn transfer_coding(headers: &HeaderMap) -> Result<(), HeadError> {
    let mut codings = Vec::new();
    for value in headers.get_all(TRANSFER_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| HeadError::bad("invalid Transfer-Encoding"))?;
        codings.extend(value.split(',').map(str::trim));
    }
    let last = codings.last().copied().unwrap_or_default();
    if !last.eq_ignore_ascii_case("chunked") {
        return Err(HeadError::bad("the last transfer coding is not chunked"));
    }
    if codings[..codings.len() - 1]
        .iter()
        .any(|c| c.eq_ignore_ascii_case("chunked"))
    {
        return Err(HeadError::bad("chunked applied more than once"));
    }
    if codings.len() > 1 {
        return Err(HeadError {
            status: StatusCode::NOT_IMPLEMENTED,
            reason: "unsupported transfer coding",
        });
    }
    Ok(())
}

/// The one length all `Content-Length` values agree on.
fn content_length(headers: &HeaderMap) -> Result<u64, HeadError> {
    let mut length = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        for part in value.as_bytes().split(|&b| b == b',') {
            let parsed =
                parse_decimal(trim_ows(part)).ok_or(HeadError::bad("invalid Content-Length"))?;
            match length {
                Some(seen) if seen != parsed => {
                    return Err(HeadError::bad("conflicting Content-Length values"));
                }
                _ => length = Some(parsed),
            }
        }
    }
    length.ok_or(HeadError::bad("invalid Content-Length"))
}

/// A plain decimal number: ASCII digits only, no sign, no overflow.
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        if d.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

fn trim_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// Whether a `Connection` field lists `token`.
pub(crate) fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn wants_keep_alive(headers: &HeaderMap, version: Version) -> bool {
    if version == Version::HTTP_10 {
        connection_has(headers, "keep-alive")
    } else {
        !connection_has(headers, "close")
    }
}

fn expects_continue(headers: &HeaderMap, version: Version) -> Result<bool, HeadError> {
    let Some(expect) = headers.get(EXPECT) else {
        return Ok(false);
    };
    if expect.as_bytes().eq_ignore_ascii_case(b"100-continue") {
        // An HTTP/1.0 client cannot understand a 100 response: ignore the expectation.
        return Ok(version == Version::HTTP_11);
    }
    Err(HeadError {
        status: StatusCode::EXPECTATION_FAILED,
        reason: "unsupported expectation",
    })
}

#[cfg(test)]
#[path = "request_head_tests.rs"]
mod tests;
