//! The connection loop: read requests, call the service, write responses, until the
//! connection ends.
//!
//! Pipelining: every complete request already in the read buffer is answered before the
//! loop waits for more bytes, and the responses are written together, in order, with one
//! write. No response the server has made waits for the client: before the loop, or a
//! handler reading a request body, or the drain, waits for more bytes, every response
//! buffered so far is written (the buffer is lent to the body reads while a body is open).
//! A request that cannot be parsed, or whose framing is in doubt, gets its error
//! response and the connection is closed; so does a response whose body fails mid-way.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use romio::time::Sleep;

use bytes::Bytes;
use http::{Method, StatusCode, Version};

use super::pressure::ConnState;
use super::reader::{ConnReader, SharedReader, lock};
use super::service::Service;
use super::shutdown::{Shutdown, Triggered};
use super::transport::{Transport, WriteDeadline, flush_transport, write_all_vectored};
use crate::h1::date::{DATE_LEN, date_at};
use crate::h1::decoder::Decoder;
use crate::h1::head::Head;
use crate::h1::request_head::{BodyFraming, RequestHead};
use crate::h1::response_fields::ResponseFields;
use crate::h1::response_head::{
    ConnectionHeader, LAST_CHUNK, ResponseFraming, ResponseHead, status_allows_body, write_chunk,
    write_head, write_ok, write_response,
};
use crate::recycle::give_back_body_buffer;
use crate::request::ConnInfo;
use crate::response::{EndsAtShutdown, TEXT_PLAIN};
use crate::settings::Settings;
use crate::upgrade::Upgraded;
use crate::{Body, Request, Response};

/// Bodies up to this size are copied into the write buffer (so pipelined responses leave in
/// one write); larger ones are written straight from their own buffer.
const INLINE_BODY_BYTES: usize = 16 * 1024;
/// The write buffer is flushed once it holds this much, even mid-batch.
const FLUSH_AT_BYTES: usize = 64 * 1024;
/// A write buffer that grew past this is given back to the allocator after the flush.
const MAX_RETAINED_WRITE_BUFFER: usize = 1024 * 1024;
/// After closing its side of a connection whose client may still be sending (a request body
/// left unread, a rejected request), the server reads and discards for at most this long
/// before it lets the connection go. Closing with the client's bytes unread would reset the
/// connection: the client's writes fail, and a reset can destroy the response before the
/// client has read it (RFC 9112 §9.6 asks servers to close this way).
const LINGER_TIME: Duration = Duration::from_secs(2);
/// The most bytes read and discarded while lingering; a client still sending after that has
/// its connection reset.
const LINGER_BYTES: u64 = 8 * 1024 * 1024;

/// What waiting for the next request head produced.
enum NextHead {
    /// The request, built where its head was parsed (under the reader's lock, so the head
    /// never travels through the connection's future), and what the loop needs of its head.
    Request(Request, Exchange),
    /// The head can never be valid: answer with this status and close. The flag tells
    /// whether the request line at least began with `HEAD` (its answer has no body).
    Reject(StatusCode, &'static str, bool),
    /// The client took too long to send a head it had started: 408 and close (the flag as
    /// for `Reject`).
    TimedOut(bool),
    /// Close quietly: the client left, stayed idle too long, or the server shuts down.
    Close,
}

/// What the connection loop keeps of a request's head.
#[derive(Clone, Copy)]
struct Exchange {
    version: Version,
    is_head: bool,
    keep_alive: bool,
    /// The request has a body still to read.
    body_open: bool,
}

/// What one wait for bytes produced.
enum Wait {
    Bytes,
    Eof,
    TimedOut,
    Shutdown,
}

/// The write side of a connection: responses waiting to leave together, and the `Date` they
/// carry (read once per flush, not once per response).
struct Out {
    buf: Vec<u8>,
    date: Option<[u8; DATE_LEN]>,
    /// The clock reading the `Date` came from, while the response last written is the one
    /// that read it: the keep-alive wait that follows starts from it instead of reading the
    /// clock again.
    written_at: Option<Instant>,
    /// Every write of the connection loop waits for the peer within this.
    deadline: WriteDeadline,
    /// The transport may buffer writes (see [`Transport::poll_flush`]): each batch is
    /// flushed once written. False for the sockets tide binds, which need no flush.
    flushes: bool,
}

impl Out {
    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The `Date` of the responses in this batch.
    fn date(&mut self) -> [u8; DATE_LEN] {
        *self.buffer_and_date().1
    }

