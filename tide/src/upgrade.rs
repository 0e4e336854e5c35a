//! Taking over a connection: a handler answers `101 Switching Protocols` with
//! [`Response::upgrade`], and once that head is written the engine hands the raw connection
//! to the response's continuation as an [`Upgraded`] (`AsyncRead + AsyncWrite`).
//!
//! # What the engine does
//!
//! After the handler answers a `101` that carries a continuation, the engine reads what is
//! left of the request body to its end (within the usual drain limits), writes the `101`
//! head (after every pipelined response before it), and then runs the continuation **inside
//! the connection's own task**, with the bytes the client sent after the head (in the same
//! write as the head, say) served first by [`Upgraded`]'s reads. Bytes after the head are
//! never parsed as HTTP again. When the continuation's future ends, the engine shuts down
//! the writing side of the connection and lets it go (dropping the [`Upgraded`] earlier does
//! not close it: the future's end does).
//!
//! Because the continuation runs in the connection's task:
//! - the connection still counts against
//!   [`Settings::max_connections`](crate::server::Settings::max_connections) (and
//!   `max_connections_per_ip`) until the continuation ends, and it is never the one closed
//!   to make room for a newcomer (it is busy, like a handler that runs);
//! - none of the HTTP timeouts apply to it any more (keep-alive, header, body, write
//!   timeouts): the protocol it speaks now is the continuation's to police;
//! - the server's graceful shutdown tells it ([`Upgraded::shutdown`],
//!   [`Upgraded::is_shutting_down`]), waits for it like an in-flight request, and after
//!   [`Settings::shutdown_timeout`](crate::server::Settings::shutdown_timeout) aborts it (its
//!   future is dropped where it stands). A connection served through
//!   [`serve_connection`](crate::server::serve_connection) is told of no shutdown: it belongs
//!   to no server.
//!
//! # The cases that do not switch
//!
//! - The request must be an HTTP/1.1 `GET` with `Connection: upgrade` and an `Upgrade`
//!   field: [`requested`] says whether it is, and what it asks for. HTTP/1.0 cannot upgrade.
//!   The engine itself refuses a `101` to an HTTP/1.0 or `HEAD` request, or to a request
//!   whose body could not be read to its end: it drops the continuation, answers `400` and
//!   closes the connection (no `101` is sent). The other checks are the handler's:
//!   [`requested`] and [`tide::ws`](crate::ws) make them.
//! - A `101` without a continuation (built with `Response::new(StatusCode::SWITCHING_PROTOCOLS)`)
//!   is written as it is, and then the connection is closed: nobody can speak the new
//!   protocol, and its bytes are never read as HTTP.
//! - A continuation on a response whose status is not `101` (a middleware changed it) is
//!   dropped without being called; the response is written as usual. So is one on a
//!   response converted into an `http::Response` or answered in-process by
//!   [`testing`](crate::testing).
//!
//! # Examples
//!
//! A made-up line protocol, `shout`, that answers each line in capitals:
//!
//! ```
//! use futures::{AsyncBufReadExt, AsyncWriteExt, io::BufReader};
//! use tide::{Response, StatusCode, upgrade};
//!
//! let mut app = tide::new();
//! app.at("/shout").get(|request: tide::Request| async move {
//!     match upgrade::requested(&request) {
//!         Some(protocols) if protocols.eq_ignore_ascii_case("shout") => {}
//!         _ => return Ok(Response::new(StatusCode::BAD_REQUEST)),
//!     }
//!     Ok(Response::upgrade("shout", |io| async move {
//!         let (reader, mut writer) = futures::AsyncReadExt::split(io);
//!         let mut lines = BufReader::new(reader).lines();
//!         while let Some(Ok(line)) = futures::StreamExt::next(&mut lines).await {
//!             let answer = format!("{}\n", line.to_uppercase());
//!             if writer.write_all(answer.as_bytes()).await.is_err() {
//!                 break;
//!             }
//!         }
//!     }))
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_io::{AsyncRead, AsyncWrite};
use http::header::{CONNECTION, UPGRADE};
use http::{Method, Version};

