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

use std::future::{Future, poll_fn};
use std::io::{self, IoSlice};
use std::pin::{Pin, pin};
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
/// no `max_connections` and are not stopped by its shutdown; drop the future to cut one off,
/// or use [`serve_connection_with_shutdown`] to close it gracefully. To have tide accept
/// connections from a source of your own, with every rule of a bound server, implement
/// [`Listener`](super::Listener) instead.
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

/// [`serve_connection`], closed gracefully once `signal` completes: a connection waiting for
/// its next request closes at once; one whose request is in flight (being received, handled
/// or answered) finishes it, answers with `Connection: close`, and closes, as the
/// connections of a [`Listening`](super::Listening) server do when it shuts down.
///
/// There is no deadline of its own after the signal (a bound server has
/// [`Settings::shutdown_timeout`]): wrap the future in `romio::time::timeout`, or drop it,
/// to cut a connection off.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use futures::AsyncReadExt;
/// use tide::server::{ConnInfo, Settings, serve_connection_with_shutdown};
///
/// # tide::runtime::block_on(async {
/// let mut app = tide::new();
/// app.at("/").get(|_| async { Ok("Hello, world!") });
/// let service = app.into_service();
/// let (server_side, mut client) = romio::UnixStream::pair()?;
/// let info = ConnInfo { peer_addr: None, local_addr: None };
/// let settings = Settings::default();
/// // An idle connection: it closes as soon as the signal comes.
/// let stop = romio::time::sleep(Duration::from_millis(10));
/// let serving = serve_connection_with_shutdown(server_side, &service, &settings, info, stop);
/// let mut rest = Vec::new();
/// let (served, read) = futures::join!(serving, client.read_to_end(&mut rest));
/// served?;
/// assert_eq!(read?, 0);
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn serve_connection_with_shutdown<'a, IO, S>(
    io: IO,
    service: &'a S,
    settings: &'a Settings,
    info: ConnInfo,
    signal: impl Future<Output = ()> + Send + 'a,
) -> impl Future<Output = io::Result<()>> + Send + 'a
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    S: Service,
{
    serve_until(Arc::new(LockedIo::new(io)), service, settings, info, signal)
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
    serve_until(transport, service, settings, info, std::future::pending()).await
}

/// [`serve_transport`], closed gracefully once `signal` completes (see
/// [`serve_connection_with_shutdown`]).
pub async fn serve_transport_with_shutdown<S: Service>(
    transport: Arc<dyn Transport>,
    service: &S,
    settings: &Settings,
    info: ConnInfo,
    signal: impl Future<Output = ()>,
) -> io::Result<()> {
    serve_until(transport, service, settings, info, signal).await
}

/// Serves one connection of no server's: its state is seen by no accept loop, and its
/// shutdown is triggered by `signal` alone.
async fn serve_until<S: Service>(
    transport: Arc<dyn Transport>,
    service: &S,
    settings: &Settings,
    info: ConnInfo,
    signal: impl Future<Output = ()>,
) -> io::Result<()> {
    let shutdown = Shutdown::new();
    let state = Arc::new(ConnState::default());
    // The transport is the caller's: it may buffer writes, so every batch is flushed.
    let mut serving = pin!(conn::serve_connection(
        transport, service, info, settings, &shutdown, state, true,
    ));
    let mut signal = pin!(signal);
    let mut signalled = false;
    poll_fn(|cx| {
        if !signalled && signal.as_mut().poll(cx).is_ready() {
            signalled = true;
            shutdown.trigger();
        }
        serving.as_mut().poll(cx)
    })
    .await
}

/// An `AsyncRead + AsyncWrite` stream made usable through a shared reference, as a
/// [`Transport`]: each poll locks it for the span of that one call, never across a wait.
///
/// Flushing is the engine's: a stream that buffers writes (TLS) is flushed through
/// [`Transport::poll_flush`] once each batch of responses is written, and closed (which
/// flushes too) when the connection ends, so nothing written waits in its buffer.
///
/// [`serve_connection`] wraps its stream in one; it is public for callers that build their
/// own `Arc<dyn Transport>` for [`serve_transport`].
pub struct LockedIo<IO> {
    io: Mutex<IO>,
}

impl<IO> LockedIo<IO> {
    /// Wraps `io`.
    pub fn new(io: IO) -> LockedIo<IO> {
        LockedIo { io: Mutex::new(io) }
    }

    /// The stream back.
    pub fn into_inner(self) -> IO {
        self.io
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, IO> {
        // A stream whose poll panicked is still a stream: the next call reports its state.
        self.io
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<IO> std::fmt::Debug for LockedIo<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedIo").finish_non_exhaustive()
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for &LockedIo<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.lock()).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for &LockedIo<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.lock()).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.lock()).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.lock()).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.lock()).poll_close(cx)
    }
}