    /// The buffer, and the `Date` of the responses in this batch (lent, so that it is
    /// copied once: into the buffer).
    #[inline]
    fn buffer_and_date(&mut self) -> (&mut Vec<u8>, &[u8; DATE_LEN]) {
        let date = match &mut self.date {
            Some(date) => {
                self.written_at = None;
                &*date
            }
            slot @ None => &*slot.insert(read_date(&mut self.written_at)),
        };
        (&mut self.buf, date)
    }

    /// A clock reading for the start of the wait for the next request: the one the last
    /// response was written at, when it is that fresh, else a new one.
    fn now(&mut self) -> Instant {
        self.written_at.take().unwrap_or_else(Instant::now)
    }
}

/// The `Date` now, for the first response of a batch; `written_at` takes the clock reading
/// (see [`Out::written_at`]). Out of line: once per batch, not per response.
#[cold]
#[inline(never)]
fn read_date(written_at: &mut Option<Instant>) -> [u8; DATE_LEN] {
    let now = Instant::now();
    *written_at = Some(now);
    date_at(now)
}

/// Serves one connection until it closes; `flushes`: see [`Out::flushes`].
pub(crate) async fn serve_connection<S: Service>(
    transport: Arc<dyn Transport>,
    service: &S,
    info: ConnInfo,
    settings: &Settings,
    shutdown: &Shutdown,
    state: Arc<ConnState>,
    flushes: bool,
) -> io::Result<()> {
    let reader: SharedReader = Arc::new(Mutex::new(ConnReader::new(
        transport.clone(),
        settings.body_timeouts,
        settings.write_timeout,
        state.clone(),
    )));
    let mut out = Out {
        buf: Vec::with_capacity(INLINE_BODY_BYTES),
        date: None,
        written_at: None,
        deadline: WriteDeadline::new(settings.write_timeout),
        flushes,
    };
    let mut waits = Waits {
        timer: None,
        shutting_down: shutdown.wait(),
        state,
        timer_waker: None,
    };
    loop {
        // A head already in the buffer (pipelining) is taken without awaiting.
        let next = match buffered_head(&reader, &info, settings) {
            Ok(next) => next,
            Err(idle) => {
                next_head(
                    &reader,
                    &info,
                    &*transport,
                    &mut out,
                    settings,
                    &mut waits,
                    idle,
                )
                .await?
            }
        };
        let (request, exchange) = match next {
            NextHead::Request(request, exchange) => (request, exchange),
            NextHead::Reject(status, reason, head) => {
                write_error(&mut out, status, reason, head);
                return close(&*transport, &mut out, Linger::Yes).await;
            }
            NextHead::TimedOut(head) => {
                write_error(
                    &mut out,
                    StatusCode::REQUEST_TIMEOUT,
                    "request head not received in time",
                    head,
                );
                return close(&*transport, &mut out, Linger::Yes).await;
            }
            NextHead::Close => return close(&*transport, &mut out, Linger::No).await,
        };

        let Exchange {
            version,
            is_head,
            mut keep_alive,
            body_open,
        } = exchange;
        // The responses already made are lent to the body reads, which write them before
        // they wait on the client (earlier responses never wait for a later request's body).
        let lent = body_open;
        if lent {
            lock(&reader).lend_unsent(&mut out.buf);
        }
        let response = service.call(request).await;

        // What the handler left of the request body is drained before the response head is
        // written, so that the head says `Connection: close` when the body cannot be finished
        // (too long to drain, malformed, or a `100 Continue` never sent). A streamed response
        // may still be reading the request body: then it is drained after the response.
        let drain_first = response.body().as_full().is_some();
        // A request without a body (none was opened) has nothing to take back or drain.
        if drain_first && body_open {
            keep_alive &= match body_finished(&reader) {
                Some(finished) => finished,
                None => drain_body(&reader, settings).await,
            };
        }
        if lent {
            lock(&reader).take_back_unsent(&mut out.buf);
        }
        keep_alive &= !shutdown.is_triggered();
        // The usual response (a body in memory, small enough to join the batch) is written
        // without awaiting: no future is built for it.
        out.written_at = None;
        keep_alive = match write_buffered(&mut out, version, is_head, response, keep_alive) {
            Written::Whole(keep_alive) => keep_alive,
            Written::Rest(rest) => {
                out.written_at = None;
                let watch = Watch {
                    reader: &reader,
                    settings,
                    shutdown,
                };
                write_rest(&*transport, &mut out, rest, watch).await?
            }
            Written::Switch(response) => {
                // Boxed: only a connection that switches pays for this future's state.
                let request = (version, is_head);
                let switch =
                    switch_protocols(transport, &mut out, reader, response, request, shutdown);
                return Box::pin(switch).await;
            }
        };
        if out.buf.len() >= FLUSH_AT_BYTES {
            flush(&*transport, &mut out).await?;
        }
        if !drain_first {
            keep_alive &= match body_finished(&reader) {
                Some(finished) => finished,
                None => {
                    out.written_at = None;
                    lock(&reader).lend_unsent(&mut out.buf);
                    let drained = drain_body(&reader, settings).await;
                    lock(&reader).take_back_unsent(&mut out.buf);
                    drained
                }
            };
        }
        if !keep_alive {
            // The client may still be sending the body nobody read.
            let linger = if lock(&reader).body_done() {
                Linger::No
            } else {
                Linger::Yes
            };
            return close(&*transport, &mut out, linger).await;
        }
    }
}

/// Reads the next request head when the buffer holds none ([`buffered_head`] said so, and
/// whether the buffer is empty: `idle`), first flushing pending responses.
async fn next_head(
    reader: &SharedReader,
    info: &ConnInfo,
    transport: &dyn Transport,
    out: &mut Out,
    settings: &Settings,
    waits: &mut Waits,
    mut idle: bool,
) -> io::Result<NextHead> {
    let mut idle_deadline = None;
    let mut head_deadline = None;
    loop {
        if !out.is_empty() {
            // The response's clock reading still starts the wait if the flush did not wait.
            let written_at = out.written_at.take();
            let mut waited = false;
            {
                let mut flush = pin!(flush(transport, out));
                poll_fn(|cx| {
                    let poll = flush.as_mut().poll(cx);
                    waited |= poll.is_pending();
                    poll
                })
                .await?;
            }
            if !waited {
                out.written_at = written_at;
            }
        }
        // An idle connection may wait the keep-alive timeout; once a head has started, the
        // whole head must arrive within the header timeout of its first byte.
        // One clock reading: when this wait begins (the last response's, when fresh), and
        // the deadline of the first wait of each kind.
        let began = if idle && idle_deadline.is_none() {
            out.now()
        } else {
            Instant::now()
        };
        let deadline = if idle {
            *idle_deadline.get_or_insert(began + settings.keep_alive_timeout)
        } else {
            *head_deadline.get_or_insert(began + settings.header_read_timeout)
        };
        match wait_for_bytes(reader, deadline, began, idle, waits).await? {
            Wait::Bytes => {}
            Wait::Eof | Wait::Shutdown => return Ok(NextHead::Close),
            Wait::TimedOut if idle => return Ok(NextHead::Close),
            Wait::TimedOut => {
                return Ok(NextHead::TimedOut(is_head_request(lock(reader).buffered())));
            }
        }
        idle = match buffered_head(reader, info, settings) {
            Ok(next) => return Ok(next),
            Err(idle) => idle,
        };
    }
}

/// The next request head if the buffer holds it (or an answer to give instead: a refusal,
/// or closing at the end of the stream); otherwise `Err(whether the buffer is empty)`.
fn buffered_head(
    shared: &SharedReader,
    info: &ConnInfo,
    settings: &Settings,
) -> Result<NextHead, bool> {
    let mut reader = lock(shared);
    if reader.buffered().is_empty() {
        // Between requests, the usual case: nothing to parse.
        return if reader.is_eof() {
            Ok(NextHead::Close)
        } else {
            Err(true)
        };
    }
    match reader.parse_head(&settings.limits) {
        Ok(Some((head, raw))) => {
            let (version, is_head, keep_alive) =
                (head.version, head.method == Method::HEAD, head.keep_alive);
            let request = into_request(head, raw, &mut reader, shared, info, settings);
            let exchange = Exchange {
                version,
                is_head,
                keep_alive,
                body_open: !reader.body_done(),
            };
            Ok(NextHead::Request(request, exchange))
        }
        Err(error) => {
            let head = is_head_request(reader.buffered());
            Ok(NextHead::Reject(error.status, error.reason, head))
        }
        Ok(None) if reader.is_eof() => Ok(NextHead::Close),
        Ok(None) => Err(reader.buffered().is_empty()),
    }
}

/// The timer and the shutdown listener of one connection, kept from request to request so
/// that waiting for the next request does not register and cancel a timer each time.
struct Waits {
    /// Registered at an instant no later than the deadline being waited for; when it fires
    /// early (the deadline moved on since), it is re-armed at the real deadline.
    timer: Option<Sleep>,
    shutting_down: Triggered,
    /// What the accept loop sees of this connection; it may ask it to close.
    state: Arc<ConnState>,
    /// The identity (data and vtable addresses) of the waker `timer` was last polled with,
    /// when that poll was pending and nothing reset the timer since: it is registered with
    /// that waker, and cannot have fired before its deadline.
    timer_waker: Option<(usize, usize)>,
}

/// A wait whose timer is due at least this long after the wait began skips polling that
/// timer on its first poll, when the timer is known registered with the same task's waker
/// (see `Waits::timer_waker`): it cannot have fired yet.
const TIMER_SKIP_MARGIN: Duration = Duration::from_secs(1);

/// The identity `Waker::will_wake` compares.
fn waker_id(waker: &std::task::Waker) -> (usize, usize) {
    (
        waker.data() as usize,
        std::ptr::from_ref(waker.vtable()) as usize,
    )
}

/// Reads more bytes, unless `deadline` passes or (for an idle connection) shutdown starts.
async fn wait_for_bytes(
    reader: &SharedReader,
    deadline: Instant,
    began: Instant,
    idle: bool,
    waits: &mut Waits,
) -> io::Result<Wait> {
    if let Some(timer) = &mut waits.timer
        && timer.deadline() > deadline
    {
        timer.reset(deadline);
        waits.timer_waker = None;
    }
    waits.state.begin_wait(idle, began);
    let mut first_poll = true;
    let waited = poll_fn(|cx| {
        match lock(reader).poll_fill(cx) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Ok(Wait::Eof)),
            Poll::Ready(Ok(_)) => return Poll::Ready(Ok(Wait::Bytes)),
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => {}
        }
        if idle && waits.shutting_down.poll_triggered(cx).is_ready() {
            return Poll::Ready(Ok(Wait::Shutdown));
        }
        if waits.state.poll_evicted(cx).is_ready() {
            // The server is full and this connection waited longest: idle, it closes
            // quietly; mid-head, it gets 408.
            return Poll::Ready(Ok(Wait::TimedOut));
        }
        let id = waker_id(cx.waker());
        let first = std::mem::replace(&mut first_poll, false);
        if first
            && waits.timer_waker == Some(id)
            && let Some(timer) = &waits.timer
            && timer.deadline() > began + TIMER_SKIP_MARGIN
        {
            // Registered with this task's waker, and not due for a while yet.
            return Poll::Pending;
        }
        waits.timer_waker = None;
        let timer = waits
            .timer
            .get_or_insert_with(|| romio::time::sleep_until(deadline));
        while Pin::new(&mut *timer).poll(cx).is_ready() {
            if Instant::now() >= deadline {
                return Poll::Ready(Ok(Wait::TimedOut));
            }
            timer.reset(deadline);
        }
        waits.timer_waker = Some(id);
        Poll::Pending
    })
    .await;
    waits.state.end_wait();
    waited
}

