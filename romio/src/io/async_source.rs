//! [`Async`]: an I/O source registered with the reactor.

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::reactor::readiness::Direction;
use crate::reactor::{Registration, Waiter};

/// An I/O source registered with romio's reactor, edge-triggered.
///
/// `Async` wraps a `mio` source (any type implementing [`mio::event::Source`]; for a raw
/// file descriptor wrap it in [`FdSource`](crate::io::FdSource) first) and lets tasks wait
/// until it is readable or writable. The typical use is one of the `*_with` helpers: they
/// run a non-blocking operation and, each time it says `WouldBlock`, wait for the next
/// readiness event and try again.
///
/// The readiness contract: readiness reported by [`poll_read_ready`](Async::poll_read_ready)
/// stays set until an operation run through one of the helpers returns `WouldBlock`. An
/// operation that fails with `WouldBlock` *outside* the helpers leaves it set, so calling
/// `poll_read_ready` again returns at once: use the helpers.
///
/// Waiting: each `async` method waits with a waker slot of its own, removed when its future
/// is dropped, so any number of tasks can wait at once and an abandoned wait (a `timeout`,
/// a `select`) leaves nothing behind. The `poll_*` methods share one slot per direction:
/// only the task of the last call that had to wait is woken, so only one task at a time
/// should wait through them in one direction.
///
/// Dropping an `Async` deregisters the source and wakes no one; a new source that reuses its
/// slot never receives its events.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use romio::io::Async;
///
/// # futures::executor::block_on(async {
/// let (mut a, b) = mio::net::UnixStream::pair()?;
/// let b = Async::new(b)?;
/// a.write_all(b"hello")?;
/// let mut buf = [0; 5];
/// let n = b.read_with(|s| (&*s).read(&mut buf)).await?;
/// assert_eq!(&buf[..n], b"hello");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct Async<T: mio::event::Source> {
    /// `None` only after `into_inner` took it.
    source: Option<T>,
    registration: Registration,
}

impl<T: mio::event::Source> Async<T> {
    /// Registers `source` with the reactor. The source must be in non-blocking mode.
    pub fn new(mut source: T) -> io::Result<Async<T>> {
        let registration = Registration::new(&mut source)?;
        Ok(Async {
            source: Some(source),
            registration,
        })
    }

    /// The source.
    pub fn get_ref(&self) -> &T {
        self.source
            .as_ref()
            .expect("source is present until into_inner")
    }

