//! [`ConnReader`]: the read side of one connection: its buffer, the head parser, and the
//! decoder of the request body that is being read.
//!
//! The connection loop and the request's [`Body`](crate::Body) share it (behind a mutex that
//! is never held across an `.await`, and never contended: the loop waits for the handler
//! while the handler reads the body). Bytes are parsed in place; the buffer is reused from
//! request to request and only grows up to the head limit plus one read.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};

use super::transport::Transport;
use crate::h1::decoder::{Decoder, FramingError};
use crate::h1::request_head::{self, HeadError, RequestHead};
use crate::h1::response_head::CONTINUE;
use crate::settings::HeadLimits as Limits;
use crate::{BodyError, body::BodySource};

/// Bytes asked of the OS per read, and the buffer's starting size.
const READ_CHUNK: usize = 8 * 1024;

/// Whether the client waits for `100 Continue` before it sends the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Continue {
    /// The client did not ask, or it has been answered.
    NotNeeded,
    /// The client asked; nothing was sent yet.
    Owed,
    /// This many bytes of the `100 Continue` line are written.
    Sending(usize),
}

/// Why a request body could not be read.
#[derive(Debug)]
pub(crate) enum BodyReadError {
    /// The chunked framing is broken.
    Framing(FramingError),
    /// The client closed the connection mid-body.
    UnexpectedEof,
    /// The socket failed.
    Io(io::Error),
}

/// The read side of a connection.
pub(crate) struct ConnReader {
    transport: Arc<dyn Transport>,
    /// Read buffer: bytes `start..end` are received and not yet consumed; past `end` it is
    /// zeroed, ready to read into. Each request head is split off it ([`Bytes`] sharing the
    /// allocation), and the space is reclaimed in place once no head refers to it.
    buf: BytesMut,
    start: usize,
    end: usize,
    /// The body of the current request, while it is not fully read.
    body: Option<Decoder>,
    /// Body bytes decoded so far for the current request.
    body_read: u64,
    continue_state: Continue,
    /// The peer closed its writing side.
    eof: bool,
    /// Bumped when a request's body begins and when the engine takes back what its handler
    /// left of it: a [`Body`](crate::Body) made under another generation is stale and must
    /// not read (it would take the bytes of a later request).
    generation: u64,
}

impl ConnReader {
    pub(crate) fn new(transport: Arc<dyn Transport>) -> ConnReader {
        ConnReader {
            transport,
            buf: BytesMut::zeroed(READ_CHUNK),
            start: 0,
            end: 0,
            body: None,
            body_read: 0,
            continue_state: Continue::NotNeeded,
            eof: false,
            generation: 0,
        }
    }

    /// The received bytes not yet consumed.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Whether the peer has closed its side.
    pub(crate) fn is_eof(&self) -> bool {
        self.eof
    }

    /// Parses the next request head from the buffer, consuming it; the head's bytes are
    /// split off the buffer (no copy). Empty lines before a request line are skipped (RFC
    /// 9112 §2.2: some clients send a CRLF after a body).
    pub(crate) fn parse_head(
        &mut self,
        limits: &Limits,
    ) -> Result<Option<(RequestHead, Bytes)>, HeadError> {
        while self.buffered().starts_with(b"\r\n") {
            self.start += 2;
        }
        let Some((head, len)) = request_head::parse(self.buffered(), limits)? else {
            return Ok(None);
        };
        self.buf.advance(self.start);
        self.end -= self.start;
        self.start = 0;
        let raw = self.buf.split_to(len).freeze();
        self.end -= len;
        Ok(Some((head, raw)))
    }

    /// Sets up reading the body of the request just parsed; returns the generation its
    /// [`Body`](crate::Body) reads under.
    pub(crate) fn begin_body(&mut self, decoder: Option<Decoder>, expect_continue: bool) -> u64 {
        self.generation = self.generation.wrapping_add(1);
        self.body = decoder.filter(|d| !d.is_done());
        self.body_read = 0;
        self.continue_state = if expect_continue && self.body.is_some() {
            Continue::Owed
        } else {
            Continue::NotNeeded
        };
        self.generation
    }