/// Builds the request handed to the service, once; its body reads lazily from the connection.
fn into_request(
    head: RequestHead,
    raw: Bytes,
    reader: &mut ConnReader,
    shared: &SharedReader,
    conn: &ConnInfo,
    settings: &Settings,
) -> Request {
    let (decoder, length) = match head.body {
        BodyFraming::Empty => (None, Some(0)),
        BodyFraming::Length(length) => (Some(Decoder::length(length)), Some(length)),
        BodyFraming::Chunked => (
            Some(Decoder::chunked(settings.max_chunk_metadata_bytes)),
            None,
        ),
    };
    let body = match decoder {
        Some(decoder) => {
            let generation = reader.begin_body(Some(decoder), head.expect_continue);
            Some(Body::incoming(
                shared.clone(),
                generation,
                length,
                settings.max_body_bytes,
            ))
        }
        None => {
            reader.begin_body(None, false);
            None
        }
    };
    let RequestHead {
        method,
        version,
        target,
        ..
    } = head;
    let receive = |into: &mut Head| into.receive(method, version, raw, target);
    Request::received(receive, body, conn, settings.max_body_bytes)
}

/// What [`write_buffered`] did with a response.
enum Written {
    /// The whole response is in the write buffer; whether the connection can be kept.
    Whole(bool),
    /// The head is in the buffer; the body must still be written ([`write_rest`]).
    Rest(Rest),
    /// Nothing is written: a `101 Switching Protocols`, for [`switch_protocols`].
    Switch(Response),
}

