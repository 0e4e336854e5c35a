//! [`UnixStream`]: a Unix-domain stream connection.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::UCred;
use super::{OwnedReadHalf, OwnedWriteHalf};
use crate::io::Async;
use crate::net::socket_options;
use crate::net::split::{self, SplitStream};
use crate::net::stream_io::{impl_stream_read, impl_stream_write};

/// A Unix-domain stream connection.
///
/// Reading and writing go through [`AsyncRead`] and [`AsyncWrite`] (vectored too), which are
/// also implemented for `&UnixStream`: one task can read while another writes the same
/// stream. [`into_split`](UnixStream::into_split) gives owned halves for two tasks, without
/// a lock. `poll_close` shuts down the writing side.
///
/// # Examples
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use romio::net::UnixStream;
///
/// # futures::executor::block_on(async {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"ping").await?;
/// a.close().await?;
/// let mut received = Vec::new();
/// b.read_to_end(&mut received).await?;
/// assert_eq!(received, b"ping");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixStream {
    io: Async<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path`.
    ///
    /// Fails with `NotFound` if nothing is bound at `path`, with `ConnectionRefused` if the
    /// socket there does not listen, and with `WouldBlock` if the listener's backlog is full
    /// (the OS cannot make a non-blocking Unix-domain connect wait for room).
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect(path)?)?;
        // A Unix-domain connect usually completes at once; one that did not completes when
        // the socket turns writable. Readiness starts out optimistic, so "not connected yet"
        // counts as `WouldBlock`: wait for the event.
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

    /// A pair of streams connected to each other, with unnamed addresses.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    pub(super) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: Async::new(stream)?,
        })
    }

    /// The credentials of the process at the other end, as they were when the connection
    /// was made (or the pair created).
    pub fn peer_cred(&self) -> io::Result<UCred> {
        socket_options::peer_cred(self.io.get_ref())
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

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
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
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
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

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// Registers a `std` stream, switching it to non-blocking mode.
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }
}

impl std::os::fd::AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl_stream_read!(UnixStream, |this| this);
impl_stream_read!(&UnixStream, |this| *this);
impl_stream_write!(UnixStream, |this| this);
impl_stream_write!(&UnixStream, |this| *this);

impl SplitStream for UnixStream {
    type Addr = SocketAddr;
    const KIND: &'static str = "Unix";

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        UnixStream::peer_addr(self)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        UnixStream::local_addr(self)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        UnixStream::shutdown(self, how)
    }
}

impl OwnedReadHalf {
    /// The credentials of the process at the other end.
    pub fn peer_cred(&self) -> io::Result<UCred> {
        self.stream().peer_cred()
    }
}
