//! [`Settings`]: every limit and timeout of the HTTP/1.1 engine, with safe defaults, in one
//! place: the head limits the parser enforces, the body limit a request carries to its
//! handler, the timeouts of the connection loop. Each limit is used for one thing only; a
//! value that two places need is read from here by both.

use std::time::Duration;

/// Default most bytes of a request head (request line and header fields): 16 KiB.
pub const DEFAULT_MAX_HEAD_BYTES: usize = 16 * 1024;
/// Default most header fields in a request head: 100.
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// Default most bytes of a request target (the URI in the request line): 8 KiB.
pub const DEFAULT_MAX_URI_BYTES: usize = 8 * 1024;
/// Default most bytes of chunk extensions and trailer fields in one chunked request body:
/// 16 KiB.
pub const DEFAULT_MAX_CHUNK_METADATA_BYTES: usize = 16 * 1024;

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
/// Default length of the listener's queue of connections the kernel has completed and the
/// server not yet accepted: 1024 (capped by the kernel's own maximum, `somaxconn`).
pub const DEFAULT_LISTEN_BACKLOG: u32 = romio::net::DEFAULT_BACKLOG;
/// Default time graceful shutdown waits for in-flight requests: 30 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time the server spends reading and discarding an unread request body before it
/// gives up and closes the connection: 10 s.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Default longest wait for the next byte of a request body (the handler reading it, the
/// drain, or a client that got `100 Continue`): 60 s, like nginx's `client_body_timeout`.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Default minimum rate of a request body, in bytes per second, once its grace period is
/// spent: 500 B/s, like Apache's `mod_reqtimeout` (`body=20,minrate=500`).
pub const DEFAULT_BODY_MIN_RATE: u64 = 500;
/// Default time a request body may be waited for before the minimum rate applies: 20 s.
pub const DEFAULT_BODY_RATE_GRACE: Duration = Duration::from_secs(20);

/// Default longest time a client may accept no byte of its responses while the server has
/// some to send: 60 s, like nginx's `send_timeout`.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long and how slowly a client may send a request body; read by the connection's
/// reader from [`Settings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyTimeouts {
    /// Longest single wait for a body byte.
    pub(crate) idle: Duration,
    /// Time all waits of one body may take together before bytes must earn more.
    pub(crate) grace: Duration,
    /// Bytes per second that earn one more second of waiting; 0 turns the rate off.
    pub(crate) min_rate: u64,
}

impl Default for BodyTimeouts {
    fn default() -> BodyTimeouts {
        BodyTimeouts {
            idle: DEFAULT_BODY_READ_TIMEOUT,
            grace: DEFAULT_BODY_RATE_GRACE,
            min_rate: DEFAULT_BODY_MIN_RATE,
        }
    }
}

/// Limits on a request head; a request over one is answered with 431 or 414. The parser
/// reads them from [`Settings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadLimits {
    /// Most bytes of the whole head.
    pub(crate) max_head_bytes: usize,
    /// Most header fields.
    pub(crate) max_headers: usize,
    /// Most bytes of the request target.
    pub(crate) max_uri_bytes: usize,
}

impl Default for HeadLimits {
    fn default() -> HeadLimits {
        HeadLimits {
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            max_uri_bytes: DEFAULT_MAX_URI_BYTES,
        }
    }
}

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
    pub(crate) limits: HeadLimits,
    pub(crate) max_body_bytes: u64,
    pub(crate) body_timeouts: BodyTimeouts,
    pub(crate) write_timeout: Duration,
    pub(crate) max_chunk_metadata_bytes: usize,
    pub(crate) drain_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_connections_per_ip: Option<usize>,
    pub(crate) max_drain_bytes: u64,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) listen_backlog: u32,
    pub(crate) stop_on_signals: bool,
    pub(crate) half_close: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            limits: HeadLimits::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeouts: BodyTimeouts::default(),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_chunk_metadata_bytes: DEFAULT_MAX_CHUNK_METADATA_BYTES,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: None,
            max_drain_bytes: DEFAULT_MAX_DRAIN_BYTES,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            listen_backlog: DEFAULT_LISTEN_BACKLOG,
            stop_on_signals: true,
            half_close: false,
        }
    }
}

impl Settings {
    /// Most bytes of a request head; more is answered with 431. Default:
    /// [`DEFAULT_MAX_HEAD_BYTES`] (16 KiB).
    pub fn max_head_bytes(mut self, bytes: usize) -> Settings {
        self.limits.max_head_bytes = bytes;
        self
    }

