//! The HTTP/1.1 server: bind, serve connections, shut down gracefully.
//!
//! [`Server`] takes a [`Service`] (one async function per request) and [`Settings`]; binding
//! it gives a [`Listening`] server whose real address is known (bind to port 0 in tests) and
//! whose [`ShutdownHandle`] stops it: the listener closes at once, idle keep-alive connections
//! close at once, in-flight requests get up to [`Settings::shutdown_timeout`] to finish, and
//! then `serve` returns.
//!
//! Where connections come from: [`Server::bind`] (TCP) and [`Server::bind_unix`] open a
//! socket; [`Server::bind_listener`] takes any [`Listener`] of the app's (and, with the
//! `tls` feature, `Server::bind_tls` serves HTTPS), with the same caps and shutdown. One
//! connection can also be served by hand, outside any server: [`serve_connection`].
//!
//! # Examples
//!
//! ```
//! use http::{Request, Response};
//! use tide::Body;
//! use tide::server::Server;
//!
//! async fn hello(_: Request<Body>) -> Response<Body> {
//!     Response::new(Body::from("Hello, World!"))
//! }
//!
//! tide::runtime::block_on(async {
//!     let server = Server::new(hello).bind("127.0.0.1:0").await?;
//!     println!("listening on {}", server.local_addr().unwrap());
//!     let stop = server.shutdown_handle();
//!     stop.shutdown(); // a real server would keep serving
//!     server.serve().await
//! })
//! .unwrap();
//! ```

mod conn;
mod connections;
mod listener;
mod pressure;
pub(crate) mod reader;
mod serve_io;
mod service;
pub(crate) mod shutdown;
#[cfg(unix)]
mod signal;
mod transport;

pub use crate::settings::{
    DEFAULT_BODY_MIN_RATE, DEFAULT_BODY_RATE_GRACE, DEFAULT_BODY_READ_TIMEOUT,
    DEFAULT_DRAIN_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT,
    DEFAULT_LISTEN_BACKLOG, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CHUNK_METADATA_BYTES,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_DRAIN_BYTES, DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS,
    DEFAULT_MAX_URI_BYTES, DEFAULT_SHUTDOWN_TIMEOUT, DEFAULT_WRITE_TIMEOUT, Settings,
};
pub use listener::{Accepted, Listener};
pub use pressure::PRESSURE_MIN_WAIT;
pub use serve_io::{
    LockedIo, serve_connection, serve_connection_with_shutdown, serve_transport,
    serve_transport_with_shutdown,
};
pub use service::{ConnInfo, Service};
#[cfg(unix)]
pub use signal::{ShutdownSignal, shutdown_signal};
pub use transport::Transport;

use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use connections::{Connections, SlotGuard};
use listener::{Bound, Custom, Establish, Establishing, Incoming, is_resource_exhaustion};
use pressure::ConnState;
use shutdown::Shutdown;

/// First pause after an `accept` that failed for lack of a resource (descriptors, memory).
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
/// How often a full server that found no connection to close looks again.
const FULL_RETRY: Duration = Duration::from_millis(250);
/// Longest pause between failing `accept`s.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// An HTTP/1.1 server for a [`Service`], not yet bound.
pub struct Server {
    service: Arc<dyn ServeConnection>,
    settings: Settings,
}

/// Spawns the task serving one connection: the connection loop monomorphized for one
/// service, so that the service's future lives inline in the connection's future.
trait ServeConnection: Send + Sync + 'static {
    fn spawn(
        self: Arc<Self>,
        accepted: Incoming,
        settings: Arc<Settings>,
        shutdown: Shutdown,
        slot: SlotGuard,
    ) -> juliex::JoinHandle<()>;
}

impl<S: Service> ServeConnection for S {
    fn spawn(
        self: Arc<Self>,
        accepted: Incoming,
        settings: Arc<Settings>,
        shutdown: Shutdown,
        slot: SlotGuard,
    ) -> juliex::JoinHandle<()> {
        // Named for the client, so that juliex's watchdog and task dump say whose connection
        // a slow poll belongs to.
        let name = match accepted.info.peer_addr {
            Some(peer) => format!("tide connection from {peer}"),
            None => "tide connection".to_owned(),
        };
        juliex::TaskBuilder::new().name(name).spawn(async move {
            let _slot = slot;
            let (transport, flushes) = match accepted.transport {
                Establish::Socket(socket) => (socket, false),
                Establish::Stream(handshake) => {
                    let peer = accepted.info.peer_addr;
                    match establish(handshake, &shutdown, &_slot.state, peer).await {
                        Some(stream) => (stream, true),
                        None => return,
                    }
                }
            };
            // A connection's I/O error (a reset, a broken pipe) ends that connection only.
            let _ = conn::serve_connection(
                transport,
                &*self,
                accepted.info,
                &settings,
                &shutdown,
                _slot.state.clone(),
                flushes,
            )
            .await;
        })
    }
}