use crate::endpoint::BoxFuture;
use crate::server::Transport;
use crate::server::shutdown::{Shutdown, Triggered};
use crate::{Request, Response};

/// The protocols a request asks to switch to (its `Upgrade` field, e.g. `"websocket"`), when
/// it is an upgrade request: an HTTP/1.1 `GET` whose `Connection` field lists `upgrade` and
/// that has an `Upgrade` field. `None` for any other request.
///
/// # Examples
///
/// ```
/// let mut app = tide::new();
/// app.at("/").get(|request: tide::Request| async move {
///     Ok(tide::upgrade::requested(&request).unwrap_or("none").to_owned())
/// });
/// # tide::runtime::block_on(async {
/// let request = http::Request::get("/")
///     .header("connection", "keep-alive, Upgrade")
///     .header("upgrade", "websocket")
///     .body(tide::Body::empty())?;
/// let answer = tide::testing::send(&app, request).await.body_string().await;
/// assert_eq!(answer, "websocket");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn requested<State>(request: &Request<State>) -> Option<&str> {
    if request.method() != Method::GET || request.version() != Version::HTTP_11 {
        return None;
    }
    let asks = request
        .header_values(CONNECTION.as_str())
        .any(|value| lists_token(value, b"upgrade"));
    if !asks {
        return None;
    }
    request
        .header(UPGRADE.as_str())
        .map(str::trim)
        .filter(|protocols| !protocols.is_empty())
}

/// Whether the comma-separated list `value` holds `token` (any case).
pub(crate) fn lists_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|item| item.trim_ascii().eq_ignore_ascii_case(token))
}

/// What a `101` response runs once its head is written: the continuation of
/// [`Response::upgrade`], type-erased and boxed once.
pub(crate) struct OnUpgrade {
    run: Box<dyn FnOnce(Upgraded) -> BoxFuture<'static, ()> + Send>,
}

impl OnUpgrade {
    pub(crate) fn new<F, Fut>(on_upgrade: F) -> OnUpgrade
    where
        F: FnOnce(Upgraded) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        OnUpgrade {
            run: Box::new(move |upgraded| Box::pin(on_upgrade(upgraded))),
        }
    }

    /// Starts the continuation.
    pub(crate) fn call(self, upgraded: Upgraded) -> BoxFuture<'static, ()> {
        (self.run)(upgraded)
    }
}

impl fmt::Debug for OnUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnUpgrade").finish_non_exhaustive()
    }
}

impl Response {
    /// A `101 Switching Protocols` response to `protocol` (`Connection: upgrade`,
    /// `Upgrade: protocol`) whose continuation `on_upgrade` gets the connection once the
    /// head is written. Add the protocol's own fields with
    /// [`insert_header`](Response::insert_header). See the [`upgrade`](crate::upgrade)
    /// module for what the engine does, and when it refuses.
    ///
    /// # Panics
    ///
    /// If `protocol` is not a valid header value (a programming mistake).
    #[track_caller]
    pub fn upgrade<F, Fut>(protocol: &str, on_upgrade: F) -> Response
    where
        F: FnOnce(Upgraded) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut response = Response::new(http::StatusCode::SWITCHING_PROTOCOLS);
        response.insert_header(CONNECTION, "upgrade");
        response.insert_header(UPGRADE, protocol);
        response.set_on_upgrade(OnUpgrade::new(on_upgrade));
        response
    }
}

/// A connection taken over after `101 Switching Protocols`: reads serve the bytes the client
/// had already sent after the request head, then the connection; writes go straight to it.
///
/// It also tells of the server's graceful shutdown ([`Upgraded::shutdown`]): a continuation
/// should wind its protocol down when it fires (the server aborts it after its
/// `shutdown_timeout`). See the [module docs](crate::upgrade).
///
/// `poll_flush` has nothing to do: writes are not buffered here (a stream served through
/// [`serve_connection`](crate::server::serve_connection) is flushed after each write).
pub struct Upgraded {
    transport: Arc<dyn Transport>,
    /// What the client sent after the head, not yet read.
    leftover: Bytes,
    shutdown: Shutdown,
    /// The registration of [`Upgraded::poll_shutdown`], made on its first wait.
    watching: Option<Triggered>,
}

