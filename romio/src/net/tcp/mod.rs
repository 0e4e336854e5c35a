//! TCP: [`TcpListener`] and [`TcpStream`], with the stream's owned halves.

mod listener;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use stream::TcpStream;

/// The reading half of a [`TcpStream`], from [`TcpStream::into_split`].
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<TcpStream>;

/// The writing half of a [`TcpStream`], from [`TcpStream::into_split`].
///
/// Dropping it shuts down the writing side of the connection, so the peer sees end of
/// stream; the reading half is unaffected.
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<TcpStream>;

/// The halves given to `reunite` came from different TCP streams; they are handed back.
pub type ReuniteError = crate::net::split::ReuniteError<TcpStream>;
