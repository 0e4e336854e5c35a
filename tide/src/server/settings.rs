//! [`Settings`]: every limit and timeout of the HTTP/1.1 engine, with safe defaults.

use std::time::Duration;

use crate::h1::limits::Limits;

/// Default most bytes of a request body read whole ([`Body::bytes`](crate::Body::bytes)): 2 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 2 * 1024 * 1024;
/// Default time a client has to send a whole request head, from its first byte: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time an idle keep-alive connection is kept open waiting for a request: 30 s.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default most connections open at once; `accept` waits while the server is full.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default most bytes of an unread request body the server reads and discards to keep the
/// connection; a longer unread body closes the connection instead: 256 KiB.
pub const DEFAULT_MAX_DRAIN_BYTES: u64 = 256 * 1024;
/// Default time graceful shutdown waits for in-flight requests: 30 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Limits and timeouts of the server; see each setter for its default.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tide::server::Settings;
///
/// let settings = Settings::default()
///     .max_body_bytes(64 * 1024)
///     .header_read_timeout(Duration::from_secs(5));
/// assert_eq!(settings.get_max_body_bytes(), 64 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct Settings {
    pub(crate) limits: Limits,
    pub(crate) max_body_bytes: u64,
    pub(crate) header_read_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_drain_bytes: u64,
    pub(crate) shutdown_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            limits: Limits::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_drain_bytes: DEFAULT_MAX_DRAIN_BYTES,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

impl Settings {
    /// Most bytes of a request head; more is answered with 431. Default: 16 KiB.
    pub fn max_head_bytes(mut self, bytes: usize) -> Settings {
        self.limits.max_head_bytes = bytes;
        self
    }

    /// Most header fields in a request; more is answered with 431. Default: 100.
    pub fn max_headers(mut self, count: usize) -> Settings {
        self.limits.max_headers = count;
        self
    }

    /// Most bytes of a request target; more is answered with 414. Default: 8 KiB.
    pub fn max_uri_bytes(mut self, bytes: usize) -> Settings {
        self.limits.max_uri_bytes = bytes;
        self
    }

    /// Most bytes of a request body read whole; more fails with 413, chunked bodies
    /// included. Default: [`DEFAULT_MAX_BODY_BYTES`] (2 MiB).
    pub fn max_body_bytes(mut self, bytes: u64) -> Settings {
        self.max_body_bytes = bytes;
        self
    }

    /// Time a client has to send a whole request head, counted from its first byte; a client
    /// that is slower gets 408 and the connection is closed. Default: 10 s.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Settings {
        self.header_read_timeout = timeout;
        self
    }

    /// Time an idle keep-alive connection (or a new one that sent nothing) is kept open
    /// waiting for the next request. Default: 30 s.
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Settings {
        self.keep_alive_timeout = timeout;
        self
    }

    /// Most connections open at once; while the server is full it stops accepting, and the
    /// kernel's backlog holds new clients. Default: 10 000.
    pub fn max_connections(mut self, connections: usize) -> Settings {
        self.max_connections = connections.max(1);
        self
    }

    /// Most bytes of an unread request body that are read and discarded to keep the
    /// connection alive; past that, the connection is closed. Default: 256 KiB.
    pub fn max_drain_bytes(mut self, bytes: u64) -> Settings {
        self.max_drain_bytes = bytes;
        self
    }

    /// How long graceful shutdown lets in-flight requests run. Default: 30 s.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Settings {
        self.shutdown_timeout = timeout;
        self
    }

    /// The body limit in force.
    pub fn get_max_body_bytes(&self) -> u64 {
        self.max_body_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h1::limits::{DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_MAX_URI_BYTES};

    #[test]
    fn the_defaults_are_the_documented_constants() {
        let settings = Settings::default();
        assert_eq!(settings.limits.max_head_bytes, DEFAULT_MAX_HEAD_BYTES);
        assert_eq!(settings.limits.max_headers, DEFAULT_MAX_HEADERS);
        assert_eq!(settings.limits.max_uri_bytes, DEFAULT_MAX_URI_BYTES);
        assert_eq!(settings.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(settings.header_read_timeout, DEFAULT_HEADER_READ_TIMEOUT);
        assert_eq!(settings.keep_alive_timeout, DEFAULT_KEEP_ALIVE_TIMEOUT);
        assert_eq!(settings.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(settings.max_drain_bytes, DEFAULT_MAX_DRAIN_BYTES);
        assert_eq!(settings.shutdown_timeout, DEFAULT_SHUTDOWN_TIMEOUT);
    }

    #[test]
    fn each_setter_sets_its_own_field() {
        let settings = Settings::default()
            .max_head_bytes(1)
            .max_headers(2)
            .max_uri_bytes(3)
            .max_body_bytes(4)
            .header_read_timeout(Duration::from_secs(5))
            .keep_alive_timeout(Duration::from_secs(6))
            .max_connections(7)
            .max_drain_bytes(8)
            .shutdown_timeout(Duration::from_secs(9));
        assert_eq!(
            (
                settings.limits.max_head_bytes,
                settings.limits.max_headers,
                settings.limits.max_uri_bytes,
                settings.get_max_body_bytes(),
            ),
            (1, 2, 3, 4)
        );
        assert_eq!(settings.header_read_timeout, Duration::from_secs(5));
        assert_eq!(settings.keep_alive_timeout, Duration::from_secs(6));
        assert_eq!(settings.max_connections, 7);
        assert_eq!(settings.max_drain_bytes, 8);
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(9));
    }

    #[test]
    fn a_server_always_takes_at_least_one_connection() {
        assert_eq!(Settings::default().max_connections(0).max_connections, 1);
    }
}
