//! [`TcpListener`]: accepts TCP connections.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::TcpStream;
use crate::io::Async;
use crate::net::DEFAULT_BACKLOG;
use crate::net::addr::each_addr;
use crate::net::socket_options::set_backlog;
use crate::reactor::Waiter;
use crate::reactor::readiness::Direction;

/// A TCP socket server, listening for connections.
///
/// # Examples
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use romio::net::{TcpListener, TcpStream};
///
/// # futures::executor::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
///
/// let mut client = TcpStream::connect(addr).await?;
/// let (mut server, _peer) = listener.accept().await?;
///
/// client.write_all(b"hello").await?;
/// let mut buf = [0; 5];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hello");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct TcpListener {
    io: Async<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first address of `addrs` that works (with `SO_REUSEADDR`, and a backlog
    /// of [`DEFAULT_BACKLOG`]), ready to accept connections.
    pub async fn bind(addrs: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::bind_with_backlog(addrs, DEFAULT_BACKLOG).await
    }

    /// Like [`bind`](TcpListener::bind), with a queue of `backlog` connections not yet
    /// accepted (capped by the kernel's maximum).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let listener = romio::TcpListener::bind_with_backlog("127.0.0.1:0", 4096).await?;
    /// # drop(listener);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn bind_with_backlog(
        addrs: impl ToSocketAddrs,
        backlog: u32,
    ) -> io::Result<TcpListener> {
        each_addr(addrs, |addr| async move {
            let listener = mio::net::TcpListener::bind(addr)?;
            set_backlog(&listener, backlog)?;
            Ok(TcpListener {
                io: Async::new(listener)?,
            })
        })
        .await
    }

    /// Waits for a connection and returns it with the peer's address.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let accepted = self.io.read_with(|listener| listener.accept()).await;
        accepted.and_then(register)
    }

    /// Polls for a connection. Only the task of the last call that returned `Pending` is
    /// woken: tasks accepting at the same time should use [`accept`](Self::accept) or
    /// [`incoming`](Self::incoming), which wait with a slot each.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
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

    /// The address this listener is bound to (with the real port when bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL` for packets sent from this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Deregisters the listener and turns it into a `std` listener, left non-blocking.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let listener = self.io.into_inner()?;
        Ok(listener.into())
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// Registers a `std` listener, switching it to non-blocking mode.
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Async::new(mio::net::TcpListener::from_std(listener))?,
        })
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

/// A stream of connections accepted by a [`TcpListener`]; see [`TcpListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    /// Its own place among the listener's waiters, removed when the stream is dropped.
    waiter: Waiter<'a>,
    listener: &'a TcpListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Incoming { listener, waiter } = self.get_mut();
        listener
            .io
            .poll_with(cx, waiter, |listener| listener.accept())
            .map(|accepted| Some(accepted.and_then(register).map(|(stream, _)| stream)))
    }
}

/// Registers an accepted connection with the reactor.
fn register<A>((stream, addr): (mio::net::TcpStream, A)) -> io::Result<(TcpStream, A)> {
    Ok((TcpStream::from_mio(stream)?, addr))
}
