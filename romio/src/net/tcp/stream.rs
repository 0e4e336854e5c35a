//! [`TcpStream`]: a TCP connection.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use super::{OwnedReadHalf, OwnedWriteHalf};
use crate::io::Async;
use crate::net::addr::each_addr;
use crate::net::socket_options;
use crate::net::split::{self, SplitStream};
use crate::net::stream_io::{impl_stream_read, impl_stream_write};

/// A TCP connection.
///
/// Reading and writing go through [`AsyncRead`] and [`AsyncWrite`] (vectored too), which are
/// also implemented for `&TcpStream`: one task can read while another writes the same
/// stream. [`into_split`](TcpStream::into_split) gives owned halves for two tasks, without
/// a lock. `poll_close` shuts down the writing side.
///
/// # Examples
///
/// ```no_run
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use romio::net::TcpStream;
///
/// # futures::executor::block_on(async {
/// let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
/// stream.write_all(b"ping").await?;
/// let mut reply = Vec::new();
/// stream.read_to_end(&mut reply).await?;
/// # std::io::Result::Ok(()) });
/// ```
#[derive(Debug)]
pub struct TcpStream {
    io: Async<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to the first address of `addrs` that accepts.
    pub async fn connect(addrs: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addrs, TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        // A non-blocking connect completes when the socket turns writable. Readiness starts
        // out optimistic, so "not connected yet" counts as `WouldBlock`: wait for the event.
        stream
            .io
            .write_with(|socket| {
                if let Some(error) = socket.take_error()? {
                    return Err(error);
                }
                match socket.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(error) => Err(error),
                }
            })
            .await?;
        Ok(stream)
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Async::new(stream)?,
        })
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address of this end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Shuts down the reading side, the writing side, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The `TCP_NODELAY` option.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `TCP_NODELAY`: `true` sends small writes at once instead of coalescing them.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The `SO_LINGER` option.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket_options::linger(self.io.get_ref())
    }

    /// Sets `SO_LINGER`: `Some(d)` makes closing wait up to `d` for unsent data
    /// (`Some(Duration::ZERO)` resets the connection on close).
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket_options::set_linger(self.io.get_ref(), linger)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Receives data without removing it from the queue, waiting until some arrives.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|stream| stream.peek(buf)).await
    }

    /// Polls for data to peek at.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read_with(cx, |stream| stream.peek(buf))
    }

    /// Waits until the stream is readable.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Splits the stream into a reading and a writing half that can move to different
    /// tasks. No lock is involved: both halves share the stream.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::split(self)
    }

    /// Deregisters the stream and turns it into a `std` stream, left non-blocking.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner()?.into())
    }

    pub(super) fn poll_read_shared(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        #[cfg(target_os = "linux")]
        return self.io.poll_recv_into(cx, buf);
        #[cfg(not(target_os = "linux"))]
        return self.io.poll_read_into(cx, buf);
    }

    pub(super) fn poll_read_vectored_shared(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_vectored_into(cx, bufs)
    }

    pub(super) fn poll_write_shared(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        #[cfg(target_os = "linux")]
        return self.io.poll_send_from(cx, buf);
        #[cfg(not(target_os = "linux"))]
        return self.io.poll_write_from(cx, buf);
    }

    pub(super) fn poll_write_vectored_shared(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored_from(cx, bufs)
    }

    pub(super) fn shutdown_write(&self) -> io::Result<()> {
        match self.shutdown(Shutdown::Write) {
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        }
    }
}

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// Registers a `std` stream, switching it to non-blocking mode.
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl_stream_read!(TcpStream, |this| this);
impl_stream_read!(&TcpStream, |this| *this);
impl_stream_write!(TcpStream, |this| this);
impl_stream_write!(&TcpStream, |this| *this);

impl SplitStream for TcpStream {
    type Addr = SocketAddr;
    const KIND: &'static str = "TCP";

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::peer_addr(self)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::local_addr(self)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        TcpStream::shutdown(self, how)
    }
}

impl OwnedReadHalf {
    /// Receives data without removing it from the queue.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream().peek(buf).await
    }
}
