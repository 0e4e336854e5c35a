//! Where a server accepts connections: the TCP (IPv4 or IPv6) and Unix sockets tide binds
//! itself ([`Bound`], the lock-free path), or any [`Listener`] an app brings (a TLS listener,
//! an in-memory source, a socket handed over by a supervisor).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::serve_io::LockedIo;
use super::service::ConnInfo;
use super::transport::Transport;

/// A source of connections a server can be bound to
/// ([`Server::bind_listener`](super::Server::bind_listener)).
///
/// The server's accept loop awaits [`accept`](Listener::accept) and applies every rule of a
/// bound server to what it returns: [`max_connections`](super::Settings::max_connections),
/// [`max_connections_per_ip`](super::Settings::max_connections_per_ip) (by
/// [`ConnInfo::peer_addr`]), making room under pressure, graceful shutdown within
/// [`shutdown_timeout`](super::Settings::shutdown_timeout). Each connection is then served in
/// a task of its own.
///
/// `accept` should only take the next connection: work that talks to the client (a TLS
/// handshake) belongs in the connection's task, where a slow or hostile client delays no
/// one else; hand it over with [`Accepted::with_handshake`]. After an error from `accept`
/// (logged as a warning) the server pauses before it calls `accept` again, 5 ms at first,
/// doubling up to 1 s while the errors go on; a listener that has nothing more to give
/// should wait (never complete) rather than fail.
///
/// The streams are served through [`LockedIo`]; the TCP and Unix listeners that
/// [`Server::bind`](super::Server::bind) and [`Server::bind_unix`](super::Server::bind_unix)
/// open are served without it, and remain the fastest way to serve plain HTTP.
///
/// # Examples
///
/// Connections handed in through a channel (here, one end of a Unix socket pair):
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
/// use futures::channel::mpsc;
/// use tide::server::{Accepted, ConnInfo, Listener, Server};
///
/// struct Handed(mpsc::UnboundedReceiver<romio::UnixStream>);
///
/// impl Listener for Handed {
///     type Io = romio::UnixStream;
///
///     async fn accept(&mut self) -> std::io::Result<Accepted<romio::UnixStream>> {
///         match self.0.next().await {
///             Some(stream) => Ok(Accepted::new(stream, ConnInfo::default())),
///             // No more connections: wait for the shutdown.
///             None => std::future::pending().await,
///         }
///     }
/// }
///
/// # tide::runtime::block_on(async {
/// let mut app = tide::new();
/// app.at("/").get(|_| async { Ok("Hello, world!") });
/// let (hand, handed) = mpsc::unbounded();
/// let server = app.bind_listener(Handed(handed));
/// let stop = server.shutdown_handle();
/// let serving = juliex::spawn(server.serve());
///
/// let (server_side, mut client) = romio::UnixStream::pair()?;
/// hand.unbounded_send(server_side).unwrap();
/// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await?;
/// let mut response = String::new();
/// client.read_to_string(&mut response).await?;
/// assert!(response.ends_with("Hello, world!"));
/// stop.shutdown();
/// serving.await.unwrap()?;
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub trait Listener: Send + 'static {
    /// The connections it accepts.
    type Io: AsyncRead + AsyncWrite + Send + Unpin + 'static;

    /// Waits for the next connection. It is dropped unfinished when the server shuts down.
    fn accept(&mut self) -> impl Future<Output = io::Result<Accepted<Self::Io>>> + Send;

    /// The address it listens on, if it has one ([`Listening::local_addr`](super::Listening::local_addr)).
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }
}

/// A connection a [`Listener`] accepted: the stream, or the handshake that makes it, and
/// what requests on it report as their addresses.
pub struct Accepted<IO> {
    conn: Conn<IO>,
    info: ConnInfo,
}

/// The handshake of an [`Accepted`] connection, boxed: its type is the listener's.
type Handshake<IO> = Pin<Box<dyn Future<Output = io::Result<IO>> + Send>>;

