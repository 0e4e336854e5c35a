//! Not part of tide's API: the crate-private parsers, and the harness that drives a whole
//! connection from bytes, exposed for the cargo-fuzz targets in `fuzz/` and for the property
//! test (`tests/property.rs`). Hidden from the docs and free to change in any release.
//!
//! A hidden module rather than a `fuzzing` cargo feature: the fuzz targets and the test
//! suite build the same tide as every user (no feature to forget, no second build of the
//! crate), and nothing here costs anything unless called.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::h1::chunked::ChunkedDecoder;
use crate::h1::request_head::{self, BodyFraming};
use crate::settings::{DEFAULT_MAX_CHUNK_METADATA_BYTES, HeadLimits};

/// What the head parser made of a complete head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHead {
    /// Bytes of the head, final empty line included.
    pub len: usize,
    /// The method, as text.
    pub method: String,
    /// `None`: no body; `Some(Some(n))`: `n` bytes; `Some(None)`: chunked.
    pub body: Option<Option<u64>>,
    /// The client wants the connection kept open.
    pub keep_alive: bool,
}

/// Parses a request head from the start of `buf` with the default limits: `Ok(None)` when
/// more bytes are needed, `Err((status, reason))` when the head is refused.
pub fn parse_head(buf: &[u8]) -> Result<Option<ParsedHead>, (u16, &'static str)> {
    match request_head::parse(buf, &HeadLimits::default()) {
        Ok(None) => Ok(None),
        Ok(Some((head, len))) => Ok(Some(ParsedHead {
            len,
            method: head.method.to_string(),
            body: match head.body {
                BodyFraming::Empty => None,
                BodyFraming::Length(n) => Some(Some(n)),
                BodyFraming::Chunked => Some(None),
            },
            keep_alive: head.keep_alive,
        })),
        Err(error) => Err((error.status.as_u16(), error.reason)),
    }
}

/// A chunked body decoded in pieces: the data, the bytes consumed, and whether it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The body's data.
    pub data: Vec<u8>,
    /// Input bytes consumed.
    pub consumed: usize,
    /// The last chunk and the trailers were read.
    pub done: bool,
}

/// Decodes `pieces` one after the other with the strict chunked decoder (default metadata
/// limit), as they would arrive from the network; stops at the first error.
pub fn decode_chunked<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Decoded, &'static str> {
    let mut decoder = ChunkedDecoder::new(DEFAULT_MAX_CHUNK_METADATA_BYTES);
    let mut decoded = Decoded {
        data: Vec::new(),
        consumed: 0,
        done: false,
    };
    for piece in pieces {
        let used = decoder.decode(piece, &mut decoded.data).map_err(|e| e.0)?;
        decoded.consumed += used;
        if decoder.is_done() {
            break;
        }
        if used < piece.len() {
            return Err("the decoder stopped early before the end of the body");
        }
    }
    decoded.done = decoder.is_done();
    Ok(decoded)
}

/// A connection from a script: reads hand out `pieces` one per read (as split by the
/// network), then the end of the stream; every write is kept. Never waits.
#[derive(Debug)]
pub struct ScriptedIo {
    pieces: std::collections::VecDeque<Vec<u8>>,
    written: Arc<Mutex<Vec<u8>>>,
}

impl ScriptedIo {
    /// A connection that delivers `pieces`; the bytes the server writes land in the returned
    /// buffer.
    pub fn new(pieces: Vec<Vec<u8>>) -> (ScriptedIo, Arc<Mutex<Vec<u8>>>) {
        let written = Arc::new(Mutex::new(Vec::new()));
        let io = ScriptedIo {
            pieces: pieces.into_iter().filter(|p| !p.is_empty()).collect(),
            written: written.clone(),
        };
        (io, written)
    }
}

impl AsyncRead for ScriptedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let Some(piece) = self.pieces.front_mut() else {
            return Poll::Ready(Ok(0));
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        piece.drain(..n);
        if piece.is_empty() {
            self.pieces.pop_front();
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for ScriptedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// One response read back from what a server wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedResponse {
    /// The status code.
    pub status: u16,
    /// The response said `Connection: close`.
    pub close: bool,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

/// Reads back every response in `out`, strictly: a status line and headers httparse
/// accepts, a body framed by `Content-Length` or chunked (never both; none for `1xx`, `204`,
/// `304`, or when `is_head(i)` says request `i` was a `HEAD`), no byte after a response that
/// said `Connection: close`, no truncated response. Interim `1xx` responses are returned too.
pub fn read_responses(
    mut out: &[u8],
    is_head: &dyn Fn(usize) -> bool,
) -> Result<Vec<ParsedResponse>, String> {
    let mut responses = Vec::new();
    let mut final_index = 0;
    while !out.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(out) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Err(format!("truncated head: {out:?}")),
            Err(error) => return Err(format!("bad response head ({error}): {out:?}")),
        };
        let status = response.code.unwrap_or(0);
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        for header in response.headers.iter() {
            let value = std::str::from_utf8(header.value).map_err(|e| e.to_string())?;
            if header.name.eq_ignore_ascii_case("content-length") {
                if length.is_some() {
                    return Err("two Content-Length fields".into());
                }
                length = Some(value.parse::<usize>().map_err(|e| e.to_string())?);
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
                if !chunked {
                    return Err(format!("transfer coding {value}"));
                }
            } else if header.name.eq_ignore_ascii_case("connection") {
                close |= value
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("close"));
            }
        }
        if chunked && length.is_some() {
            return Err("both Content-Length and chunked".into());
        }
        out = &out[head_len..];
        let interim = (100..200).contains(&status);
        let bodiless = interim || status == 204 || status == 304 || is_head(final_index);
        let body = if bodiless {
            Vec::new()
        } else if chunked {
            let decoded = decode_chunked([out]).map_err(|e| format!("bad chunked body: {e}"))?;
            if !decoded.done {
                return Err("truncated chunked body".into());
            }
            out = &out[decoded.consumed..];
            decoded.data
        } else if let Some(length) = length {
            if out.len() < length {
                return Err(format!("truncated body: {length} announced, {}", out.len()));
            }
            let (body, rest) = out.split_at(length);
            out = rest;
            body.to_vec()
        } else if close {
            std::mem::take(&mut out).to_vec()
        } else {
            return Err(format!(
                "response {status} without framing on a kept connection"
            ));
        };
        if close && !out.is_empty() {
            return Err(format!("bytes after Connection: close: {out:?}"));
        }
        if !interim {
            final_index += 1;
        }
        responses.push(ParsedResponse {
            status,
            close,
            body,
        });
    }
    Ok(responses)
}
