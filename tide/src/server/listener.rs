//! [`Listener`]: where a server accepts connections: TCP (IPv4 or IPv6) or a Unix socket.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::service::ConnInfo;
use super::transport::Transport;

/// A bound listening socket.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(romio::TcpListener),
    #[cfg(unix)]
    Unix(romio::UnixListener),
}

/// A freshly accepted connection.
pub(crate) struct Accepted {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) info: ConnInfo,
}

impl Listener {
    /// Polls for the next connection. TCP connections get `TCP_NODELAY`: responses are
    /// written whole, so waiting to coalesce them only adds latency.
    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>> {
        match self {
            Listener::Tcp(listener) => listener.poll_accept(cx).map(|accepted| {
                let (stream, peer) = accepted?;
                // Best effort: a socket that refuses the option still works.
                let _ = stream.set_nodelay(true);
                let info = ConnInfo {
                    peer_addr: Some(peer),
                    local_addr: stream.local_addr().ok(),
                };
                Ok(Accepted {
                    transport: Arc::new(stream),
                    info,
                })
            }),
            #[cfg(unix)]
            Listener::Unix(listener) => listener.poll_accept(cx).map(|accepted| {
                let (stream, _) = accepted?;
                Ok(Accepted {
                    transport: Arc::new(stream),
                    info: ConnInfo {
                        peer_addr: None,
                        local_addr: None,
                    },
                })
            }),
        }
    }
}

/// Whether an `accept` error means the process or system ran out of a resource (descriptors,
/// memory): the listener should back off before it tries again, not spin.
pub(crate) fn is_resource_exhaustion(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc_errno::EMFILE | libc_errno::ENFILE | libc_errno::ENOBUFS | libc_errno::ENOMEM)
    )
}

/// The errno values `accept` reports when a resource is exhausted (the same on Linux, macOS
/// and the BSDs).
mod libc_errno {
    pub(super) const ENOMEM: i32 = 12;
    pub(super) const ENFILE: i32 = 23;
    pub(super) const EMFILE: i32 = 24;
    #[cfg(target_os = "linux")]
    pub(super) const ENOBUFS: i32 = 105;
    #[cfg(not(target_os = "linux"))]
    pub(super) const ENOBUFS: i32 = 55;
}