enum Conn<IO> {
    Ready(IO),
    Handshake(Handshake<IO>),
}

impl<IO: Send + 'static> Accepted<IO> {
    /// A connection ready to serve.
    pub fn new(io: IO, info: ConnInfo) -> Accepted<IO> {
        Accepted {
            conn: Conn::Ready(io),
            info,
        }
    }

    /// A connection that `handshake` establishes: it runs in the connection's own task,
    /// never in the accept loop. The connection holds its place under the cap while it runs,
    /// may be closed to make room once it has lasted [`PRESSURE_MIN_WAIT`](super::PRESSURE_MIN_WAIT)
    /// (it waits on its client), and is dropped at shutdown. A handshake that fails ends the
    /// connection; the error is logged at debug level. Bound its time inside `handshake` (the
    /// TLS listener does).
    pub fn with_handshake(
        handshake: impl Future<Output = io::Result<IO>> + Send + 'static,
        info: ConnInfo,
    ) -> Accepted<IO> {
        Accepted {
            conn: Conn::Handshake(Box::pin(handshake)),
            info,
        }
    }

    /// The connection once `then` has run on the established stream (after this one's own
    /// handshake, if any), in the connection's task: how a listener wraps another's
    /// connections (TLS over any listener).
    pub fn and_then<T, F, Fut>(self, then: F) -> Accepted<T>
    where
        T: Send + 'static,
        F: FnOnce(IO) -> Fut + Send + 'static,
        Fut: Future<Output = io::Result<T>> + Send + 'static,
    {
        let Accepted { conn, info } = self;
        let handshake = async move {
            let io = match conn {
                Conn::Ready(io) => io,
                Conn::Handshake(handshake) => handshake.await?,
            };
            then(io).await
        };
        Accepted::with_handshake(handshake, info)
    }

    /// What requests on this connection report as their addresses.
    pub fn info(&self) -> &ConnInfo {
        &self.info
    }

    /// Replaces the addresses requests on this connection report.
    pub fn set_info(&mut self, info: ConnInfo) {
        self.info = info;
    }
}

impl<IO> std::fmt::Debug for Accepted<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepted")
            .field("info", &self.info)
            .field("handshake", &matches!(self.conn, Conn::Handshake(_)))
            .finish_non_exhaustive()
    }
}

/// TCP connections get `TCP_NODELAY`, as on a server [`bind`](super::Server::bind) opens, and
/// report both addresses.
impl Listener for romio::TcpListener {
    type Io = romio::TcpStream;

    async fn accept(&mut self) -> io::Result<Accepted<romio::TcpStream>> {
        let (stream, peer) = romio::TcpListener::accept(self).await?;
        let info = tcp_info(&stream, peer);
        Ok(Accepted::new(stream, info))
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        romio::TcpListener::local_addr(self).ok()
    }
}

/// Unix connections report no address.
#[cfg(unix)]
impl Listener for romio::UnixListener {
    type Io = romio::UnixStream;

    async fn accept(&mut self) -> io::Result<Accepted<romio::UnixStream>> {
        let (stream, _) = romio::UnixListener::accept(self).await?;
        Ok(Accepted::new(stream, ConnInfo::default()))
    }
}

/// What a server accepts from: a socket tide bound, or a listener of the app's.
pub(crate) enum Bound {
    Tcp(romio::TcpListener),
    #[cfg(unix)]
    Unix(romio::UnixListener),
    Custom(Custom),
}

/// A freshly accepted connection, as the accept loop hands it to the connection's task.
pub(crate) struct Incoming {
    pub(crate) transport: Establish,
    pub(crate) info: ConnInfo,
}

/// The transport of an [`Incoming`] connection.
pub(crate) enum Establish {
    /// A socket tide bound: served lock-free, never flushed.
    Socket(Arc<dyn Transport>),
    /// A listener's stream (wrapped in [`LockedIo`]), once its handshake has run.
    Stream(Establishing),
}

