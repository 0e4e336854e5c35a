//! Server-Sent Events (`text/event-stream`): a response that sends events as they are
//! produced, over one long-lived HTTP response that browsers read with `EventSource`.
//!
//! - [`Sse`]: a response built from a stream of [`Event`]s (`Result<Event, E>` items, as
//!   axum's `Sse`), sent with `Content-Type: text/event-stream` and
//!   `Cache-Control: no-cache`, chunked (no `Content-Length`); each event leaves as soon as
//!   the stream has nothing more ready (no buffering), a burst of ready events in one write.
//! - [`channel`]: a [`Sender`] to keep in another task and the `Sse` to answer with;
//!   [`Sender::send`] fails once the client is gone, so producers stop
//!   ([`Sender::closed`] tells a producer that is waiting for something else).
//! - [`KeepAlive`]: a comment sent when no event was sent for an interval (15 s by
//!   default), so proxies and load balancers do not cut an idle stream.
//! - [`last_event_id`]: the `Last-Event-ID` a reconnecting browser sends, to resume from.
//!
//! A client that goes away is noticed while the stream waits (the connection reads the
//! end of the client's stream; see
//! [`Settings::half_close`](crate::server::Settings::half_close)) and when a write fails
//! (the keep-alive comment is such a write): the stream is then dropped. When the server
//! shuts down, an `Sse` response waiting for its next event ends there, cleanly (see
//! [`Response::end_stream_at_shutdown`](crate::Response::end_stream_at_shutdown)), instead
//! of holding the graceful shutdown up until its timeout.
//!
//! # Examples
//!
//! ```no_run
//! use futures_util::stream;
//! use tide::sse::{Event, Sse};
//!
//! let mut app = tide::new();
//! app.at("/events").get(|request: tide::Request| async move {
//!     let from: u64 = tide::sse::last_event_id(&request)
//!         .and_then(|id| id.parse().ok())
//!         .map_or(0, |id: u64| id + 1);
//!     // `Result` items: an `id` with a line break would be refused (`EventError`).
//!     let events = stream::iter((from..from + 3).map(|n| {
//!         Event::new().id(n.to_string()).map(|event| event.data(format!("event {n}")))
//!     }));
//!     Ok(Sse::new(events))
//! });
//! app.run("127.0.0.1:8080")?;
//! # std::io::Result::Ok(())
//! ```

mod channel;
mod event;

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use romio::time::Sleep;

pub use channel::{CHANNEL_CAPACITY, Closed, Receiver, SendError, Sender, Sending, channel};
pub use event::{Event, EventError};

use crate::{Body, Request, Response};

/// Default time without an event after which a keep-alive comment is sent: 15 s.
pub const DEFAULT_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// A Server-Sent Events response: the events of `stream`, each sent as it is produced,
/// with a [`KeepAlive`] comment whenever the stream stays quiet (on by default, every
/// [`DEFAULT_KEEP_ALIVE_INTERVAL`]).
///
/// `stream` yields `Result<Event, E>`: an error ends the response without its last chunk,
/// which the browser sees as a broken stream (it reconnects). The stream is dropped when
/// it ends, when a write to the client fails, or when the client is seen to have gone.
///
/// # Examples
///
/// ```
/// use futures_util::stream;
/// use tide::sse::{Event, Sse};
///
/// let events = stream::iter([Ok::<_, std::convert::Infallible>(Event::new().data("hi"))]);
/// let response: tide::Response = Sse::new(events).into();
/// assert_eq!(response.content_type(), Some("text/event-stream"));
/// assert_eq!(response.header("cache-control"), Some("no-cache"));
/// ```
#[must_use = "an Sse does nothing until it is returned as a response"]
pub struct Sse<S> {
    stream: S,
    keep_alive: Option<KeepAlive>,
}

impl<S> Sse<S> {
    /// A response sending the events of `stream`, with the default keep-alive.
    pub fn new(stream: S) -> Sse<S> {
        Sse {
            stream,
            keep_alive: Some(KeepAlive::default()),
        }
    }

    /// Sets the keep-alive comment and its interval.
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Sse<S> {
        self.keep_alive = Some(keep_alive);
        self
    }

    /// Sends no keep-alive comment.
    pub fn without_keep_alive(mut self) -> Sse<S> {
        self.keep_alive = None;
        self
    }
}

#[cfg(test)]
impl<S> Sse<S> {
    /// The stream of events, without the response around it.
    pub(crate) fn into_stream(self) -> S {
        self.stream
    }
}

