//! `Server::bind_listener`: a server bound to a `Listener` of the app's (here, one end of Unix
//! socket pairs handed in through a channel, each with the client address the test gives
//! it) serves with every rule of a bound server: `max_connections`, making room under
//! pressure, `max_connections_per_ip`, graceful shutdown and `shutdown_timeout`; and a
//! listener's handshake runs in its connection's task.

mod support;

use std::io;
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc;
use support::{Client, Gate, JOIN_TIMEOUT, SLOW_BODY_BYTES, app, get};
use tide::server::{Accepted, ConnInfo, Listener, Server, Service, Settings, ShutdownHandle};

/// What the test hands the listener: the server's end of a socket pair, the client address
/// its requests report, and whether it must first receive a byte `!` (a stand-in for a
/// handshake: a client that never sends it never gets past it).
struct Handed {
    stream: romio::UnixStream,
    peer: SocketAddr,
    handshake: bool,
}

/// A listener over a channel of [`Handed`] connections.
struct Channel(mpsc::UnboundedReceiver<Handed>);

impl Listener for Channel {
    type Io = romio::UnixStream;

    async fn accept(&mut self) -> io::Result<Accepted<romio::UnixStream>> {
        let Some(handed) = self.0.next().await else {
            return std::future::pending().await;
        };
        let info = ConnInfo {
            peer_addr: Some(handed.peer),
            local_addr: None,
        };
        if !handed.handshake {
            return Ok(Accepted::new(handed.stream, info));
        }
        let mut stream = handed.stream;
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
        let (server_side, client_side) = UnixStream::pair().unwrap();
        server_side.set_nonblocking(true).unwrap();
        let handed = Handed {
            stream: romio::UnixStream::try_from(server_side).unwrap(),
            peer: peer.parse().unwrap(),
            handshake,
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
    client
        .get("/peer")
        .assert(200, "Some(198.51.100.7:4242)");
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
