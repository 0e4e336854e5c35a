//! romio: an async reactor over `mio`, with TCP, UDP and Unix-domain sockets and timers.
//!
//! romio turns the operating system's readiness notifications (epoll on Linux, kqueue on
//! macOS and the BSDs) into wakeups of async tasks. It works under any executor: by default
//! it starts one background thread that waits for events, and an executor that wants to
//! skip that thread's hop can turn the reactor itself through a [`reactor::Driver`].
//!
//! - [`net`]: [`TcpListener`], [`TcpStream`], [`UdpSocket`], and on Unix [`UnixListener`],
//!   [`UnixStream`], [`UnixDatagram`]; they implement `futures::io::{AsyncRead, AsyncWrite}`.
//! - [`time`]: [`sleep`](time::sleep), [`timeout`](time::timeout),
//!   [`interval`](time::interval).
//! - [`io`]: [`Async`](io::Async) makes any `mio` source, or a raw file descriptor, async.
//! - [`reactor`]: the [`Driver`](reactor::Driver) seam for executors.
//!
//! # Examples
//!
//! An echo server, run here under `futures`' simple executor:
//!
//! ```
//! use futures::{AsyncReadExt, AsyncWriteExt};
//! use romio::{TcpListener, TcpStream};
//!
//! # futures::executor::block_on(async {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let server = async {
//!     let (stream, _) = listener.accept().await?;
//!     let (mut reader, mut writer) = (&stream, &stream);
//!     futures::io::copy(&mut reader, &mut writer).await
//! };
//! let client = async {
//!     let mut stream = TcpStream::connect(addr).await?;
//!     stream.write_all(b"echo me").await?;
//!     stream.close().await?;
//!     let mut reply = Vec::new();
//!     stream.read_to_end(&mut reply).await?;
//!     assert_eq!(reply, b"echo me");
//!     std::io::Result::Ok(())
//! };
//! let (copied, checked) = futures::join!(server, client);
//! assert_eq!(copied?, 7);
//! checked?;
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod io;
pub mod net;
pub mod reactor;
pub mod time;

pub use net::{TcpListener, TcpStream, UdpSocket};
#[cfg(unix)]
pub use net::{UnixDatagram, UnixListener, UnixStream};
