//! Unix-domain sockets: [`UnixListener`] and [`UnixStream`] for byte streams (with the
//! stream's owned halves), [`UnixDatagram`] for datagrams.
//!
//! Addresses are [`SocketAddr`], `std`'s Unix socket address: a path, or unnamed (a socket
//! from `pair`, `unbound`, or a connecting stream that was never bound). Binding creates the
//! socket file; nothing removes it when the socket closes, so remove it yourself, and
//! binding again to a path that still exists fails with `AddrInUse`.

mod datagram;
mod listener;
mod stream;

pub use std::os::unix::net::SocketAddr;

pub use crate::net::socket_options::UCred;
pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use stream::UnixStream;

/// The reading half of a [`UnixStream`], from [`UnixStream::into_split`].
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<UnixStream>;

/// The writing half of a [`UnixStream`], from [`UnixStream::into_split`].
///
/// Dropping it shuts down the writing side of the connection, so the peer sees end of
/// stream; the reading half is unaffected.
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<UnixStream>;

/// The halves given to `reunite` came from different Unix streams; they are handed back.
pub type ReuniteError = crate::net::split::ReuniteError<UnixStream>;
