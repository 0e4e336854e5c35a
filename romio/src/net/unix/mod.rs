//! Unix-domain sockets: [`UnixListener`] and [`UnixStream`] for byte streams (with the
//! stream's owned halves), [`UnixDatagram`] for datagrams.
//!
//! Addresses are [`SocketAddr`], `std`'s Unix socket address: a path, or unnamed (a socket
//! from `pair`, `unbound`, or a connecting stream that was never bound). Binding creates the
//! socket file; nothing removes it when the socket closes, so remove it yourself, and
//! binding again to a path that still exists fails with `AddrInUse`.

mod datagram;
mod listener;
mod split;
mod stream;

pub use std::os::unix::net::SocketAddr;

pub use crate::net::socket_options::UCred;
pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::UnixStream;