/// A response body still to be written after its head.
struct Rest {
    body: Body,
    framing: ResponseFraming,
    keep_alive: bool,
    /// The body may be ended early, cleanly, when the server shuts down
    /// ([`EndsAtShutdown`]): an event stream, which a client resumes on another connection.
    ends_at_shutdown: bool,
}

/// Writes `response`'s head into `out`, and its body when it is in memory and small (in
/// the same pass); what is left (a large or streamed body) is returned for [`write_rest`].
fn write_buffered(
    out: &mut Out,
    version: Version,
    is_head: bool,
    mut response: Response,
    mut keep_alive: bool,
) -> Written {
    // The usual response (a `200` to a keep-alive HTTP/1.1 request that is not `HEAD`,
    // fields with nothing the engine must read or filter, a small body in memory) is written
    // in one pass, with none of the choices below: they would all come out the same.
    if keep_alive
        && !is_head
        && version == Version::HTTP_11
        && response.status() == StatusCode::OK
        && let Some(lines) = response.fields().plain_lines()
        && let Some(body) = response.body().held()
        && body.len() <= INLINE_BODY_BYTES
    {
        let (buf, date) = out.buffer_and_date();
        write_ok(buf, lines, date, body);
        if let Some(buffer) = response.take_body_buffer() {
            give_back_body_buffer(buffer);
        }
        return Written::Whole(true);
    }
    let status = response.status();
    let framing = if !status_allows_body(status) {
        if status == StatusCode::SWITCHING_PROTOCOLS {
            // The connection is taken over or closed: never read as HTTP again.
            return Written::Switch(response);
        }
        ResponseFraming::Bodiless
    } else {
        match response.body().len() {
            Some(length) => ResponseFraming::Length(length),
            None if version == Version::HTTP_11 => ResponseFraming::Chunked,
            None => ResponseFraming::UntilClose,
        }
    };
    let facts = response.fields().facts();
    // A handler's own `Connection: close` is a promise the server must keep (RFC 9112 §9.6).
    if framing == ResponseFraming::UntilClose || facts.says_close {
        keep_alive = false;
    }
    let connection = match (keep_alive, version) {
        (false, _) => ConnectionHeader::Close,
        (true, Version::HTTP_10) => ConnectionHeader::KeepAlive,
        (true, _) => ConnectionHeader::Default,
    };
    let (buf, date) = if facts.has_date {
        (&mut out.buf, None)
    } else {
        let (buf, date) = out.buffer_and_date();
        (buf, Some(date))
    };
    let head = ResponseHead {
        version,
        status,
        fields: response.fields(),
        framing,
        connection,
        date,
    };
    if is_head || framing == ResponseFraming::Bodiless {
        write_response(buf, &head, &[]);
        return Written::Whole(keep_alive);
    }
    // The usual response: head and body in one pass.
    if let Some(bytes) = response.body().as_full()
        && bytes.len() <= INLINE_BODY_BYTES
    {
        write_response(buf, &head, bytes);
        if let Some(buffer) = response.take_body_buffer() {
            give_back_body_buffer(buffer);
        }
        return Written::Whole(keep_alive);
    }
    write_response(buf, &head, &[]);
    // Looked up only here: a response in memory never pays for it.
    let ends_at_shutdown = matches!(
        framing,
        ResponseFraming::Chunked | ResponseFraming::UntilClose
    ) && response.ext::<EndsAtShutdown>().is_some();
    Written::Rest(Rest {
        body: response.take_body(),
        framing,
        keep_alive,
        ends_at_shutdown,
    })
}

