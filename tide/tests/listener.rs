//! `Server::bind_listener`: a server bound to a `Listener` of the app's (here, one end of Unix
//! socket pairs handed in through a channel, each with the client address the test gives
//! it) serves with every rule of a bound server: `max_connections`, making room under
//! pressure, `max_connections_per_ip`, graceful shutdown and `shutdown_timeout`; and a
//! listener's handshake runs in its connection's task.

mod support;

use std::io;
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc;
use support::{Client, Gate, JOIN_TIMEOUT, SLOW_BODY_BYTES, app, get};
use tide::server::{Accepted, ConnInfo, Listener, Server, Service, Settings, ShutdownHandle};

/// What the test hands the listener: the server's end of a socket pair, the client address
/// its requests report, whether it must first receive a byte `!` (a stand-in for a
/// handshake: a client that never sends it never gets past it), and whether its writes are
/// held until flushed.
struct Handed {
    stream: romio::UnixStream,
    peer: SocketAddr,
    handshake: bool,
    buffering: bool,
}

/// A stream whose writes, when `buffering`, wait in memory until it is flushed (the worst a
/// TLS stream may do).
struct Buffering {
    inner: romio::UnixStream,
    buffering: bool,
    pending: Vec<u8>,
}

impl futures::AsyncRead for Buffering {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl futures::AsyncWrite for Buffering {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if !self.buffering {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        }
        self.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while !this.pending.is_empty() {
            let n = std::task::ready!(Pin::new(&mut this.inner).poll_write(cx, &this.pending))?;
            this.pending.drain(..n);
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// A listener over a channel of [`Handed`] connections.
struct Channel(mpsc::UnboundedReceiver<Handed>);

impl Listener for Channel {
    type Io = Buffering;

    async fn accept(&mut self) -> io::Result<Accepted<Buffering>> {
        let Some(handed) = self.0.next().await else {
            return std::future::pending().await;
        };
        let info = ConnInfo {
            peer_addr: Some(handed.peer),
            local_addr: None,
        };
        let stream = Buffering {
            inner: handed.stream,
            buffering: handed.buffering,
            pending: Vec::new(),
        };
        if !handed.handshake {
            return Ok(Accepted::new(stream, info));
        }
        let mut stream = stream;
        Ok(Accepted::with_handshake(
            async move {
                use futures::AsyncReadExt;
                let mut byte = [0u8; 1];
                stream.read_exact(&mut byte).await?;
                if byte != *b"!" {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "bad handshake"));
                }
                Ok(stream)
            },
            info,
        ))
    }
}

/// A server bound to a [`Channel`], serving on its own thread.
struct ChannelServer {
    hand: mpsc::UnboundedSender<Handed>,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ChannelServer {
    fn start(settings: Settings, service: impl Service) -> ChannelServer {
        let (hand, handed) = mpsc::unbounded();
        let listening = Server::new(service)
            .with_settings(settings)
            .bind_listener(Channel(handed));
        assert_eq!(listening.local_addr(), None);
        let shutdown = listening.shutdown_handle();
        let thread = std::thread::spawn(move || tide::runtime::block_on(listening.serve()));
        ChannelServer {
            hand,
            shutdown,
            thread: Some(thread),
        }
    }

    /// A new connection from `peer`, through the listener.
    fn connect_from(&self, peer: &str, handshake: bool) -> Client<UnixStream> {
        self.connect_with(peer, handshake, false)
    }

    fn connect_with(&self, peer: &str, handshake: bool, buffering: bool) -> Client<UnixStream> {
        let (server_side, client_side) = UnixStream::pair().unwrap();
        server_side.set_nonblocking(true).unwrap();
        let handed = Handed {
            stream: romio::UnixStream::try_from(server_side).unwrap(),
            peer: peer.parse().unwrap(),
            handshake,
            buffering,
        };
        self.hand.unbounded_send(handed).unwrap();
        client_side
            .set_read_timeout(Some(support::READ_TIMEOUT))
            .unwrap();
        Client::new(client_side)
    }

    fn connect(&self) -> Client<UnixStream> {
        self.connect_from("192.0.2.1:1000", false)
    }

    /// Starts the graceful shutdown and waits (up to [`JOIN_TIMEOUT`]) for `serve` to return.
    fn stop(mut self) -> io::Result<()> {
        self.shutdown.shutdown();
        let thread = self.thread.take().unwrap();
        let deadline = Instant::now() + JOIN_TIMEOUT;
        while !thread.is_finished() {
            assert!(Instant::now() < deadline, "serve did not return in time");
            std::thread::sleep(Duration::from_millis(5));
        }
        thread.join().unwrap()
    }
}

impl Drop for ChannelServer {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

#[test]
fn a_custom_listener_s_connections_are_served_with_keep_alive_and_pipelining() {
    let server = ChannelServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.get("/one").assert(200, "/one");
    client.send(format!("{}{}", get("/two"), get("/three")));
    client.response().assert(200, "/two");
    client.response().assert(200, "/three");
    // A second connection at the same time.
    let mut other = server.connect();
    other.get("/other").assert(200, "/other");
    client.get("/four").assert(200, "/four");
    server.stop().unwrap();
}

#[test]
fn requests_report_the_address_the_listener_gave() {
    let mut app = tide::new();
    app.at("/peer")
        .get(|request: tide::Request| async move { Ok(format!("{:?}", request.peer_addr())) });
    let settings = app.settings_mut().clone();
    let server = ChannelServer::start(settings, app.into_service());
    let mut client = server.connect_from("198.51.100.7:4242", false);
    client.get("/peer").assert(200, "Some(198.51.100.7:4242)");
}

#[test]
fn max_connections_holds_a_newcomer_until_an_idle_connection_is_closed_for_it() {
    let server = ChannelServer::start(Settings::default().max_connections(1), app);
    let mut first = server.connect();
    first.send(get("/sleep?800"));
    std::thread::sleep(Duration::from_millis(100));
    // A connection whose handler runs is never closed to make room: no answer yet.
    let mut second = server.connect();
    second.send(get("/second"));
    second.assert_silent(Duration::from_millis(300));
    first.response().assert(200, "slept");
    // Now idle, the first connection is closed to make room.
    second.response().assert(200, "/second");
    first.assert_closed();
}

#[test]
fn max_connections_per_ip_closes_an_extra_connection_from_one_address() {
    let settings = Settings::default().max_connections_per_ip(1);
    let server = ChannelServer::start(settings, app);
    let mut first = server.connect_from("203.0.113.1:1", false);
    first.get("/first").assert(200, "/first");
    // The same address again: closed at once.
    let second = server.connect_from("203.0.113.1:2", false);
    second.assert_closed();
    // Another address is served.
    let mut third = server.connect_from("203.0.113.2:1", false);
    third.get("/third").assert(200, "/third");
    first.get("/again").assert(200, "/again");
}

#[test]
fn shutdown_lets_the_request_in_flight_finish_and_closes_idle_connections() {
    let gate = Arc::new(Gate::default());
    let server = ChannelServer::start(Settings::default(), gate.service());
    let mut busy = server.connect();
    let mut idle = server.connect();
    idle.get("/idle").assert(200, "/idle");
    busy.send(get("/slow"));
    gate.wait_started();
    let shutdown = server.shutdown.clone();
    shutdown.shutdown();
    // The idle connection closes at once; the busy one finishes.
    idle.assert_closed();
    gate.release();
    let response = busy.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), SLOW_BODY_BYTES);
    assert!(response.says_close(), "{response:?}");
    busy.assert_closed();
    server.stop().unwrap();
}

#[test]
fn shutdown_timeout_cuts_off_a_connection_that_outlives_it() {
    let gate = Arc::new(Gate::default());
    let settings = Settings::default().shutdown_timeout(Duration::from_millis(300));
    let server = ChannelServer::start(settings, gate.service());
    let mut busy = server.connect();
    busy.send(get("/slow"));
    gate.wait_started();
    // Never released: `serve` returns after the shutdown timeout, the connection aborted.
    server.stop().unwrap();
    busy.assert_closed();
}

#[test]
fn a_handshake_runs_in_the_connection_s_task_and_delays_no_one() {
    let server = ChannelServer::start(Settings::default(), app);
    // Accepted, but never sends its handshake byte.
    let mut stuck = server.connect_from("192.0.2.1:1", true);
    // A wrong handshake: the connection is dropped.
    let mut wrong = server.connect_from("192.0.2.2:1", true);
    wrong.send("?");
    wrong.assert_closed();
    // Clients behind them are served, one with a handshake, one without.
    let mut good = server.connect_from("192.0.2.3:1", true);
    good.send(format!("!{}", get("/after-handshake")));
    good.response().assert(200, "/after-handshake");
    server.connect().get("/plain").assert(200, "/plain");
    // Shutdown drops a connection still in its handshake.
    stuck.assert_silent(Duration::from_millis(100));
    server.stop().unwrap();
    stuck.assert_closed();
}

#[test]
fn a_connection_stuck_in_its_handshake_is_closed_to_make_room() {
    let server = ChannelServer::start(Settings::default().max_connections(1), app);
    let stuck = server.connect_from("192.0.2.1:1", true);
    // After `PRESSURE_MIN_WAIT` in its handshake, it is the one closed for the newcomer.
    let mut newcomer = server.connect();
    newcomer.get("/newcomer").assert(200, "/newcomer");
    stuck.assert_closed();
}

#[test]
fn a_stream_that_buffers_writes_is_flushed_after_each_batch() {
    let server = ChannelServer::start(Settings::default(), app);
    let mut client = server.connect_with("192.0.2.1:1", false, true);
    client.get("/one").assert(200, "/one");
    client.send(format!("{}{}", get("/two"), get("/stream?5")));
    client.response().assert(200, "/two");
    client.response().assert(200, &support::streamed_body(5));
    let response = client.request("GET /last HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    response.assert(200, "/last");
    client.assert_closed();
}

#[test]
fn a_stream_that_buffers_writes_is_flushed_while_a_streamed_response_waits() {
    // The second chunk comes only once the client has read the first.
    let read_first = Arc::new(AtomicBool::new(false));
    let flag = read_first.clone();
    let service = move |_: http::Request<tide::Body>| {
        let flag = flag.clone();
        async move {
            let first =
                futures::stream::once(async { Ok::<_, io::Error>(bytes::Bytes::from("first")) });
            let second = futures::stream::once(async move {
                while !flag.load(Ordering::SeqCst) {
                    romio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok(bytes::Bytes::from("second"))
            });
            http::Response::new(tide::Body::from_stream(first.chain(second)))
        }
    };
    let server = ChannelServer::start(Settings::default(), service);
    let mut client = server.connect_with("192.0.2.1:1", false, true);
    client.send(get("/"));
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(b"5\r\nfirst\r\n") {
        let n = std::io::Read::read(client.stream(), &mut buf).unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    read_first.store(true, Ordering::SeqCst);
    let mut rest = Vec::new();
    while !rest.ends_with(b"0\r\n\r\n") {
        let n = std::io::Read::read(client.stream(), &mut buf).unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&rest));
        rest.extend_from_slice(&buf[..n]);
    }
    assert_eq!(rest, b"6\r\nsecond\r\n0\r\n\r\n");
}

/// A listener whose `accept` fails (counting its calls) until `good` holds a connection.
struct Failing {
    calls: Arc<std::sync::atomic::AtomicUsize>,
    good: Arc<std::sync::Mutex<Option<romio::UnixStream>>>,
}

impl Listener for Failing {
    type Io = romio::UnixStream;

    async fn accept(&mut self) -> io::Result<Accepted<romio::UnixStream>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.good.lock().unwrap().take() {
            Some(stream) => Ok(Accepted::new(stream, ConnInfo::default())),
            None => Err(io::Error::other("this listener fails")),
        }
    }
}

#[test]
fn a_listener_that_keeps_failing_is_retried_with_a_pause_not_in_a_spin() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let good = Arc::new(std::sync::Mutex::new(None));
    let listening = Server::new(app).bind_listener(Failing {
        calls: calls.clone(),
        good: good.clone(),
    });
    let shutdown = listening.shutdown_handle();
    let thread = std::thread::spawn(move || tide::runtime::block_on(listening.serve()));
    std::thread::sleep(Duration::from_millis(300));
    // Retried after 5, 10, 20 ... ms: a handful of calls, not a busy loop's millions.
    let failed = calls.load(Ordering::SeqCst);
    assert!((1..100).contains(&failed), "{failed} accepts in 300 ms");
    // Once it yields a connection again, that connection is served.
    let (server_side, client_side) = UnixStream::pair().unwrap();
    server_side.set_nonblocking(true).unwrap();
    *good.lock().unwrap() = Some(romio::UnixStream::try_from(server_side).unwrap());
    client_side
        .set_read_timeout(Some(support::READ_TIMEOUT))
        .unwrap();
    Client::new(client_side).get("/ok").assert(200, "/ok");
    shutdown.shutdown();
    let deadline = Instant::now() + JOIN_TIMEOUT;
    while !thread.is_finished() {
        assert!(Instant::now() < deadline, "serve did not return in time");
        std::thread::sleep(Duration::from_millis(5));
    }
    thread.join().unwrap().unwrap();
}
