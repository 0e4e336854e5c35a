//! [`ConnReader`]: the read side of one connection: its buffer, the head parser, and the
//! decoder of the request body that is being read.
//!
//! The connection loop and the request's [`Body`](crate::Body) share it (behind a mutex that
//! is never held across an `.await`, and never contended: the loop waits for the handler
//! while the handler reads the body). Bytes are parsed in place; the buffer is reused from
//! request to request and only grows up to the head limit plus one read.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};

use super::pressure::ConnState;
use super::transport::{Transport, WriteDeadline};
use crate::h1::decoder::{Decoder, FramingError};
use crate::h1::request_head::{self, HeadError, RequestHead};
use crate::h1::response_head::CONTINUE;
use crate::settings::{BodyTimeouts, HeadLimits as Limits};
use crate::{BodyError, body::BodySource};

/// Bytes asked of the OS per read, and the buffer's starting size.
const READ_CHUNK: usize = 8 * 1024;
/// A read gets at least this much room; with less, the buffer is compacted (and zeroed to
/// `READ_CHUNK` more). Small against `READ_CHUNK`, so that little of what is zeroed at each
/// compaction is zeroed again at the next: the bytes zeroed per byte read stay near one.
const MIN_READ_ROOM: usize = READ_CHUNK / 8;

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
    /// The client sent no body byte for too long, or too slowly.
    TimedOut,
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
    /// Complete responses lent by the connection loop while a handler or the drain reads
    /// the body: written out (from `unsent_from`) before any wait for more body bytes, so a
    /// client never waits for an answer the server already has.
    unsent: Vec<u8>,
    unsent_from: usize,
    /// How long and how slowly the client may send a body.
    timeouts: BodyTimeouts,
    /// When the current wait for body bytes began, if one is under way.
    wait_started: Option<Instant>,
    /// Time spent waiting for body bytes of the current request, waits that ended.
    waited: Duration,
    /// The timer of body waits, kept from wait to wait (reset, not re-registered).
    timer: Option<romio::time::Sleep>,
    /// The write timeout of the lent responses and `100 Continue`.
    write_deadline: WriteDeadline,
    /// Lent responses or `100 Continue` were written and the transport not flushed since
    /// ([`Transport::poll_flush`]): done before the next wait for the client.
    flush_owed: bool,
    /// What the accept loop sees of this connection; it may ask it to close.
    state: Arc<ConnState>,
    /// The current body timed out: it fails again at once, and the connection closes.
    timed_out: bool,
    /// Bumped when a request's body begins and when the engine takes back what its handler
    /// left of it: a [`Body`](crate::Body) made under another generation is stale and must
    /// not read (it would take the bytes of a later request).
    generation: u64,
}

impl ConnReader {
    pub(crate) fn new(
        transport: Arc<dyn Transport>,
        timeouts: BodyTimeouts,
        write_timeout: Duration,
        state: Arc<ConnState>,
    ) -> ConnReader {
        ConnReader {
            transport,
            buf: BytesMut::zeroed(READ_CHUNK),
            start: 0,
            end: 0,
            body: None,
            body_read: 0,
            continue_state: Continue::NotNeeded,
            eof: false,
            unsent: Vec::new(),
            unsent_from: 0,
            timeouts,
            wait_started: None,
            waited: Duration::ZERO,
            timer: None,
            write_deadline: WriteDeadline::new(write_timeout),
            flush_owed: false,
            state,
            timed_out: false,
            generation: 0,
        }
    }