/// Writes the body [`write_buffered`] left (flushing as the buffer fills); returns whether
/// the connection can be kept.
async fn write_rest(
    transport: &dyn Transport,
    out: &mut Out,
    rest: Rest,
    watch: Watch<'_>,
) -> io::Result<bool> {
    let Rest {
        mut body,
        framing,
        keep_alive,
        ends_at_shutdown,
    } = rest;
    if let Some(bytes) = body.as_full() {
        write_all_vectored(transport, &out.buf, bytes, &mut out.deadline).await?;
        out.buf.clear();
        out.date = None;
        if out.flushes {
            flush_transport(transport, &mut out.deadline).await?;
        }
        return Ok(keep_alive);
    }

    let mut written = 0u64;
    let mut ended_at_shutdown = false;
    loop {
        // A chunk that is ready joins the batch; when the stream has nothing ready, what is
        // batched leaves at once, so each piece reaches the client when it is produced (a
        // burst of ready chunks still leaves in one write), and a client that went away
        // fails the write instead of being written to forever.
        let next = match poll_fn(|cx| Poll::Ready(body.poll_chunk(cx))).await {
            Poll::Ready(next) => next,
            Poll::Pending => {
                if !out.is_empty() {
                    flush(transport, out).await?;
                }
                // While the stream waits, the client is watched: one that went away ends
                // the response now (the stream is dropped with the connection's future
                // returning), not at a write that may never come. A body that may end at
                // shutdown also watches the server.
                let mut stopping = ends_at_shutdown.then(|| watch.shutdown.wait());
                let waited = poll_fn(|cx| match body.poll_chunk(cx) {
                    Poll::Ready(next) => Poll::Ready(Waited::Chunk(next)),
                    Poll::Pending => {
                        if let Some(stopping) = &mut stopping
                            && stopping.poll_triggered(cx).is_ready()
                        {
                            return Poll::Ready(Waited::Shutdown);
                        }
                        watch.poll_client_gone(cx).map(|()| Waited::ClientGone)
                    }
                })
                .await;
                match waited {
                    Waited::Chunk(next) => next,
                    Waited::ClientGone => return Ok(false),
                    Waited::Shutdown => {
                        ended_at_shutdown = true;
                        None
                    }
                }
            }
        };
        let Some(chunk) = next else {
            break;
        };
        let Ok(chunk) = chunk else {
            // The body failed mid-way: the framing cannot be completed.
            return Ok(false);
        };
        written += chunk.len() as u64;
        match framing {
            ResponseFraming::Chunked => write_chunk(&mut out.buf, &chunk),
            ResponseFraming::Length(length) if written > length => return Ok(false),
            _ => out.buf.extend_from_slice(&chunk),
        }
        flush_if_full(transport, out).await?;
    }
    match framing {
        ResponseFraming::Chunked => out.buf.extend_from_slice(LAST_CHUNK),
        // A body shorter than it announced leaves the client waiting: close.
        ResponseFraming::Length(length) if written != length => return Ok(false),
        _ => {}
    }
    Ok(keep_alive && !ended_at_shutdown)
}

