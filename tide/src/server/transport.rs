//! [`Transport`]: the byte stream a connection runs over (TCP, Unix, or a stream the caller
//! brings, such as TLS), shared by the connection's reader (which request bodies read
//! through) and its writer.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use romio::time::Sleep;

/// A connected byte stream that can be read and written through a shared reference, like
/// `romio::TcpStream` and `romio::UnixStream`.
pub trait Transport: Send + Sync + 'static {
    /// Reads into `buf`.
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// Writes from `buf`.
    ///
    /// The engine calls it whenever it has one buffer to write: on a socket that is a
    /// `send(2)`, which costs the kernel less than a `writev(2)` of one slice. The default
    /// writes through [`poll_write_vectored`](Transport::poll_write_vectored).
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }
    /// Writes from `bufs`, in order.
    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;
    /// Sends what earlier writes left buffered in the stream (a TLS record, say).
    ///
    /// The engine calls it once a batch of responses is written, before it waits for anything
    /// other than the peer's bytes, and after the writes it makes while a request body is
    /// read (earlier pipelined responses, `100 Continue`). Sockets write straight to the
    /// kernel: the default is `Ready(Ok(()))`.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }
    /// Shuts down the writing side, sending what is still buffered first.
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

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut this = self;
        Pin::new(&mut this).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut this = self;
        Pin::new(&mut this).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this = self;
        Pin::new(&mut this).poll_flush(cx)
    }

    fn poll_close(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this = self;
        Pin::new(&mut this).poll_close(cx)
    }
}

/// The write timeout of one connection: a peer that accepts no byte for `timeout` while the
/// server has bytes for it fails the write with [`io::ErrorKind::TimedOut`], and the
/// connection (with the responses it holds) is dropped. One timer, armed only when a write
/// has to wait.
pub(crate) struct WriteDeadline {
    timeout: Duration,
    timer: Option<Sleep>,
    /// Bytes were accepted since the timer was last armed.
    progressed: bool,
}

impl WriteDeadline {
    pub(crate) fn new(timeout: Duration) -> WriteDeadline {
        WriteDeadline {
            timeout,
            timer: None,
            progressed: false,
        }
    }

    /// The peer accepted bytes.
    pub(crate) fn progress(&mut self) {
        self.progressed = true;
    }

    /// A write must wait: `Ready(error)` once the peer has accepted nothing for the timeout.
    pub(crate) fn poll_stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let restart = self.progressed || self.timer.is_none();
        self.progressed = false;
        if restart {
            let Some(deadline) = Instant::now().checked_add(self.timeout) else {
                return Poll::Pending;
            };
            match &mut self.timer {
                Some(timer) => timer.reset(deadline),
                None => self.timer = Some(romio::time::sleep_until(deadline)),
            }
        }
        let Some(timer) = &mut self.timer else {
            return Poll::Pending;
        };
        match Pin::new(timer).poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer accepted no bytes within the write timeout",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Writes all of `first` and then `second` (a head and a body, say), retrying short writes,
/// within the write timeout. While one of them is empty it writes the other alone
/// ([`Transport::poll_write`]): the common case, a body small enough to travel in the head's
/// buffer, costs a `send(2)` rather than a `writev(2)`.
pub(crate) async fn write_all_vectored(
    transport: &dyn Transport,
    mut first: &[u8],
    mut second: &[u8],
    deadline: &mut WriteDeadline,
) -> io::Result<()> {
    std::future::poll_fn(|cx| {
        while !first.is_empty() || !second.is_empty() {
            let polled = if second.is_empty() {
                transport.poll_write(cx, first)
            } else if first.is_empty() {
                transport.poll_write(cx, second)
            } else {
                transport.poll_write_vectored(cx, &[IoSlice::new(first), IoSlice::new(second)])
            };
            let written = match polled {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return deadline.poll_stalled(cx).map(Err),
            };
            deadline.progress();
            let from_first = written.min(first.len());
            first = &first[from_first..];
            second = &second[written - from_first..];
        }
        Poll::Ready(Ok(()))
    })
    .await
}

/// Flushes `transport` ([`Transport::poll_flush`]) within the write timeout.
pub(crate) async fn flush_transport(
    transport: &dyn Transport,
    deadline: &mut WriteDeadline,
) -> io::Result<()> {
    std::future::poll_fn(|cx| match transport.poll_flush(cx) {
        Poll::Ready(result) => Poll::Ready(result),
        Poll::Pending => deadline.poll_stalled(cx).map(Err),
    })
    .await
}
