//! [`FdSource`]: a `mio` source for anything that owns a file descriptor.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

/// Wraps a value that owns a file descriptor (a pipe, a tty, a socket from another crate)
/// so that [`Async`](crate::io::Async) can register it.
///
/// The descriptor must be in non-blocking mode: romio does not change it.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use romio::io::{Async, FdSource};
///
/// # futures::executor::block_on(async {
/// let (a, b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let a = Async::new(FdSource::new(a))?;
/// (&b).write_all(b"ping")?;
/// let mut buf = [0; 4];
/// let n = a.read_with(|fd| fd.get_ref().read(&mut buf)).await?;
/// assert_eq!(&buf[..n], b"ping");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct FdSource<T: AsRawFd> {
    inner: T,
}

impl<T: AsRawFd> FdSource<T> {
    /// Wraps `inner`; its descriptor must already be non-blocking.
    pub fn new(inner: T) -> FdSource<T> {
        FdSource { inner }
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsRawFd> AsRawFd for FdSource<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl<T: AsRawFd + AsFd> AsFd for FdSource<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl<T: AsRawFd> mio::event::Source for FdSource<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.inner.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.inner.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.inner.as_raw_fd()).deregister(registry)
    }
}