impl<S, E> From<Sse<S>> for Response
where
    S: Stream<Item = Result<Event, E>> + Send + 'static,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    fn from(sse: Sse<S>) -> Response {
        let body = EventBody {
            events: Box::pin(sse.stream),
            keep_alive: sse.keep_alive.map(|keep_alive| Quiet {
                comment: keep_alive.comment,
                interval: keep_alive.interval,
                timer: None,
            }),
        };
        let mut response = Response::new(http::StatusCode::OK);
        response.set_content_type("text/event-stream");
        response.insert_header("cache-control", "no-cache");
        response.set_body(Body::from_stream(body));
        // A browser's EventSource reconnects by itself (with `Last-Event-ID`): at shutdown
        // the stream ends cleanly instead of holding the server up.
        response.end_stream_at_shutdown();
        response
    }
}

/// The comment sent on an idle event stream, and how idle it must be: by default `:` (an
/// empty comment) after [`DEFAULT_KEEP_ALIVE_INTERVAL`] without an event. Each event
/// (and each comment) starts the interval again.
///
/// ```
/// use std::time::Duration;
/// use tide::sse::KeepAlive;
///
/// let keep_alive = KeepAlive::new().interval(Duration::from_secs(5)).text("ping");
/// # drop(keep_alive);
/// ```
#[derive(Debug, Clone)]
pub struct KeepAlive {
    comment: Bytes,
    interval: Duration,
}

impl KeepAlive {
    /// The default keep-alive: `:\n\n` every [`DEFAULT_KEEP_ALIVE_INTERVAL`].
    pub fn new() -> KeepAlive {
        KeepAlive {
            comment: Bytes::from_static(b":\n\n"),
            interval: DEFAULT_KEEP_ALIVE_INTERVAL,
        }
    }

    /// Sends the comment after `interval` without an event (at least 1 ms: a zero
    /// interval would send comments without end).
    pub fn interval(mut self, interval: Duration) -> KeepAlive {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Sends `text` as the comment (`: text`, one comment line per line of it).
    pub fn text(mut self, text: impl AsRef<str>) -> KeepAlive {
        self.comment = Event::new().comment(text).into_bytes().into();
        self
    }
}

impl Default for KeepAlive {
    fn default() -> KeepAlive {
        KeepAlive::new()
    }
}

/// The `Last-Event-ID` the client sent: the id of the last event a reconnecting
/// `EventSource` received, to resume after it. `None` when absent or not text.
///
/// ```
/// fn resume_after(request: &tide::Request) -> Option<u64> {
///     tide::sse::last_event_id(request)?.parse().ok()
/// }
/// ```
pub fn last_event_id<State>(request: &Request<State>) -> Option<&str> {
    request.header("last-event-id")
}

/// The body of an [`Sse`] response: each event's bytes, and the keep-alive comment when
/// the events are quiet for its interval.
struct EventBody<S> {
    events: Pin<Box<S>>,
    keep_alive: Option<Quiet>,
}

/// The keep-alive of an [`EventBody`]: its comment, and the timer of the quiet interval
/// (armed on the first wait, moved on by every event).
struct Quiet {
    comment: Bytes,
    interval: Duration,
    timer: Option<Sleep>,
}

impl Quiet {
    /// Something was sent: the quiet interval starts again.
    fn restart(&mut self) {
        if let Some(timer) = &mut self.timer
            && let Some(deadline) = Instant::now().checked_add(self.interval)
        {
            timer.reset(deadline);
        }
    }

    /// `Ready(comment)` once the stream was quiet for the interval.
    fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<Bytes> {
        let interval = self.interval;
        let timer = match &mut self.timer {
            Some(timer) => timer,
            None => {
                let Some(deadline) = Instant::now().checked_add(interval) else {
                    return Poll::Pending;
                };
                self.timer.insert(romio::time::sleep_until(deadline))
            }
        };
        match Pin::new(timer).poll(cx) {
            Poll::Ready(()) => {
                self.restart();
                Poll::Ready(self.comment.clone())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S, E> Stream for EventBody<S>
where
    S: Stream<Item = Result<Event, E>>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let this = self.get_mut();
        match this.events.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(event))) => {
                if let Some(quiet) = &mut this.keep_alive {
                    quiet.restart();
                }
                Poll::Ready(Some(Ok(event.into_bytes().into())))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(io::Error::other(error)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match &mut this.keep_alive {
                Some(quiet) => quiet.poll_due(cx).map(|comment| Some(Ok(comment))),
                None => Poll::Pending,
            },
        }
    }
}
