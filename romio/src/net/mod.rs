//! Networking: TCP, UDP and (on Unix) Unix-domain sockets.
//!
//! Every type here is a thin layer over the matching `mio` type registered with the
//! reactor through [`Async`](crate::io::Async); each converts from and into its `std` twin.
//!
//! Host names given to `bind`/`connect` are resolved with the system resolver on the
//! calling thread (as `std` does); pass a `SocketAddr` to avoid any lookup.

mod addr;
mod socket_options;
mod split;
mod stream_io;
pub mod tcp;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use tcp::{TcpListener, TcpStream};

/// The backlog `bind` gives a listener: how many connections the kernel completes and
/// queues for it before they are accepted. The kernel caps it at its own maximum
/// (`/proc/sys/net/core/somaxconn` on Linux, 4096 by default since Linux 5.4); `std` and
/// `mio` use 128, which a burst of clients overflows (an overflowing client's handshake is
/// retried after a second or more). Use `bind_with_backlog` for another value.
pub const DEFAULT_BACKLOG: u32 = 1024;
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};