/// What a streamed response's wait for its next chunk ended with.
enum Waited {
    Chunk(Option<Result<Bytes, crate::BodyError>>),
    /// The client went away.
    ClientGone,
    /// The server began shutting down, and the body may end there.
    Shutdown,
}

/// Writes a `101 Switching Protocols` and runs its continuation in this task with the
/// connection, bytes the client sent after the head included, then closes the connection
/// (see [`crate::upgrade`] for the rules). A `101` to a request that cannot switch (HTTP/1.0,
/// `HEAD`, a body not read to its end) is refused with `400` instead, its continuation
/// dropped; a `101` with no continuation is written, and the connection closed.
async fn switch_protocols(
    transport: Arc<dyn Transport>,
    out: &mut Out,
    reader: SharedReader,
    mut response: Response,
    (version, is_head): (Version, bool),
    shutdown: &Shutdown,
) -> io::Result<()> {
    let on_upgrade = response.take_on_upgrade();
    let refusal = if version != Version::HTTP_11 || is_head {
        Some("this request cannot switch protocols")
    } else if !lock(&reader).body_done() {
        Some("the request body was not read to its end: the protocol cannot switch")
    } else {
        None
    };
    if let Some(reason) = refusal {
        drop((on_upgrade, response));
        write_error(out, StatusCode::BAD_REQUEST, reason, is_head);
        return close(&*transport, out, Linger::Yes).await;
    }
    let date = (!response.fields().facts().has_date).then(|| out.date());
    write_head(
        &mut out.buf,
        version,
        StatusCode::SWITCHING_PROTOCOLS,
        response.fields(),
        ResponseFraming::Bodiless,
        ConnectionHeader::Default,
        date.as_ref(),
    );
    drop(response);
    let Some(on_upgrade) = on_upgrade else {
        log::debug!("a 101 response had no continuation: closing the connection");
        return close(&*transport, out, Linger::Yes).await;
    };
    flush(&*transport, out).await?;
    let leftover = lock(&reader).take_buffered();
    // The buffer goes now, unless a request body kept past its handler still holds it.
    drop(reader);
    let upgraded = Upgraded::new(transport.clone(), leftover, shutdown.clone());
    on_upgrade.call(upgraded).await;
    // The continuation may have closed it already; the connection ends either way.
    let _ = poll_fn(|cx| transport.poll_close(cx)).await;
    Ok(())
}