    /// The handler is done with the current body: from now on only the engine reads it, and
    /// the request's `Body`, wherever it was kept, fails.
    pub(crate) fn take_back_body(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    /// The current generation (see [`ConnReader::begin_body`]).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the current request's body has been read to its end.
    pub(crate) fn body_done(&self) -> bool {
        self.body.is_none()
    }

    /// Whether the client still waits for a `100 Continue` nobody sent.
    pub(crate) fn continue_owed(&self) -> bool {
        self.continue_state == Continue::Owed
    }

    /// Body bytes decoded so far for the current request.
    pub(crate) fn body_read(&self) -> u64 {
        self.body_read
    }

    /// Reads more bytes from the transport into the buffer; `Ok(0)` at end of stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < READ_CHUNK / 2 {
            // Drop what is consumed and make room: `reserve` moves the unconsumed bytes to
            // the front of the allocation when no head split off it is still alive (a new
            // allocation otherwise), growing it only when what is unconsumed needs it.
            self.buf.advance(self.start);
            self.end -= self.start;
            self.start = 0;
            self.buf.truncate(self.end);
            self.buf.reserve(READ_CHUNK);
            let room = self.buf.capacity();
            self.buf.resize(room, 0);
        }
        let transport = self.transport.clone();
        match transport.poll_read(cx, &mut self.buf[self.end..]) {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                Poll::Ready(Ok(0))
            }
            Poll::Ready(Ok(n)) => {
                self.end += n;
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    /// Decodes the next piece of the body into `out` (appending); `Ready(Ok(true))` once the
    /// body has ended. Sends the `100 Continue` the client waits for, first.
    pub(crate) fn poll_body(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Vec<u8>,
    ) -> Poll<Result<bool, BodyReadError>> {
        if let Poll::Ready(Err(error)) = self.poll_send_continue(cx) {
            return Poll::Ready(Err(BodyReadError::Io(error)));
        }
        if matches!(self.continue_state, Continue::Sending(_)) {
            return Poll::Pending;
        }
        loop {
            let Some(decoder) = self.body.as_mut() else {
                return Poll::Ready(Ok(true));
            };
            let before = out.len();
            let progress = decoder
                .decode(&self.buf[self.start..self.end], out)
                .map_err(BodyReadError::Framing)?;
            self.start += progress.consumed;
            self.body_read += (out.len() - before) as u64;
            if progress.done {
                self.body = None;
                return Poll::Ready(Ok(true));
            }
            if out.len() > before {
                return Poll::Ready(Ok(false));
            }
            match self.poll_fill(cx) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(BodyReadError::UnexpectedEof)),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(BodyReadError::Io(error))),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn poll_send_continue(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut written = match self.continue_state {
            Continue::NotNeeded => return Poll::Ready(Ok(())),
            Continue::Owed => 0,
            Continue::Sending(written) => written,
        };
        while written < CONTINUE.len() {
            let slice = [io::IoSlice::new(&CONTINUE[written..])];
            match self.transport.poll_write_vectored(cx, &slice) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => written += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => {
                    self.continue_state = Continue::Sending(written);
                    return Poll::Pending;
                }
            }
        }
        self.continue_state = Continue::NotNeeded;
        Poll::Ready(Ok(()))
    }
}

/// A [`ConnReader`] shared by the connection loop and the current request's body.
pub(crate) type SharedReader = Arc<Mutex<ConnReader>>;

impl From<BodyReadError> for BodyError {
    fn from(error: BodyReadError) -> BodyError {
        match error {
            BodyReadError::Framing(framing) => BodyError::Malformed(framing.0),
            BodyReadError::UnexpectedEof => BodyError::UnexpectedEof,
            BodyReadError::Io(error) => BodyError::Io(error),
        }
    }
}

/// The request body reads through the connection's reader.
impl BodySource for Mutex<ConnReader> {
    fn poll_chunk(
        &self,
        cx: &mut Context<'_>,
        generation: u64,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        let mut chunk = Vec::new();
        let mut reader = self.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if reader.generation() != generation {
            // Kept past its handler: the engine has taken back what was left of it.
            return Poll::Ready(Some(Err(BodyError::Io(io::Error::other(
                "the request body can no longer be read: its handler has already answered",
            )))));
        }
        match reader.poll_body(cx, &mut chunk) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(error.into()))),
            // Done with no data in this call: the end.
            Poll::Ready(Ok(_)) if chunk.is_empty() => Poll::Ready(None),
            // At the end of the body the decoder is gone: the next poll answers `None`.
            Poll::Ready(Ok(_)) => Poll::Ready(Some(Ok(chunk.into()))),
        }
    }
}

/// Locks the shared reader. A panic while it was held (in a handler's body read) leaves it
/// consistent: every method updates its fields before it can fail.
pub(crate) fn lock(reader: &SharedReader) -> MutexGuard<'_, ConnReader> {
    reader
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