impl Upgraded {
    pub(crate) fn new(
        transport: Arc<dyn Transport>,
        leftover: Bytes,
        shutdown: Shutdown,
    ) -> Upgraded {
        Upgraded {
            transport,
            leftover,
            shutdown,
            watching: None,
        }
    }

    /// Whether the server has started its graceful shutdown.
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_triggered()
    }

    /// A future that completes once the server starts its graceful shutdown (never, for a
    /// connection served through [`serve_connection`](crate::server::serve_connection)).
    pub fn shutdown(&self) -> ShuttingDown {
        ShuttingDown {
            triggered: self.shutdown.wait(),
        }
    }

    /// `Ready` once the server has started its graceful shutdown; otherwise registers `cx`
    /// to be woken when it does. For code that polls by hand, beside the reads and writes.
    pub fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let shutdown = &self.shutdown;
        self.watching
            .get_or_insert_with(|| shutdown.wait())
            .poll_triggered(cx)
    }

    /// The bytes the client sent after the request head that nothing has read yet.
    pub fn buffered(&self) -> &[u8] {
        &self.leftover
    }
}

impl fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgraded")
            .field("buffered", &self.leftover.len())
            .field("shutting_down", &self.is_shutting_down())
            .finish_non_exhaustive()
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.leftover.is_empty() {
            let n = this.leftover.len().min(buf.len());
            buf[..n].copy_from_slice(&this.leftover[..n]);
            this.leftover.advance(n);
            return Poll::Ready(Ok(n));
        }
        this.transport.poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.transport.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.transport.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A stream that buffers writes (TLS) sends them now; sockets are always flushed.
        self.transport.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.transport.poll_close(cx)
    }
}

/// Completes once the server starts its graceful shutdown; see [`Upgraded::shutdown`].
#[must_use = "futures do nothing unless polled"]
pub struct ShuttingDown {
    triggered: Triggered,
}

impl Future for ShuttingDown {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().triggered.poll_triggered(cx)
    }
}

impl fmt::Debug for ShuttingDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShuttingDown").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: Version, method: Method, fields: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder()
            .method(method)
            .version(version)
            .uri("/");
        for (name, value) in fields {
            builder = builder.header(*name, *value);
        }
        let conn = crate::request::ConnInfo {
            peer_addr: None,
            local_addr: None,
        };
        Request::from_http(builder.body(crate::Body::empty()).unwrap(), conn, 0)
    }

    #[test]
    fn an_upgrade_request_is_an_http_1_1_get_with_connection_upgrade_and_upgrade() {
        let asks = [
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", " websocket "),
        ];
        assert_eq!(
            requested(&request(Version::HTTP_11, Method::GET, &asks)),
            Some("websocket")
        );
        for refused in [
            request(Version::HTTP_10, Method::GET, &asks),
            request(Version::HTTP_11, Method::POST, &asks),
            request(Version::HTTP_11, Method::GET, &[("upgrade", "websocket")]),
            request(Version::HTTP_11, Method::GET, &[("connection", "upgrade")]),
            request(
                Version::HTTP_11,
                Method::GET,
                &[("connection", "upgraded"), ("upgrade", "websocket")],
            ),
            request(
                Version::HTTP_11,
                Method::GET,
                &[("connection", "upgrade"), ("upgrade", "  ")],
            ),
        ] {
            assert_eq!(requested(&refused), None, "{:?}", refused.headers());
        }
    }

    #[test]
    fn the_upgrade_response_says_what_it_switches_to_and_carries_its_continuation() {
        let mut response = Response::upgrade("shout", |_| async {});
        assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(response.header("connection"), Some("upgrade"));
        assert_eq!(response.header("upgrade"), Some("shout"));
        assert!(response.take_on_upgrade().is_some());
        assert!(response.take_on_upgrade().is_none());
    }
}