    /// The source, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.source
            .as_mut()
            .expect("source is present until into_inner")
    }

    /// Deregisters the source and gives it back.
    pub fn into_inner(mut self) -> io::Result<T> {
        let mut source = self
            .source
            .take()
            .expect("source is present until into_inner");
        self.registration.deregister(&mut source)?;
        Ok(source)
    }

    /// Ready once the reactor reported the source readable (or closed, or in error). Only the
    /// task of the last call that returned `Pending` is woken (see the type's docs).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.registration
            .poll_ready(cx, Direction::Read)
            .map(|_| Ok(()))
    }

    /// Ready once the reactor reported the source writable (or closed, or in error). Only the
    /// task of the last call that returned `Pending` is woken (see the type's docs).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.registration
            .poll_ready(cx, Direction::Write)
            .map(|_| Ok(()))
    }

    /// Waits until the source is readable.
    pub async fn readable(&self) -> io::Result<()> {
        let mut waiter = self.registration.waiter(Direction::Read);
        poll_fn(|cx| waiter.poll_ready(cx).map(|_| Ok(()))).await
    }

    /// Waits until the source is writable.
    pub async fn writable(&self) -> io::Result<()> {
        let mut waiter = self.registration.waiter(Direction::Write);
        poll_fn(|cx| waiter.poll_ready(cx).map(|_| Ok(()))).await
    }

    /// A wait in `direction` with a waker slot of its own, removed when it is dropped: for
    /// the futures and streams of the socket types.
    pub(crate) fn waiter(&self, direction: Direction) -> Waiter<'_> {
        self.registration.waiter(direction)
    }

    /// Runs `op` until it stops saying `WouldBlock`, waiting as `waiter` in between.
    pub(crate) fn poll_with<R>(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Waiter<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let source = self.get_ref();
        waiter.poll_io(cx, || op(source))
    }

    /// Wakers stored for `direction`, for tests.
    #[cfg(test)]
    pub(crate) fn waiter_count(&self, direction: Direction) -> usize {
        self.registration.waiter_count(direction)
    }

    /// Runs the read-side operation `op` until it stops saying `WouldBlock`.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let source = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Read, || op(source))
    }

    /// Runs the write-side operation `op` until it stops saying `WouldBlock`.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let source = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Write, || op(source))
    }

    /// Runs the read-side operation `op` (which needs `&mut T`) until it stops saying
    /// `WouldBlock`.
    pub fn poll_read_with_mut<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let source = self
            .source
            .as_mut()
            .expect("source is present until into_inner");
        self.registration
            .poll_io(cx, Direction::Read, || op(source))
    }

    /// Runs the write-side operation `op` (which needs `&mut T`) until it stops saying
    /// `WouldBlock`.
    pub fn poll_write_with_mut<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let source = self
            .source
            .as_mut()
            .expect("source is present until into_inner");
        self.registration
            .poll_io(cx, Direction::Write, || op(source))
    }

    /// Runs the read-side operation `op` until it stops saying `WouldBlock`.
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let mut waiter = self.waiter(Direction::Read);
        poll_fn(|cx| self.poll_with(cx, &mut waiter, &mut op)).await
    }

    /// Runs the write-side operation `op` until it stops saying `WouldBlock`.
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let mut waiter = self.waiter(Direction::Write);
        poll_fn(|cx| self.poll_with(cx, &mut waiter, &mut op)).await
    }

    /// Runs the read-side operation `op` (which needs `&mut T`) until it stops saying
    /// `WouldBlock`.
    pub async fn read_with_mut<R>(
        &mut self,
        op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.with_mut(Direction::Read, op).await
    }

    /// Runs the write-side operation `op` (which needs `&mut T`) until it stops saying
    /// `WouldBlock`.
    pub async fn write_with_mut<R>(
        &mut self,
        op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.with_mut(Direction::Write, op).await
    }

    async fn with_mut<R>(
        &mut self,
        direction: Direction,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let Async {
            source,
            registration,
        } = self;
        let source = source.as_mut().expect("source is present until into_inner");
        let mut waiter = registration.waiter(direction);
        poll_fn(|cx| waiter.poll_io(cx, || op(source))).await
    }

    /// Reads into `buf`; a short read marks the source drained (see `poll_transfer`): only
    /// for byte streams.
    pub(crate) fn poll_read_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a T: Read,
    {
        let source = self.get_ref();
        self.registration
            .poll_transfer(cx, Direction::Read, buf.len(), || {
                let mut source = source;
                source.read(buf)
            })
    }

    /// [`poll_read_into`](Async::poll_read_into) for a stream socket, with a bare `recv(2)`
    /// (see `stream_syscalls`).
    #[cfg(target_os = "linux")]
    pub(crate) fn poll_recv_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>
    where
        T: std::os::fd::AsRawFd,
    {
        let fd = self.get_ref().as_raw_fd();
        self.registration
            .poll_transfer(cx, Direction::Read, buf.len(), || {
                super::stream_syscalls::recv(fd, buf)
            })
    }

    /// Vectored read; a short read marks the source drained.
    pub(crate) fn poll_read_vectored_into(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a T: Read,
    {
        let source = self.get_ref();
        let asked = bufs.iter().map(|b| b.len()).sum();
        self.registration
            .poll_transfer(cx, Direction::Read, asked, || {
                let mut source = source;
                source.read_vectored(bufs)
            })
    }

    /// Writes `buf`; a short write marks the source full.
    pub(crate) fn poll_write_from(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a T: Write,
    {
        let source = self.get_ref();
        self.registration
            .poll_transfer(cx, Direction::Write, buf.len(), || {
                let mut source = source;
                source.write(buf)
            })
    }

    /// [`poll_write_from`](Async::poll_write_from) for a stream socket, with a bare `send(2)`
    /// (see `stream_syscalls`).
    #[cfg(target_os = "linux")]
    pub(crate) fn poll_send_from(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>
    where
        T: std::os::fd::AsRawFd,
    {
        let fd = self.get_ref().as_raw_fd();
        self.registration
            .poll_transfer(cx, Direction::Write, buf.len(), || {
                super::stream_syscalls::send(fd, buf)
            })
    }

    /// Vectored write; a short write marks the source full.
    pub(crate) fn poll_write_vectored_from(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a T: Write,
    {
        let source = self.get_ref();
        let asked = bufs.iter().map(|b| b.len()).sum();
        self.registration
            .poll_transfer(cx, Direction::Write, asked, || {
                let mut source = source;
                source.write_vectored(bufs)
            })
    }
}

impl<T: mio::event::Source> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(mut source) = self.source.take() {
            // The descriptor closes right after; a failure here changes nothing.
            let _ = self.registration.deregister(&mut source);
        }
    }
}

impl<T: mio::event::Source> AsyncRead for Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_into(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_vectored_into(cx, bufs)
    }
}

impl<T: mio::event::Source> AsyncWrite for Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_from(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_from(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let source = self.get_ref();
        self.registration.poll_io(cx, Direction::Write, || {
            let mut source = source;
            source.flush()
        })
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