/// What a streamed response watches while its stream waits: the connection's read side,
/// for the end of the stream that says the client went away.
struct Watch<'a> {
    reader: &'a SharedReader,
    settings: &'a Settings,
    shutdown: &'a Shutdown,
}

impl Watch<'_> {
    /// `Ready` once the client is known to be gone: the read side reached its end (unless
    /// [`Settings::half_close`] keeps such clients) or failed.
    ///
    /// Bytes that arrive meanwhile (the next pipelined request) are kept in the reader's
    /// buffer for the loop to parse after this response; once the buffer holds a head's
    /// worth ([`max_head_bytes`](Settings::max_head_bytes)), the client is not read from
    /// until the response ends (backpressure), and no longer watched. While the handler's
    /// stream may still read the request body (it is not read to its end), the body reads
    /// own the read side: nothing is watched.
    fn poll_client_gone(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut reader = lock(self.reader);
        if !reader.body_done() {
            return Poll::Pending;
        }
        if reader.is_eof() {
            return self.eof();
        }
        while reader.buffered().len() < self.settings.limits.max_head_bytes {
            match reader.poll_fill(cx) {
                Poll::Ready(Ok(0)) => return self.eof(),
                Poll::Ready(Ok(_)) => {}
                // A read error: the connection is broken.
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Pending
    }

    fn eof(&self) -> Poll<()> {
        if self.settings.half_close {
            // The client may only have closed its sending side: it is noticed as gone when
            // a write fails.
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// Takes the request body back from the handler; `Some(whether the connection can be
/// kept)` when that is known at once (the body was read to its end, or the client still
/// waits for a `100 Continue` and may never send it), `None` when the rest must be drained
/// ([`drain_body`]).
fn body_finished(reader: &SharedReader) -> Option<bool> {
    let mut reader = lock(reader);
    reader.take_back_body();
    if reader.body_done() {
        return Some(true);
    }
    if reader.continue_owed() {
        // The client never got `100 Continue`, so it may never send the body.
        return Some(false);
    }
    None
}

/// Reads and discards what the handler left of the request body, within the drain limit
/// and the drain timeout; returns whether the connection can be kept.
async fn drain_body(reader: &SharedReader, settings: &Settings) -> bool {
    let drain_until = {
        let reader = lock(reader);
        // A body known to be longer than the drain limit is not read at all; one whose
        // length is unknown is read until it ends or passes the limit, whichever is first.
        if reader
            .body_remaining()
            .is_some_and(|remaining| remaining > settings.max_drain_bytes)
        {
            return false;
        }
        reader.body_read().saturating_add(settings.max_drain_bytes)
    };
    let drained = async {
        let mut scratch = Vec::new();
        poll_fn(|cx| {
            let mut reader = lock(reader);
            loop {
                scratch.clear();
                match reader.poll_body(cx, &mut scratch) {
                    // Exact: a body that ended past the limit within one read still
                    // counts as too long.
                    Poll::Ready(Ok(_)) if reader.body_read() > drain_until => {
                        return Poll::Ready(false);
                    }
                    Poll::Ready(Ok(true)) => return Poll::Ready(true),
                    Poll::Ready(Ok(false)) => {}
                    Poll::Ready(_) => return Poll::Ready(false),
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    };
    romio::time::timeout(settings.drain_timeout, drained)
        .await
        .unwrap_or(false)
}

/// Whether a request that could not be parsed began as a `HEAD` request: its error response
/// then carries no body (RFC 9110 §9.3.2), as every answer to `HEAD` does.
fn is_head_request(buffered: &[u8]) -> bool {
    buffered.starts_with(b"HEAD ")
}

/// Appends a plain-text error response that closes the connection; its body is left out for
/// a `HEAD` request (its length still announced).
fn write_error(out: &mut Out, status: StatusCode, reason: &str, head_request: bool) {
    let fields = ResponseFields::with_content_type(TEXT_PLAIN);
    let body = format!("{reason}\n");
    let (buf, date) = out.buffer_and_date();
    let head = ResponseHead {
        version: Version::HTTP_11,
        status,
        fields: &fields,
        framing: ResponseFraming::Length(body.len() as u64),
        connection: ConnectionHeader::Close,
        date: Some(date),
    };
    let body = if head_request { "" } else { body.as_str() };
    write_response(buf, &head, body.as_bytes());
}

/// Writes out the buffered responses (and flushes a transport that buffers); the next batch
/// reads the `Date` afresh.
async fn flush(transport: &dyn Transport, out: &mut Out) -> io::Result<()> {
    write_all_vectored(transport, &out.buf, &[], &mut out.deadline).await?;
    out.buf.clear();
    out.date = None;
    if out.buf.capacity() > MAX_RETAINED_WRITE_BUFFER {
        out.buf = Vec::with_capacity(INLINE_BODY_BYTES);
    }
    if out.flushes {
        flush_transport(transport, &mut out.deadline).await?;
    }
    Ok(())
}

/// Flushes once the buffer holds [`FLUSH_AT_BYTES`]: a batch of pipelined responses is
/// bounded like a streamed body.
async fn flush_if_full(transport: &dyn Transport, out: &mut Out) -> io::Result<()> {
    if out.buf.len() >= FLUSH_AT_BYTES {
        flush(transport, out).await?;
    }
    Ok(())
}

/// Flushes and shuts down the writing side (the peer sees the end of the stream), then lingers
/// if asked to.
async fn close(transport: &dyn Transport, out: &mut Out, linger: Linger) -> io::Result<()> {
    if !out.is_empty() {
        flush(transport, out).await?;
    }
    poll_fn(|cx| transport.poll_close(cx)).await?;
    if linger == Linger::Yes {
        discard_until_eof(transport).await;
    }
    Ok(())
}

/// Whether closing a connection waits for the client to stop sending; see [`LINGER_TIME`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Linger {
    Yes,
    No,
}

/// Reads and discards until the client closes, within [`LINGER_TIME`] and [`LINGER_BYTES`].
async fn discard_until_eof(transport: &dyn Transport) {
    // On the heap: the connection's future stays small, and only a lingering close pays.
    let mut scratch = vec![0u8; 8 * 1024];
    let mut discarded = 0u64;
    let discarding = poll_fn(|cx| {
        loop {
            match transport.poll_read(cx, &mut scratch) {
                Poll::Ready(Ok(n)) if n > 0 => {
                    discarded += n as u64;
                    if discarded > LINGER_BYTES {
                        return Poll::Ready(());
                    }
                }
                // The client closed (or the connection failed): nothing left to wait for.
                Poll::Ready(_) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    });
    let _ = romio::time::timeout(LINGER_TIME, discarding).await;
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use futures_io::{AsyncRead, AsyncWrite};

    use super::*;
    use crate::app::resolved::AppService;

    /// A transport that is never used: the futures below are measured, not run.
    struct Unused;

    impl AsyncRead for &Unused {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(0))
        }
    }

    impl AsyncWrite for &Unused {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            b: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(b.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// The sizes ARCHITECTURE.md quotes (`cargo test -p tide future_sizes -- --nocapture`),
    /// with bounds that catch a future growing by accident.
    #[test]
    fn future_sizes() {
        let mut app = crate::new();
        app.with(|request, next: crate::Next<()>| async move { Ok(next.run(request).await) });
        app.at("/").get(|_| async { Ok("hi") });
        let service = AppService(app.build());
        let conn = ConnInfo {
            peer_addr: None,
            local_addr: None,
        };
        let request = || Request::from_http(http::Request::new(Body::empty()), conn, 0);
        let per_request = service.call(request());
        let next = crate::Next::new(service.0.chain_for_tests());
        let layer = next.run(request().with_state((), Default::default()));
        let settings = Settings::default();
        let shutdown = Shutdown::new();
        let per_connection = serve_connection(
            Arc::new(Unused),
            &service,
            conn,
            &settings,
            &shutdown,
            Arc::default(),
            false,
        );
        let sizes = [
            ("Request", std::mem::size_of::<Request>()),
            ("Response", std::mem::size_of::<Response>()),
            (
                "per-request future (App::call)",
                std::mem::size_of_val(&per_request),
            ),
            ("Next::run future", std::mem::size_of_val(&layer)),
            (
                "per-connection future",
                std::mem::size_of_val(&per_connection),
            ),
        ];
        for (what, size) in sizes {
            println!("{what}: {size} bytes");
        }
        assert!(std::mem::size_of_val(&per_request) <= 1024, "{sizes:?}");
        assert!(std::mem::size_of_val(&per_connection) <= 4096, "{sizes:?}");
    }
}
