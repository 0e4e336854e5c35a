//! [`UnixListener`]: accepts Unix-domain stream connections.

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::UnixStream;
use crate::io::Async;
use crate::net::DEFAULT_BACKLOG;
use crate::net::socket_options::set_backlog;
use crate::reactor::Waiter;
use crate::reactor::readiness::Direction;

/// A Unix-domain socket server, listening for connections.
///
/// # Examples
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use romio::net::{UnixListener, UnixStream};
///
/// # futures::executor::block_on(async {
/// # let path = std::env::temp_dir().join(format!("romio-doc-listener-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
///
/// let mut client = UnixStream::connect(&path).await?;
/// let (mut server, _peer) = listener.accept().await?;
///
/// client.write_all(b"hello").await?;
/// let mut buf = [0; 5];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hello");
/// # std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixListener {
    io: Async<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates the socket file at `path` and listens on it, with a backlog of
    /// [`DEFAULT_BACKLOG`]. The file is not removed when the listener is dropped.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::bind_with_backlog(path, DEFAULT_BACKLOG)
    }

    /// Like [`bind`](UnixListener::bind), with a queue of `backlog` connections not yet
    /// accepted (capped by the kernel's maximum).
    pub fn bind_with_backlog(path: impl AsRef<Path>, backlog: u32) -> io::Result<UnixListener> {
        let listener = mio::net::UnixListener::bind(path)?;
        set_backlog(&listener, backlog)?;
        Ok(UnixListener {
            io: Async::new(listener)?,
        })
    }

    /// Waits for a connection and returns it with the peer's address (usually unnamed).
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let accepted = self.io.read_with(|listener| listener.accept()).await;
        accepted.and_then(register)
    }

    /// Polls for a connection. Only the task of the last call that returned `Pending` is
    /// woken: tasks accepting at the same time should use [`accept`](Self::accept) or
    /// [`incoming`](Self::incoming), which wait with a slot each.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.io
            .poll_read_with(cx, |listener| listener.accept())
            .map(|accepted| accepted.and_then(register))
    }

    /// A stream of incoming connections; it never ends (an `accept` error is an item).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            listener: self,
            waiter: self.io.waiter(Direction::Read),
        }
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Deregisters the listener and turns it into a `std` listener, left non-blocking.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Registers a `std` listener, switching it to non-blocking mode.
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Async::new(mio::net::UnixListener::from_std(listener))?,
        })
    }
}

impl std::os::fd::AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

/// A stream of connections accepted by a [`UnixListener`]; see [`UnixListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    /// Its own place among the listener's waiters, removed when the stream is dropped.
    waiter: Waiter<'a>,
    listener: &'a UnixListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Incoming { listener, waiter } = self.get_mut();
        listener
            .io
            .poll_with(cx, waiter, |listener| listener.accept())
            .map(|accepted| Some(accepted.and_then(register).map(|(stream, _)| stream)))
    }
}

/// Registers an accepted connection with the reactor.
fn register<A>((stream, addr): (mio::net::UnixStream, A)) -> io::Result<(UnixStream, A)> {
    Ok((UnixStream::from_mio(stream)?, addr))
}