    /// The received bytes not yet consumed.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Takes the received bytes not yet consumed: what the client sent after the head of a
    /// request answered with `101 Switching Protocols`. Copied, so the buffer can go.
    pub(crate) fn take_buffered(&mut self) -> Bytes {
        let rest = Bytes::copy_from_slice(self.buffered());
        self.start = self.end;
        rest
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
        self.wait_started = None;
        self.waited = Duration::ZERO;
        self.timed_out = false;
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
        // A wait the handler abandoned is over: the handler is not waiting on the client.
        self.wait_started = None;
        self.state.end_wait();
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

    /// How many bytes of the current body are still to come, when its framing says
    /// (`Content-Length`); `Some(0)` once it is done.
    pub(crate) fn body_remaining(&self) -> Option<u64> {
        self.body
            .as_ref()
            .map_or(Some(0), |decoder| decoder.remaining_length())
    }

    /// Body bytes decoded so far for the current request.
    pub(crate) fn body_read(&self) -> u64 {
        self.body_read
    }

    /// Lends the connection loop's buffered responses to the body reads: they are written
    /// before the first wait for body bytes. Swapped, so the buffers keep their capacity.
    pub(crate) fn lend_unsent(&mut self, out: &mut Vec<u8>) {
        debug_assert!(self.unsent.is_empty());
        std::mem::swap(&mut self.unsent, out);
        self.unsent_from = 0;
    }

    /// Hands back what is left unwritten of the lent responses (into the empty `out`).
    pub(crate) fn take_back_unsent(&mut self, out: &mut Vec<u8>) {
        debug_assert!(out.is_empty());
        self.unsent.drain(..self.unsent_from);
        self.unsent_from = 0;
        std::mem::swap(&mut self.unsent, out);
    }

    /// Writes the lent responses; `Ready(Ok)` once none is left.
    fn poll_write_unsent(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.unsent_from < self.unsent.len() {
            match self
                .transport
                .poll_write(cx, &self.unsent[self.unsent_from..])
            {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.unsent_from += n;
                    self.write_deadline.progress();
                    self.flush_owed = true;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return self.write_deadline.poll_stalled(cx).map(Err),
            }
        }
        self.unsent.clear();
        self.unsent_from = 0;
        self.poll_flush_owed(cx)
    }

    /// Flushes the transport if this reader wrote to it since the last flush.
    fn poll_flush_owed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.flush_owed {
            match self.transport.poll_flush(cx) {
                Poll::Ready(Ok(())) => self.flush_owed = false,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return self.write_deadline.poll_stalled(cx).map(Err),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads more bytes from the transport into the buffer; `Ok(0)` at end of stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < MIN_READ_ROOM {
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
    /// body has ended. Sends the `100 Continue` the client waits for, first, and before that
    /// the responses lent by the connection loop.
    pub(crate) fn poll_body(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Vec<u8>,
    ) -> Poll<Result<bool, BodyReadError>> {
        if self.timed_out {
            return Poll::Ready(Err(BodyReadError::TimedOut));
        }
        if self.continue_state == Continue::Owed {
            // Earlier pipelined responses leave before this request's `100 Continue`.
            match self.poll_write_unsent(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(BodyReadError::Io(error))),
                Poll::Pending => return Poll::Pending,
            }
        }
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
            // About to wait on the client: every response it is owed leaves first.
            match self.poll_write_unsent(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(BodyReadError::Io(error))),
                Poll::Pending => return Poll::Pending,
            }
            match self.poll_fill(cx) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(BodyReadError::UnexpectedEof)),
                Poll::Ready(Ok(_)) => {
                    if let Some(started) = self.wait_started.take() {
                        self.waited += started.elapsed();
                        self.state.end_wait();
                    }
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(BodyReadError::Io(error))),
                Poll::Pending => return self.poll_body_deadline(cx),
            }
        }
    }

    /// Arms the deadline of a wait for body bytes: `Ready(TimedOut)` once it has passed.
    ///
    /// A wait may last [`BodyTimeouts::idle`] at most, and all waits of one body together
    /// [`BodyTimeouts::grace`] plus one second per [`BodyTimeouts::min_rate`] bytes received:
    /// only time the server spent waiting counts, so a handler that reads late is not
    /// charged for its own delay.
    fn poll_body_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, BodyReadError>> {
        let now = Instant::now();
        let started = *self.wait_started.get_or_insert_with(|| {
            self.state.begin_wait(false, now);
            now
        });
        if self.state.poll_evicted(cx).is_ready() {
            // The server is full and this connection waited longest (see `pressure`).
            self.timed_out = true;
            return Poll::Ready(Err(BodyReadError::TimedOut));
        }
        let mut deadline = started.checked_add(self.timeouts.idle);
        if self.timeouts.min_rate > 0 {
            let earned =
                Duration::from_secs_f64(self.body_read as f64 / self.timeouts.min_rate as f64);
            let budget = self
                .timeouts
                .grace
                .saturating_add(earned)
                .saturating_sub(self.waited);
            let by_rate = started.checked_add(budget);
            deadline = match (deadline, by_rate) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let Some(deadline) = deadline else {
            return Poll::Pending;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| romio::time::sleep_until(deadline));
        if timer.deadline() != deadline {
            timer.reset(deadline);
        }
        if now >= deadline || Pin::new(&mut *timer).poll(cx).is_ready() {
            self.timed_out = true;
            return Poll::Ready(Err(BodyReadError::TimedOut));
        }
        Poll::Pending
    }

    fn poll_send_continue(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut written = match self.continue_state {
            Continue::NotNeeded => return Poll::Ready(Ok(())),
            Continue::Owed => 0,
            Continue::Sending(written) => written,
        };
        while written < CONTINUE.len() {
            match self.transport.poll_write(cx, &CONTINUE[written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    written += n;
                    self.write_deadline.progress();
                    self.flush_owed = true;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => {
                    self.continue_state = Continue::Sending(written);
                    return self.write_deadline.poll_stalled(cx).map(Err);
                }
            }
        }
        self.continue_state = Continue::NotNeeded;
        self.poll_flush_owed(cx)
    }
}

/// A [`ConnReader`] shared by the connection loop and the current request's body.
pub(crate) type SharedReader = Arc<Mutex<ConnReader>>;

impl From<BodyReadError> for BodyError {
    fn from(error: BodyReadError) -> BodyError {
        match error {
            BodyReadError::Framing(framing) => BodyError::Malformed(framing.0),
            BodyReadError::UnexpectedEof => BodyError::UnexpectedEof,
            BodyReadError::TimedOut => BodyError::TimedOut,
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
