//! [`WebSocket`]: an open WebSocket over an upgraded connection; async-tungstenite does the
//! framing, this adds tide's messages, the answers to errors (close `1009`, `1002`, `1007`)
//! and the close `1001` when the server shuts down.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite;
use futures_core::Stream;
use futures_util::Sink;

use super::message::{CloseFrame, Error, Message, close_code};
use crate::upgrade::{ShuttingDown, Upgraded};

/// How long [`WebSocket::close`], and a socket closed at shutdown, wait for the peer's
/// answering close.
const CLOSE_ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// What the socket did about the server's shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoingAway {
    /// Not shutting down (yet).
    Watching,
    /// Shutdown started: a close `1001` is to be sent.
    Closing,
    /// Sent (or no longer possible).
    Done,
}

/// An open WebSocket: receive with [`recv`](WebSocket::recv) (or as a `Stream`), send with
/// [`send`](WebSocket::send) (or as a `Sink`).
///
/// - Pings are answered with pongs, and a close from the peer with a close, by the socket.
/// - A message longer than the maximum message size is refused: the socket sends close
///   `1009` and `recv` fails with [`Error::TooBig`]. A malformed frame gets close `1002`, text
///   that is not UTF-8 close `1007`.
/// - When the server starts its graceful shutdown, a socket waiting in `recv` sends close
///   `1001` (going away) and goes on receiving until the peer answers, so a handler's receive
///   loop ends by itself (after 5 s if the peer never answers); the server aborts the handler
///   after its `shutdown_timeout`.
///   [`shutdown`](WebSocket::shutdown) tells a handler that waits on something else.
pub struct WebSocket {
    inner: WebSocketStream<Upgraded>,
    protocol: Option<String>,
    going_away: GoingAway,
    /// Armed once the close `1001` is sent: a peer that does not answer it in time is let go.
    answer_deadline: Option<romio::time::Sleep>,
}

impl WebSocket {
    pub(crate) fn new(inner: WebSocketStream<Upgraded>, protocol: Option<String>) -> WebSocket {
        WebSocket {
            inner,
            protocol,
            going_away: GoingAway::Watching,
            answer_deadline: None,
        }
    }

    /// The subprotocol chosen in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The next message; `None` once the socket has closed (the closing handshake done, or
    /// the connection gone).
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Sends `message` and flushes it.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let mut message = Some(message.into().into_raw());
        poll_fn(|cx| {
            if message.is_some() {
                ready!(Pin::new(&mut self.inner).poll_ready(cx))?;
                let message = message.take().expect("sent once");
                Pin::new(&mut self.inner).start_send(message)?;
            }
            Pin::new(&mut self.inner)
                .poll_flush(cx)
                .map_err(Error::from)
        })
        .await
    }

    /// Closes the socket with `code` and `reason` (see [`close_code`]), then waits (up to 5 s)
    /// for the peer's answering close, discarding the messages that arrive meanwhile.
    pub async fn close(mut self, code: u16, reason: &str) -> Result<(), Error> {
        self.send(Message::Close(Some(CloseFrame::new(code, reason))))
            .await?;
        let answered = async {
            while let Some(received) = self.recv().await {
                received?;
            }
            Ok(())
        };
        match romio::time::timeout(CLOSE_ANSWER_TIMEOUT, answered).await {
            Ok(Err(Error::Closed)) | Err(_) => Ok(()),
            Ok(other) => other,
        }
    }

    /// Whether the server has started its graceful shutdown.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.get_ref().is_shutting_down()
    }

    /// A future that completes once the server starts its graceful shutdown (for a handler
    /// that waits on something besides [`recv`](WebSocket::recv), which reacts by itself).
    pub fn shutdown(&self) -> ShuttingDown {
        self.inner.get_ref().shutdown()
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        if self.going_away == GoingAway::Watching
            && self.inner.get_mut().poll_shutdown(cx).is_ready()
        {
            self.going_away = GoingAway::Closing;
        }
        if self.going_away == GoingAway::Closing {
            match Pin::new(&mut self.inner).poll_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => {
                    let away = CloseFrame::new(close_code::AWAY, "the server is shutting down");
                    let close = tungstenite::Message::Close(Some(away.into_raw()));
                    let _ = Pin::new(&mut self.inner).start_send(close);
                    // Reads flush it too, if the socket cannot take it now.
                    let _ = Pin::new(&mut self.inner).poll_flush(cx);
                }
                Poll::Ready(Err(_)) => {}
            }
            self.going_away = GoingAway::Done;
            self.answer_deadline = Some(romio::time::sleep(CLOSE_ANSWER_TIMEOUT));
        }
        if let Some(deadline) = &mut self.answer_deadline
            && Pin::new(deadline).poll(cx).is_ready()
        {
            // The peer never answered the going-away close: the socket ends here.
            return Poll::Ready(None);
        }
        loop {
            let received = match ready!(Pin::new(&mut self.inner).poll_next(cx)) {
                None => return Poll::Ready(None),
                Some(received) => received,
            };
            match received.map(Message::from_raw) {
                Ok(Some(message)) => {
                    if matches!(message, Message::Close(_)) {
                        // The answering close is queued: send it now, not at the next call
                        // (which a handler that stops at the close never makes).
                        let _ = Pin::new(&mut self.inner).poll_flush(cx);
                    }
                    return Poll::Ready(Some(Ok(message)));
                }
                Ok(None) => continue,
                Err(error) => {
                    let error = Error::from(error);
                    if let Some(code) = error.close_code() {
                        self.refuse(cx, code, &error);
                    }
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }

    /// Sends close `code` for `error`, as far as the socket takes it now.
    fn refuse(&mut self, cx: &mut Context<'_>, code: u16, error: &Error) {
        let reason = match error {
            Error::TooBig { .. } => "message too big".to_owned(),
            Error::Protocol(_) if code == close_code::INVALID => "invalid UTF-8".to_owned(),
            _ => "protocol error".to_owned(),
        };
        let close = tungstenite::Message::Close(Some(CloseFrame::new(code, reason).into_raw()));
        if Pin::new(&mut self.inner).start_send(close).is_ok() {
            let _ = Pin::new(&mut self.inner).poll_flush(cx);
        }
    }
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl Stream for WebSocket {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Sink<Message> for WebSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_ready(cx)
            .map_err(Error::from)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Pin::new(&mut self.get_mut().inner)
            .start_send(message.into_raw())
            .map_err(Error::from)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_flush(cx)
            .map_err(Error::from)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_close(cx)
            .map_err(Error::from)
    }
}
