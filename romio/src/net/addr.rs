//! Trying each address a name resolves to, as `std` does.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Calls `attempt` on each address of `addrs` in turn, returning the first success, or the
/// last error (or an `InvalidInput` error if there was no address at all).
pub(crate) async fn each_addr<T, F, Fut>(addrs: impl ToSocketAddrs, mut attempt: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last_error = None;
    for addr in addrs.to_socket_addrs()? {
        match attempt(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
