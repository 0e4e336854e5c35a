//! [`Transport`]: the byte stream a connection runs over (TCP or Unix), shared by the
//! connection's reader (which request bodies read through) and its writer.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// A connected byte stream that can be read and written through a shared reference, like
/// `romio::TcpStream` and `romio::UnixStream`.
pub trait Transport: Send + Sync + 'static {
    /// Reads into `buf`.
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// Writes from `bufs`, in order.
    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;
    /// Shuts down the writing side.
    fn poll_close(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

impl<T> Transport for T
where
    T: Send + Sync + 'static,
    for<'a> &'a T: AsyncRead + AsyncWrite,
{
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut this = self;
        Pin::new(&mut this).poll_read(cx, buf)
    }

    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut this = self;
        Pin::new(&mut this).poll_write_vectored(cx, bufs)
    }

    fn poll_close(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this = self;
        Pin::new(&mut this).poll_close(cx)
    }
}

/// Writes all of `bufs` (a head and a body, say), retrying short writes.
pub(crate) async fn write_all_vectored(
    transport: &dyn Transport,
    mut first: &[u8],
    mut second: &[u8],
) -> io::Result<()> {
    std::future::poll_fn(|cx| {
        while !first.is_empty() || !second.is_empty() {
            let bufs = [IoSlice::new(first), IoSlice::new(second)];
            let written = match transport.poll_write_vectored(cx, &bufs) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            };
            let from_first = written.min(first.len());
            first = &first[from_first..];
            second = &second[written - from_first..];
        }
        Poll::Ready(Ok(()))
    })
    .await
}
