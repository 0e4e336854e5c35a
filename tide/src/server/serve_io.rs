//! [`serve_connection`]: one connection served over any byte stream the caller brings (a TLS
//! stream, an in-memory pipe, a socket tide did not open), through the same connection loop
//! as the listeners tide binds itself.
//!
//! The loop shares its transport between the connection's reader (which request bodies read
//! through) and its writer, through a shared reference ([`Transport`]). A stream that needs
//! `&mut self` to be read or written (every `AsyncRead + AsyncWrite` type) is wrapped in
//! [`LockedIo`], a mutex held for the span of one `poll_read` / `poll_write` call of the
//! stream and never across a wait. Streams that tide opens itself (TCP, Unix) keep their
//! lock-free path: nothing here is on it.
//!
//! Contract for the stream: its poll methods must not block, and a waker it wakes must not
//! poll the connection inline (wakers of juliex and other executors only schedule).

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::conn;
use super::pressure::ConnState;
use super::service::{ConnInfo, Service};
use super::shutdown::Shutdown;
use super::transport::Transport;
use crate::settings::Settings;

/// Serves one HTTP/1.1 connection over `io` until it ends: the client closes it, it stays
/// idle past [`Settings::keep_alive_timeout`], a request asks for `Connection: close`, or a
/// request is refused (its 4xx is written first). Keep-alive, pipelining, every limit and
/// timeout of `settings` apply as on the servers tide binds; `info` is what requests report
/// as their peer and local address.
///
/// The future resolves with `Ok(())` when the connection ended normally and with the I/O
/// error that ended it otherwise (a reset, a write timeout). Each connection is its own
/// future: spawn one per connection (e.g. with `juliex::spawn`) to serve many. Connections
/// served this way are outside any [`Listening`](super::Listening) server: they count against
/// no `max_connections` and are not stopped by its shutdown; drop the future to cut one off.
///
/// # Examples
///
/// A request served over an in-process Unix socket pair:
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use tide::server::{ConnInfo, Settings, serve_connection};
///
/// # tide::runtime::block_on(async {
/// let mut app = tide::new();
/// app.at("/").get(|_| async { Ok("Hello, world!") });
/// let service = app.into_service();
///
/// let (server_side, mut client) = romio::UnixStream::pair()?;
/// let info = ConnInfo { peer_addr: None, local_addr: None };
/// let settings = Settings::default();
/// let serving = serve_connection(server_side, &service, &settings, info);
///
/// let talking = async {
///     client
///         .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
///         .await?;
///     let mut response = String::new();
///     client.read_to_string(&mut response).await?;
///     Ok::<_, std::io::Error>(response)
/// };
/// let (served, response) = futures::join!(serving, talking);
/// served?;
/// let response = response?;
/// assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(response.ends_with("Hello, world!"));
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn serve_connection<'a, IO, S>(
    io: IO,
    service: &'a S,
    settings: &'a Settings,
    info: ConnInfo,
) -> impl Future<Output = io::Result<()>> + Send + 'a
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    S: Service,
{
    serve_transport(Arc::new(LockedIo::new(io)), service, settings, info)
}

/// Serves one connection over a [`Transport`] (a stream readable and writable through a
/// shared reference, with no lock around it): the form of [`serve_connection`] for streams
/// that offer it, such as `romio::TcpStream` and `romio::UnixStream`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use tide::server::{ConnInfo, Settings, serve_transport};
///
/// async fn hello(_: http::Request<tide::Body>) -> http::Response<tide::Body> {
///     http::Response::new(tide::Body::from("hi"))
/// }
///
/// # tide::runtime::block_on(async {
/// let (server_side, mut client) = romio::UnixStream::pair()?;
/// let info = ConnInfo { peer_addr: None, local_addr: None };
/// let settings = Settings::default();
/// let serving = serve_transport(Arc::new(server_side), &hello, &settings, info);
/// let talking = async {
///     client.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
///     let mut response = String::new();
///     client.read_to_string(&mut response).await?;
///     Ok::<_, std::io::Error>(response)
/// };
/// let (served, response) = futures::join!(serving, talking);
/// served?;
/// assert!(response?.ends_with("\r\n\r\nhi"));
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn serve_transport<S: Service>(
    transport: Arc<dyn Transport>,
    service: &S,
    settings: &Settings,
    info: ConnInfo,
) -> io::Result<()> {
    // Never triggered: only a `Listening` server shuts its connections down. Nor is the
    // connection's state seen by any accept loop.
    let shutdown = Shutdown::new();
    let state = Arc::new(ConnState::default());
    conn::serve_connection(transport, service, info, settings, &shutdown, state).await
}

/// An `AsyncRead + AsyncWrite` stream made usable through a shared reference, as a
/// [`Transport`]: each poll locks it for the span of that one call.
///
/// The engine never flushes (sockets need no flush), so a stream that buffers writes (TLS)
/// is flushed here: after every write, and again before the next read or write while a
/// flush is still pending. A write waits until the previous flush has completed.
///
/// [`serve_connection`] wraps its stream in one; it is public for callers that build their
/// own `Arc<dyn Transport>` for [`serve_transport`].
pub struct LockedIo<IO> {
    inner: Mutex<Inner<IO>>,
}

struct Inner<IO> {
    io: IO,
    /// Bytes were written and their flush has not completed.
    unflushed: bool,
}

impl<IO: AsyncWrite + Unpin> Inner<IO> {
    /// Drives a pending flush.
    fn poll_flushed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.unflushed {
            std::task::ready!(Pin::new(&mut self.io).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes with `write`, then starts the flush of what it wrote.
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_flushed(cx))?;
        let written = std::task::ready!(write(Pin::new(&mut self.io), cx))?;
        self.unflushed = true;
        if let Poll::Ready(Err(error)) = self.poll_flushed(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(written))
    }
}

impl<IO> LockedIo<IO> {
    /// Wraps `io`.
    pub fn new(io: IO) -> LockedIo<IO> {
        LockedIo {
            inner: Mutex::new(Inner {
                io,
                unflushed: false,
            }),
        }
    }

    /// The stream back.
    pub fn into_inner(self) -> IO {
        self.inner
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .io
    }

    fn lock(&self) -> MutexGuard<'_, Inner<IO>> {
        // A stream whose poll panicked is still a stream: the next call reports its state.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<IO> std::fmt::Debug for LockedIo<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedIo").finish_non_exhaustive()
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for &LockedIo<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut inner = self.lock();
        // A response still in the stream's buffer must leave before the client is awaited;
        // a flush that waits has registered its own wakeup, and the read goes on.
        if let Poll::Ready(Err(error)) = inner.poll_flushed(cx) {
            return Poll::Ready(Err(error));
        }
        Pin::new(&mut inner.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for &LockedIo<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.lock()
            .poll_write_with(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.lock()
            .poll_write_with(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut inner = self.lock();
        inner.unflushed = true;
        inner.poll_flushed(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut inner = self.lock();
        // Closing flushes first.
        inner.unflushed = false;
        Pin::new(&mut inner.io).poll_close(cx)
    }
}
