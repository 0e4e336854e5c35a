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
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};
