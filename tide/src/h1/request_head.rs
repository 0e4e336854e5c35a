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

use http::{Method, StatusCode, Uri, Version};

use super::fields::{Fields, token_is};
use super::head::Target;
use super::scan::{self, ScanError, Scanned};
use crate::settings::HeadLimits as Limits;

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

/// A parsed request head: what the engine needs to know at once. The fields stay in the
/// bytes, read in place by [`Head`](super::head::Head).
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: Method,
    /// Where a plain origin-form target lies in the head; any other target, parsed.
    pub(crate) target: Result<Target, Box<Uri>>,
    pub(crate) version: Version,
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

/// Parses a request head from the start of `buf`: one scan of the bytes
/// ([`scan`](super::scan)), the framing facts noted field by field as it goes.
pub(crate) fn parse(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(RequestHead, usize)>, HeadError> {
    let too_large = HeadError {
        status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        reason: "request head too large",
    };
    let mut facts = Facts::default();
    let scanned = scan::scan(buf, limits.max_headers, |name, value| {
        facts.note(name, value)
    });
    let (line, len) = match scanned {
        Ok(Scanned::Complete { line, len }) => (line, len),
        Ok(Scanned::Partial { target_len }) => {
            // Refuse as soon as a limit is passed, not when the head finally ends.
            if buf.len() > limits.max_head_bytes {
                return Err(too_large);
            }
            if target_len > limits.max_uri_bytes {
                return Err(uri_too_long());
            }
            return Ok(None);
        }
        Err(ScanError::TooManyFields) => {
            return Err(HeadError {
                status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                reason: ScanError::TooManyFields.reason(),
            });
        }
        Err(ScanError::Version) if names_an_http_version(buf) => {
            return Err(HeadError {
                status: StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                reason: "only HTTP/1.0 and HTTP/1.1 are supported",
            });
        }
        Err(_) if buf.len() > limits.max_head_bytes => return Err(too_large),
        Err(error) => return Err(HeadError::bad(error.reason())),
    };
    if len > limits.max_head_bytes {
        return Err(too_large);
    }

    let (target_start, target_end) = line.target;
    if target_end - target_start > limits.max_uri_bytes {
        return Err(uri_too_long());
    }
    let method = if line.method == b"GET" {
        Method::GET
    } else {
        Method::from_bytes(line.method).map_err(|_| HeadError::bad("invalid method"))?
    };
    let target = match line.plain {
        Some(path_end) => Ok(Target {
            start: target_start as u32,
            path_end: path_end as u32,
            end: target_end as u32,
        }),
        None => Err(Box::new(
            Uri::try_from(&buf[target_start..target_end])
                .map_err(|_| HeadError::bad("invalid request target"))?,
        )),
    };
    let version = match line.minor_version {
        0 => Version::HTTP_10,
        _ => Version::HTTP_11,
    };

    let body = body_framing(&facts, version, &buf[..len])?;
    if version == Version::HTTP_11 && facts.hosts != 1 {
        return Err(HeadError::bad("HTTP/1.1 requires exactly one Host header"));
    }
    let keep_alive = if version == Version::HTTP_10 {
        facts.connection_keep_alive
    } else {
        !facts.connection_close
    };
    let expect_continue = expects_continue(facts.expect, version)?;

    Ok(Some((
        RequestHead {
            method,
            target,
            version,
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

/// What framing and the connection depend on, noted field by field as the head is read.
#[derive(Debug, Default)]
struct Facts<'b> {
    /// `Host` fields seen.
    hosts: usize,
    /// `Transfer-Encoding` fields seen (none, almost always: their values are read again
    /// from the head when there are some).
    transfer_encodings: usize,
    /// The `Content-Length` all fields agreed on so far, or the first reason they do not.
    content_length: Option<Result<u64, HeadError>>,
    /// A `Connection` field lists `close`.
    connection_close: bool,
    /// A `Connection` field lists `keep-alive`.
    connection_keep_alive: bool,
    /// The first `Expect` value.
    expect: Option<&'b [u8]>,
}

impl<'b> Facts<'b> {
    /// Notes one field (`name` is a token, as the scan found it). Small enough to be
    /// inlined into the scan's loop: a field is passed over on its name's length alone
    /// unless that is the length of a name that matters here, `Host` (in every request) is
    /// counted in place, and the others, rare, are noted out of line.
    #[inline(always)]
    fn note(&mut self, name: &[u8], value: &'b [u8]) {
        match name.len() {
            4 => self.hosts += usize::from(token_is(name, b"host")),
            6 | 10 | 14 | 17 => self.note_rare(name, value),
            _ => {}
        }
    }

    /// [`Facts::note`] for `Expect`, `Connection`, `Content-Length` and `Transfer-Encoding`
    /// (and any name of the same length).
    #[inline(never)]
    fn note_rare(&mut self, name: &[u8], value: &'b [u8]) {
        let is = |lower: &[u8]| token_is(name, lower);
        match name.len() {
            6 if is(b"expect") => {
                self.expect.get_or_insert(value);
            }
            10 if is(b"connection") => self.note_connection(value),
            14 if is(b"content-length") => self.note_content_length(value),
            17 if is(b"transfer-encoding") => self.transfer_encodings += 1,
            _ => {}
        }
    }

    /// Notes whether a `Connection` value lists `close` or `keep-alive` (any case), in one
    /// pass over its items.
    fn note_connection(&mut self, value: &[u8]) {
        for item in value.split(|&b| b == b',') {
            let item = item.trim_ascii();
            self.connection_close |= item.eq_ignore_ascii_case(b"close");
            self.connection_keep_alive |= item.eq_ignore_ascii_case(b"keep-alive");
        }
    }

    /// Folds one `Content-Length` field into the length seen so far.
    fn note_content_length(&mut self, value: &[u8]) {
        if let Some(Err(_)) = self.content_length {
            return;
        }
        for part in value.split(|&b| b == b',') {
            let Some(parsed) = parse_decimal(trim_ows(part)) else {
                self.content_length = Some(Err(HeadError::bad("invalid Content-Length")));
                return;
            };
            match self.content_length {
                Some(Ok(seen)) if seen != parsed => {
                    self.content_length =
                        Some(Err(HeadError::bad("conflicting Content-Length values")));
                    return;
                }
                _ => self.content_length = Some(Ok(parsed)),
            }
        }
    }
}

/// Decides the body's framing from `Transfer-Encoding` and `Content-Length`.
/// `head` is the whole head, read again for the `Transfer-Encoding` values.
fn body_framing(
    facts: &Facts<'_>,
    version: Version,
    head: &[u8],
) -> Result<BodyFraming, HeadError> {
    let has_te = facts.transfer_encodings > 0;
    if has_te && facts.content_length.is_some() {
        return Err(HeadError::bad("both Transfer-Encoding and Content-Length"));
    }
    if has_te {
        if version == Version::HTTP_10 {
            return Err(HeadError::bad("Transfer-Encoding in an HTTP/1.0 request"));
        }
        let values: Vec<&[u8]> = Fields::of(head)
            .filter(|(name, _)| token_is(name, b"transfer-encoding"))
            .map(|(_, value)| value)
            .collect();
        return transfer_coding(&values).map(|()| BodyFraming::Chunked);
    }
    match facts.content_length {
        Some(Ok(0)) | None => Ok(BodyFraming::Empty),
        Some(Ok(len)) => Ok(BodyFraming::Length(len)),
        Some(Err(error)) => Err(error),
    }
}

/// Accepts exactly one coding, `chunked`, across all `Transfer-Encoding` fields.
fn transfer_coding(values: &[&[u8]]) -> Result<(), HeadError> {
    let mut codings = Vec::new();
    for value in values {
        let value = std::str::from_utf8(value)
            .ok()
            .filter(|v| v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)))
            .ok_or(HeadError::bad("invalid Transfer-Encoding"))?;
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

fn expects_continue(expect: Option<&[u8]>, version: Version) -> Result<bool, HeadError> {
    let Some(expect) = expect else {
        return Ok(false);
    };
    if expect.eq_ignore_ascii_case(b"100-continue") {
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