/// Runs a listener's handshake in the connection's task, as a wait on the client: the
/// accept loop may close it to make room (see [`pressure`]), and shutdown drops it. `None`
/// if it failed (logged at debug level) or was cut off.
async fn establish(
    handshake: Establishing,
    shutdown: &Shutdown,
    state: &ConnState,
    peer: Option<SocketAddr>,
) -> Option<Arc<dyn Transport>> {
    let mut handshake = handshake;
    let mut stopping = shutdown.wait();
    state.begin_wait(false, std::time::Instant::now());
    let established = poll_fn(|cx| {
        if let Poll::Ready(result) = handshake.as_mut().poll(cx) {
            return Poll::Ready(Some(result));
        }
        if stopping.poll_triggered(cx).is_ready() || state.poll_evicted(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await;
    state.end_wait();
    match established {
        Some(Ok(transport)) => Some(transport),
        Some(Err(error)) => {
            match peer {
                Some(peer) => log::debug!("connection from {peer} not established: {error}"),
                None => log::debug!("connection not established: {error}"),
            }
            None
        }
        None => None,
    }
}

impl Server {
    /// A server for `service`, with the default [`Settings`].
    pub fn new(service: impl Service) -> Server {
        Server {
            service: Arc::new(service),
            settings: Settings::default(),
        }
    }

    /// A server for a service that is already shared.
    pub fn from_arc<S: Service>(service: Arc<S>) -> Server {
        Server {
            service,
            settings: Settings::default(),
        }
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: Settings) -> Server {
        self.settings = settings;
        self
    }

    /// Binds a TCP listener (IPv4 or IPv6) to the first address of `addrs` that works.
    pub async fn bind(self, addrs: impl ToSocketAddrs) -> io::Result<Listening> {
        let listener =
            romio::TcpListener::bind_with_backlog(addrs, self.settings.listen_backlog).await?;
        let local_addr = Some(listener.local_addr()?);
        Ok(self.listening(Bound::Tcp(listener), local_addr))
    }

    /// Binds a Unix-domain socket at `path`.
    #[cfg(unix)]
    pub async fn bind_unix(self, path: impl AsRef<std::path::Path>) -> io::Result<Listening> {
        let listener = romio::UnixListener::bind_with_backlog(path, self.settings.listen_backlog)?;
        Ok(self.listening(Bound::Unix(listener), None))
    }

    /// Binds the server to a [`Listener`] of the app's: its connections are served with
    /// every rule of the sockets tide binds (the connection caps, making room under
    /// pressure, graceful shutdown). See [`Listener`] for an example.
    pub fn bind_listener(self, listener: impl Listener) -> Listening {
        let local_addr = listener.local_addr();
        self.listening(Bound::Custom(Custom::new(listener)), local_addr)
    }

    /// Binds a TCP listener to the first address of `addrs` that works, and serves HTTPS
    /// on it with `config` (feature `tls`; see [`crate::tls`]).
    #[cfg(feature = "tls")]
    pub async fn bind_tls(
        self,
        addrs: impl ToSocketAddrs,
        config: crate::tls::TlsConfig,
    ) -> io::Result<Listening> {
        let listener =
            romio::TcpListener::bind_with_backlog(addrs, self.settings.listen_backlog).await?;
        Ok(self.bind_listener(crate::tls::TlsListener::new(listener, config)))
    }

    fn listening(self, listener: Bound, local_addr: Option<SocketAddr>) -> Listening {
        Listening {
            listener,
            local_addr,
            service: self.service,
            settings: Arc::new(self.settings),
            shutdown: Shutdown::new(),
        }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A bound server; [`serve`](Listening::serve) runs it.
pub struct Listening {
    listener: Bound,
    local_addr: Option<SocketAddr>,
    service: Arc<dyn ServeConnection>,
    settings: Arc<Settings>,
    shutdown: Shutdown,
}

/// Stops a server gracefully; see the [module docs](self).
#[derive(Clone)]
pub struct ShutdownHandle {
    shutdown: Shutdown,
}

impl ShutdownHandle {
    /// Starts the graceful shutdown; `serve` returns once it is over.
    pub fn shutdown(&self) {
        self.shutdown.trigger();
    }
}

impl std::fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("triggered", &self.shutdown.is_triggered())
            .finish()
    }
}

/// What the accept loop woke up for.
enum Event {
    Accepted(io::Result<Incoming>),
    Shutdown,
}

impl Listening {
    /// The address the server listens on (with the real port when bound to port 0);
    /// `None` for a Unix socket.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// A handle that shuts the server down gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shutdown: self.shutdown.clone(),
        }
    }

    /// Like [`serve`](Listening::serve), and shuts down gracefully once `signal` completes:
    /// typically [`shutdown_signal`] (SIGINT or SIGTERM), or any future of the caller's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # tide::runtime::block_on(async {
    /// let mut app = tide::new();
    /// app.at("/").get(|_| async { Ok("Hello, world!") });
    /// let server = app.bind("127.0.0.1:0").await?;
    /// // Stops after 10 ms; a real server would wait for `tide::server::shutdown_signal()?`.
    /// server
    ///     .serve_with_shutdown(romio::time::sleep(Duration::from_millis(10)))
    ///     .await
    /// # }).unwrap();
    /// ```
    pub async fn serve_with_shutdown(self, signal: impl Future<Output = ()>) -> io::Result<()> {
        let stop = self.shutdown_handle();
        let mut serving = std::pin::pin!(self.serve());
        let mut signal = std::pin::pin!(signal);
        let mut signalled = false;
        poll_fn(|cx| {
            if !signalled && signal.as_mut().poll(cx).is_ready() {
                signalled = true;
                stop.shutdown();
            }
            serving.as_mut().poll(cx)
        })
        .await
    }

    /// Accepts and serves connections until shut down, then waits for in-flight requests
    /// (up to the shutdown timeout) and returns. Connections are spawned with
    /// `juliex::spawn`, on the pool this runs in.
    pub async fn serve(self) -> io::Result<()> {
        let Listening {
            mut listener,
            service,
            settings,
            shutdown,
            ..
        } = self;
        let connections = Arc::new(Connections::default());
        let mut stopping = shutdown.wait();
        let mut backoff = ACCEPT_BACKOFF_MIN;
        loop {
            let event = poll_fn(|cx| {
                if stopping.poll_triggered(cx).is_ready() {
                    return Poll::Ready(Event::Shutdown);
                }
                listener.poll_accept(cx).map(Event::Accepted)
            })
            .await;
            match event {
                Event::Shutdown => break,
                Event::Accepted(Ok(accepted)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    let peer = accepted.info.peer_addr.map(|addr| addr.ip());
                    if let (Some(ip), Some(limit)) = (peer, settings.max_connections_per_ip)
                        && connections.open_from(ip) >= limit
                    {
                        // Over its address's share: closed at once, before it can make
                        // room at the cap by evicting anyone else.
                        log::debug!("closing a connection from {ip}: {limit} already open");
                        continue;
                    }
                    // A newcomer at the cap: make room rather than lock it out (see
                    // `pressure`); the slot frees once the chosen connection has closed.
                    while !connections.has_room(settings.max_connections)
                        && !shutdown.is_triggered()
                    {
                        let asked = connections.make_room();
                        let wait = if asked { FULL_RETRY * 4 } else { FULL_RETRY };
                        let room =
                            poll_fn(|cx| connections.poll_room(cx, settings.max_connections));
                        let _ = romio::time::timeout(wait, room).await;
                    }
                    spawn_connection(accepted, &service, &settings, &shutdown, &connections);
                }
                // An app's listener may fail for reasons of its own, perhaps every time:
                // paused for too, never retried in a spin.
                Event::Accepted(Err(error))
                    if is_resource_exhaustion(&error) || listener.is_custom() =>
                {
                    log::warn!("accept failed ({error}); retrying in {backoff:?}");
                    let _ = romio::time::timeout(backoff, shutdown.wait()).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                }
                // A connection that died before it was accepted (reset, aborted): next.
                Event::Accepted(Err(_)) => {}
            }
        }

        // Stop accepting: new clients are refused from now on.
        drop(listener);
        let drained = poll_fn(|cx| connections.poll_drained(cx));
        if romio::time::timeout(settings.shutdown_timeout, drained)
            .await
            .is_err()
        {
            connections.abort_all();
        }
        Ok(())
    }
}

fn spawn_connection(
    accepted: Incoming,
    service: &Arc<dyn ServeConnection>,
    settings: &Arc<Settings>,
    shutdown: &Shutdown,
    connections: &Arc<Connections>,
) {
    let peer = accepted.info.peer_addr.map(|addr| addr.ip());
    // Only this accept loop reserves, and it checked the address's share just before.
    let Some((slot, state)) = connections.reserve(peer, settings.max_connections_per_ip) else {
        return;
    };
    let guard = SlotGuard {
        connections: connections.clone(),
        slot,
        state,
    };
    let task = service
        .clone()
        .spawn(accepted, settings.clone(), shutdown.clone(), guard);
    connections.attach(slot, task);
}

impl std::fmt::Debug for Listening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listening")
            .field("local_addr", &self.local_addr)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