    /// Most header fields in a request; more is answered with 431. Default:
    /// [`DEFAULT_MAX_HEADERS`] (100).
    pub fn max_headers(mut self, count: usize) -> Settings {
        self.limits.max_headers = count;
        self
    }

    /// Most bytes of a request target; more is answered with 414. Default:
    /// [`DEFAULT_MAX_URI_BYTES`] (8 KiB).
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

    /// Longest wait for the next byte of a request body, whoever waits: the handler reading
    /// it, the server draining what the handler left, or a client that was sent
    /// `100 Continue`. Past it the read fails with [`BodyError::TimedOut`](crate::BodyError)
    /// (a 408 when the handler turns it into its response, as `?` does) and the connection
    /// closes. Default: [`DEFAULT_BODY_READ_TIMEOUT`] (60 s).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Settings {
        self.body_timeouts.idle = timeout;
        self
    }

    /// The minimum rate of a request body, in bytes per second, after a grace period: the
    /// time the server spends waiting for one body's bytes may total `grace` plus one second
    /// per `bytes_per_second` bytes received; past that the read fails like a
    /// [`body_read_timeout`](Settings::body_read_timeout). Only waits count (a handler that
    /// reads late is not charged for its own delay). `0` turns the rate off. Default:
    /// [`DEFAULT_BODY_MIN_RATE`] (500 B/s) after [`DEFAULT_BODY_RATE_GRACE`] (20 s), Apache
    /// `mod_reqtimeout`'s `body=20,minrate=500`.
    pub fn body_min_rate(mut self, bytes_per_second: u64, grace: Duration) -> Settings {
        self.body_timeouts.min_rate = bytes_per_second;
        self.body_timeouts.grace = grace;
        self
    }

    /// Longest time a client may accept no byte while the server has bytes for it (a
    /// response, a `100 Continue`); past it the connection is dropped and the responses it
    /// held are freed. Default: [`DEFAULT_WRITE_TIMEOUT`] (60 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Settings {
        self.write_timeout = timeout;
        self
    }

    /// Most bytes of chunk extensions and trailer fields, together, in one chunked request
    /// body; more fails the body as malformed (400) and closes the connection. Default:
    /// [`DEFAULT_MAX_CHUNK_METADATA_BYTES`] (16 KiB).
    pub fn max_chunk_metadata_bytes(mut self, bytes: usize) -> Settings {
        self.max_chunk_metadata_bytes = bytes;
        self
    }

    /// Time the server spends reading and discarding what a handler left unread of a
    /// request body (within [`max_drain_bytes`](Settings::max_drain_bytes)); past it the
    /// connection is closed. Default: [`DEFAULT_DRAIN_TIMEOUT`] (10 s).
    pub fn drain_timeout(mut self, timeout: Duration) -> Settings {
        self.drain_timeout = timeout;
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

    /// Most connections open at once. A full server makes room: it closes its longest-idle
    /// keep-alive connection, or else a connection that has waited at least
    /// [`PRESSURE_MIN_WAIT`](crate::server::PRESSURE_MIN_WAIT) (1 s) for more of its head or
    /// body (408), so one client holding many slow connections cannot lock others out; a
    /// connection whose handler runs or whose response is being written is never closed.
    /// While none can be closed it stops accepting, and new clients wait in the listener's
    /// backlog (up to
    /// [`listen_backlog`](Settings::listen_backlog) of them; the kernel drops the handshakes
    /// of more, and those clients retry after a second or more). Default: 10 000.
    pub fn max_connections(mut self, connections: usize) -> Settings {
        self.max_connections = connections.max(1);
        self
    }

    /// Most connections open at once from one client address (IPv4 or IPv6; Unix-socket
    /// clients have none and are not counted). A connection over its address's share is
    /// closed as soon as it is accepted, before it counts against
    /// [`max_connections`](Settings::max_connections) or could make room there by evicting
    /// another client's connection. Clients behind one proxy or NAT share an address: set it
    /// with that in mind. Default: no limit.
    pub fn max_connections_per_ip(mut self, connections: usize) -> Settings {
        self.max_connections_per_ip = Some(connections.max(1));
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

    /// Length of the listener's queue of connections completed by the kernel but not yet
    /// accepted; the kernel caps it at its own maximum (`/proc/sys/net/core/somaxconn` on
    /// Linux). Default: [`DEFAULT_LISTEN_BACKLOG`] (1024).
    pub fn listen_backlog(mut self, backlog: u32) -> Settings {
        self.listen_backlog = backlog;
        self
    }

    /// Whether [`App::listen`](crate::App::listen) and [`App::run`](crate::App::run) stop
    /// gracefully on SIGINT and SIGTERM (Unix): the listener closes, idle connections close,
    /// requests in flight get up to [`shutdown_timeout`](Settings::shutdown_timeout) to
    /// finish, and `run` returns `Ok`. A second signal ends the process at once. Turn it off
    /// to leave the signals to the rest of the program; a server set up by hand uses
    /// [`Listening::serve_with_shutdown`](crate::server::Listening::serve_with_shutdown)
    /// with [`shutdown_signal`](crate::server::shutdown_signal). Default: on.
    pub fn stop_on_signals(mut self, stop: bool) -> Settings {
        self.stop_on_signals = stop;
        self
    }

    /// Whether a client that closes its sending side (`shutdown(SHUT_WR)`, a half-close)
    /// still gets a streamed response that has to wait for its stream.
    ///
    /// While a streamed response ([`Body::from_stream`](crate::Body::from_stream),
    /// [`sse`](crate::sse)) waits for its stream, the server watches the connection: by
    /// default the end of the client's stream means the client went away, and the response
    /// ends at once (its stream is dropped, so its producer stops), as hyper does unless
    /// told otherwise. TCP cannot tell a client that closed from one that only half-closed
    /// and still reads; with `half_close(true)` the response goes on, and a client that is
    /// really gone is noticed only when a write to it fails. Responses in memory, and
    /// streamed ones whose stream does not wait, are written whole either way. A streamed
    /// response that is still reading the request body is not watched (the body's reads own
    /// the connection's read side: they fail when the client leaves); the watch starts once
    /// the body is read to its end. Default: off.
    pub fn half_close(mut self, keep: bool) -> Settings {
        self.half_close = keep;
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

    #[test]
    fn the_defaults_are_the_documented_constants() {
        let settings = Settings::default();
        assert_eq!(settings.limits.max_head_bytes, DEFAULT_MAX_HEAD_BYTES);
        assert_eq!(settings.limits.max_headers, DEFAULT_MAX_HEADERS);
        assert_eq!(settings.limits.max_uri_bytes, DEFAULT_MAX_URI_BYTES);
        assert_eq!(settings.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(settings.body_timeouts.idle, DEFAULT_BODY_READ_TIMEOUT);
        assert_eq!(settings.body_timeouts.min_rate, DEFAULT_BODY_MIN_RATE);
        assert_eq!(settings.body_timeouts.grace, DEFAULT_BODY_RATE_GRACE);
        assert_eq!(settings.write_timeout, DEFAULT_WRITE_TIMEOUT);
        assert_eq!(settings.header_read_timeout, DEFAULT_HEADER_READ_TIMEOUT);
        assert_eq!(settings.keep_alive_timeout, DEFAULT_KEEP_ALIVE_TIMEOUT);
        assert_eq!(settings.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(settings.max_drain_bytes, DEFAULT_MAX_DRAIN_BYTES);
        assert_eq!(settings.shutdown_timeout, DEFAULT_SHUTDOWN_TIMEOUT);
        assert_eq!(
            settings.max_chunk_metadata_bytes,
            DEFAULT_MAX_CHUNK_METADATA_BYTES
        );
        assert_eq!(settings.drain_timeout, DEFAULT_DRAIN_TIMEOUT);
        assert_eq!(settings.listen_backlog, DEFAULT_LISTEN_BACKLOG);
        assert!(settings.stop_on_signals);
        assert_eq!(settings.max_connections_per_ip, None);
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
            .shutdown_timeout(Duration::from_secs(9))
            .max_chunk_metadata_bytes(10)
            .drain_timeout(Duration::from_secs(11))
            .listen_backlog(12)
            .stop_on_signals(false)
            .body_read_timeout(Duration::from_secs(13))
            .body_min_rate(14, Duration::from_secs(15))
            .write_timeout(Duration::from_secs(16))
            .max_connections_per_ip(17);
        assert_eq!(settings.write_timeout, Duration::from_secs(16));
        assert_eq!(
            (
                settings.body_timeouts.idle,
                settings.body_timeouts.min_rate,
                settings.body_timeouts.grace
            ),
            (Duration::from_secs(13), 14, Duration::from_secs(15))
        );
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
        assert_eq!(settings.max_chunk_metadata_bytes, 10);
        assert_eq!(settings.drain_timeout, Duration::from_secs(11));
        assert_eq!(settings.listen_backlog, 12);
        assert!(!settings.stop_on_signals);
        assert_eq!(settings.max_connections_per_ip, Some(17));
    }

    #[test]
    fn a_server_always_takes_at_least_one_connection() {
        assert_eq!(Settings::default().max_connections(0).max_connections, 1);
    }
}