/// What makes a listener's connection ready: its handshake, run in the connection's task.
pub(crate) type Establishing = Pin<Box<dyn Future<Output = io::Result<Arc<dyn Transport>>> + Send>>;

impl Bound {
    /// Whether this is an app's listener (not a socket tide bound).
    pub(crate) fn is_custom(&self) -> bool {
        matches!(self, Bound::Custom(_))
    }

    /// Polls for the next connection.
    pub(crate) fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Incoming>> {
        match self {
            Bound::Tcp(listener) => listener.poll_accept(cx).map(|accepted| {
                let (stream, peer) = accepted?;
                let info = tcp_info(&stream, peer);
                Ok(Incoming {
                    transport: Establish::Socket(Arc::new(stream)),
                    info,
                })
            }),
            #[cfg(unix)]
            Bound::Unix(listener) => listener.poll_accept(cx).map(|accepted| {
                let (stream, _) = accepted?;
                Ok(Incoming {
                    transport: Establish::Socket(Arc::new(stream)),
                    info: ConnInfo::default(),
                })
            }),
            Bound::Custom(custom) => custom.poll_accept(cx),
        }
    }
}

/// Sets up a TCP connection as tide serves it (`TCP_NODELAY`: responses are written whole,
/// so waiting to coalesce them only adds latency) and tells its addresses.
fn tcp_info(stream: &romio::TcpStream, peer: SocketAddr) -> ConnInfo {
    // Best effort: a socket that refuses the option still works.
    let _ = stream.set_nodelay(true);
    ConnInfo {
        peer_addr: Some(peer),
        local_addr: stream.local_addr().ok(),
    }
}

/// A listener of the app's, behind one type; its `accept` future owns it while it runs, so
/// that the accept loop can hold it across polls (and drop both at shutdown).
pub(crate) struct Custom {
    state: CustomState,
}

type AcceptFuture =
    Pin<Box<dyn Future<Output = (Box<dyn ErasedListener>, io::Result<Incoming>)> + Send>>;

enum CustomState {
    Idle(Box<dyn ErasedListener>),
    Accepting(AcceptFuture),
    /// Only while a state is being replaced.
    Empty,
}

/// [`Listener`] with its types erased.
trait ErasedListener: Send {
    fn accept(self: Box<Self>) -> AcceptFuture;
}

impl<L: Listener> ErasedListener for L {
    fn accept(self: Box<Self>) -> AcceptFuture {
        Box::pin(async move {
            let mut listener = self;
            let accepted = Listener::accept(&mut *listener).await;
            let incoming = accepted.map(|Accepted { conn, info }| {
                let transport = Establish::Stream(Box::pin(async move {
                    let io = match conn {
                        Conn::Ready(io) => io,
                        Conn::Handshake(handshake) => handshake.await?,
                    };
                    Ok(Arc::new(LockedIo::new(io)) as Arc<dyn Transport>)
                }));
                Incoming { transport, info }
            });
            (listener as Box<dyn ErasedListener>, incoming)
        })
    }
}

impl Custom {
    pub(crate) fn new(listener: impl Listener) -> Custom {
        Custom {
            state: CustomState::Idle(Box::new(listener)),
        }
    }

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Incoming>> {
        loop {
            match std::mem::replace(&mut self.state, CustomState::Empty) {
                CustomState::Idle(listener) => {
                    self.state = CustomState::Accepting(listener.accept());
                }
                CustomState::Accepting(mut accepting) => match accepting.as_mut().poll(cx) {
                    Poll::Ready((listener, incoming)) => {
                        self.state = CustomState::Idle(listener);
                        return Poll::Ready(incoming);
                    }
                    Poll::Pending => {
                        self.state = CustomState::Accepting(accepting);
                        return Poll::Pending;
                    }
                },
                CustomState::Empty => unreachable!("a listener's state is always restored"),
            }
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
