//! Owned halves of a byte stream, for reading and writing from two tasks: one implementation
//! for TCP and Unix streams, named per stream as `tcp::{OwnedReadHalf, OwnedWriteHalf,
//! ReuniteError}` and `unix::{..}`.
//!
//! Both halves share the stream through an `Arc`; no lock is involved, because a stream can be
//! read and written at the same time through `&stream`. Dropping the writing half shuts down
//! the writing side (unless it was [`forget`](OwnedWriteHalf::forget)-ed); `reunite` puts
//! the halves of one stream back together.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// A byte stream that can be split: what the halves need from it. Implemented by
/// [`TcpStream`](crate::net::TcpStream) and `UnixStream`; not nameable outside romio.
pub trait SplitStream: Sized {
    /// The address type of the stream's ends.
    type Addr;
    /// The kind of stream, for error messages ("TCP", "Unix").
    const KIND: &'static str;
    /// The address of the peer.
    fn peer_addr(&self) -> io::Result<Self::Addr>;
    /// The local address.
    fn local_addr(&self) -> io::Result<Self::Addr>;
    /// Shuts down the reading side, the writing side, or both.
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

/// The reading half of a stream, from its `into_split`.
#[derive(Debug)]
pub struct OwnedReadHalf<S: SplitStream> {
    stream: Arc<S>,
}

/// The writing half of a stream, from its `into_split`.
///
/// Dropping it shuts down the writing side of the connection, so the peer sees end of
/// stream; the reading half is unaffected.
#[derive(Debug)]
pub struct OwnedWriteHalf<S: SplitStream> {
    stream: Arc<S>,
    shut_down_on_drop: bool,
}

/// Splits `stream` into its two owned halves.
pub(crate) fn split<S: SplitStream>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Arc::new(stream);
    (
        OwnedReadHalf {
            stream: stream.clone(),
        },
        OwnedWriteHalf {
            stream,
            shut_down_on_drop: true,
        },
    )
}

impl<S: SplitStream> OwnedReadHalf<S> {
    /// The shared stream, for the methods particular to one kind of stream.
    pub(crate) fn stream(&self) -> &S {
        &self.stream
    }

    /// Puts the two halves back together; fails if they come from different streams.
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        reunite(self, other)
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.stream.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.stream.local_addr()
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    /// Puts the two halves back together; fails if they come from different streams.
    pub fn reunite(self, other: OwnedReadHalf<S>) -> Result<S, ReuniteError<S>> {
        reunite(other, self)
    }

    /// Drops the half without shutting down the writing side.
    pub fn forget(mut self) {
        self.shut_down_on_drop = false;
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.stream.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.stream.local_addr()
    }
}

impl<S: SplitStream> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shut_down_on_drop {
            // The peer may be gone already; there is nobody to tell.
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }
}

fn reunite<S: SplitStream>(
    read: OwnedReadHalf<S>,
    mut write: OwnedWriteHalf<S>,
) -> Result<S, ReuniteError<S>> {
    if !Arc::ptr_eq(&read.stream, &write.stream) {
        return Err(ReuniteError(read, write));
    }
    write.shut_down_on_drop = false;
    let stream = write.stream.clone();
    drop((read, write));
    Ok(Arc::into_inner(stream).expect("both halves were dropped, so this is the last owner"))
}

/// The halves given to `reunite` came from different streams; they are handed back.
pub struct ReuniteError<S: SplitStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: SplitStream> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReuniteError").finish_non_exhaustive()
    }
}

impl<S: SplitStream> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tried to reunite halves of different {} streams",
            S::KIND
        )
    }
}

impl<S: SplitStream> std::error::Error for ReuniteError<S> {}

impl<S: SplitStream> AsyncRead for OwnedReadHalf<S>
where
    for<'a> &'a S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_read_vectored(cx, bufs)
    }
}

/// Writes go to the shared stream; `poll_close` shuts down its writing side.
impl<S: SplitStream> AsyncWrite for OwnedWriteHalf<S>
where
    for<'a> &'a S: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.stream).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.stream).poll_close(cx)
    }
}
