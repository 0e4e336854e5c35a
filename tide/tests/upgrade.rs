//! Upgrades (`tide::upgrade`): a handler answers `101 Switching Protocols` and takes the
//! connection over, over real sockets: the bytes sent right after the head, an echo, the
//! connection cap, shutdown, keep-alive requests before the switch, and the cases that do not
//! switch.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown as Direction, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::{AsyncReadExt, AsyncWriteExt};
use support::{READ_TIMEOUT, TestServer, serve_app};
use tide::server::Settings;
use tide::upgrade::Upgraded;
use tide::{Request, Response, StatusCode};

/// Echoes every byte back until the client stops sending.
async fn echo(mut io: Upgraded) {
    let mut buf = [0u8; 1024];
    loop {
        match io.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if io.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// An app with `GET /plain` and `GET /echo` (switches to the made-up protocol `echo`).
fn echo_app(settings: Settings) -> tide::App<()> {
    let mut app = tide::new();
    *app.settings_mut() = settings;
    app.at("/plain").get(|_| async { Ok("plain") });
    app.at("/echo").get(|request: Request| async move {
        if tide::upgrade::requested(&request) != Some("echo") {
            return Ok(Response::new(StatusCode::BAD_REQUEST));
        }
        Ok(Response::upgrade("echo", echo))
    });
    app
}

fn upgrade_request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n")
}

/// A raw client that keeps what it read past a response head.
struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    fn connect(server: &TestServer) -> Raw {
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).unwrap();
    }

    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 4096];
        let n = self
            .stream
            .read(&mut chunk)
            .expect("reading from the server");
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// Reads one response head (and, for a `Content-Length`, its body); returns the head
    /// and the body as text.
    fn response(&mut self) -> (String, String) {
        let end = loop {
            if let Some(at) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            assert!(
                self.fill() > 0,
                "closed before a head: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        };
        let head = String::from_utf8(self.buf.drain(..end).collect()).unwrap();
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().unwrap())
            })
            .unwrap_or(0);
        let body = self.exactly(length);
        (head, String::from_utf8(body).unwrap())
    }

    /// Reads exactly `n` more bytes.
    fn exactly(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill() > 0, "closed after {:?}", self.buf);
        }
        self.buf.drain(..n).collect()
    }

    /// Asserts the server closes the connection with nothing more to say.
    fn assert_closed(mut self) {
        assert!(self.buf.is_empty(), "left: {:?}", self.buf);
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => {}
            Err(error) if support::is_reset(&error) => {}
            other => panic!("expected the end of the stream, got {other:?}"),
        }
    }
}

fn assert_switched(head: &str) {
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("\r\nconnection: upgrade\r\n"), "{head}");
    assert!(lower.contains("\r\nupgrade: echo\r\n"), "{head}");
    assert!(!lower.contains("content-length"), "{head}");
    assert!(!lower.contains("transfer-encoding"), "{head}");
}

#[test]
fn bytes_sent_in_the_same_write_as_the_head_reach_the_continuation() {
    let server = serve_app(echo_app(Settings::default()));
    let mut client = Raw::connect(&server);
    // One write: the head and the first bytes of the new protocol.
    client.send(format!("{}hello, upgraded", upgrade_request("/echo")));
    let (head, body) = client.response();
    assert_switched(&head);
    assert_eq!(body, "");
    assert_eq!(client.exactly(15), b"hello, upgraded");
}

#[test]
fn an_echo_over_the_upgraded_connection_then_the_server_closes_after_the_continuation() {
    let server = serve_app(echo_app(Settings::default()));
    let mut client = Raw::connect(&server);
    client.send(upgrade_request("/echo"));
    assert_switched(&client.response().0);
    for round in 0..20 {
        let message = format!("message {round}: {}", "x".repeat(round * 100));
        client.send(&message);
        assert_eq!(client.exactly(message.len()), message.as_bytes());
    }
    // The client stops sending: the continuation reads the end and returns, and the engine
    // closes the connection.
    client.stream.shutdown(Direction::Write).unwrap();
    client.assert_closed();
}

#[test]
fn keep_alive_and_pipelined_requests_before_an_upgrade_are_answered_first() {
    let server = serve_app(echo_app(Settings::default()));
    let mut client = Raw::connect(&server);
    client.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.response().1, "plain");
    // Pipelined: a plain request, the upgrade, and bytes of the new protocol, in one write.
    client.send(format!(
        "GET /plain HTTP/1.1\r\nHost: t\r\n\r\n{}ping",
        upgrade_request("/echo")
    ));
    let (head, body) = client.response();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body, "plain");
    assert_switched(&client.response().0);
    assert_eq!(client.exactly(4), b"ping");
    // What looks like HTTP is not parsed as HTTP any more: it is echoed.
    client.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        client.exactly(32),
        b"GET /plain HTTP/1.1\r\nHost: t\r\n\r\n"
    );
}

#[test]
fn a_request_body_is_read_before_the_switch() {
    let server = serve_app(echo_app(Settings::default()));
    let mut client = Raw::connect(&server);
    let head = "GET /echo HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: echo\r\n";
    client.send(format!("{head}Content-Length: 5\r\n\r\nabcdeafter"));
    assert_switched(&client.response().0);
    // The body was drained; only what followed it is the new protocol's.
    assert_eq!(client.exactly(5), b"after");
}

#[test]
fn the_upgraded_connection_counts_against_max_connections_until_it_ends() {
    let server = serve_app(echo_app(Settings::default().max_connections(1)));
    let mut first = Raw::connect(&server);
    first.send(upgrade_request("/echo"));
    assert_switched(&first.response().0);
    first.send("still here");
    assert_eq!(first.exactly(10), b"still here");

    // The server is full: the upgraded connection is busy, never closed to make room.
    let mut second = support::Client::connect(server.addr());
    second.send(support::get("/plain"));
    second.assert_silent(Duration::from_millis(600));
    first.send("and here");
    assert_eq!(first.exactly(8), b"and here");

    // Once the continuation ends, the slot frees and the second client is served.
    first.stream.shutdown(Direction::Write).unwrap();
    first.assert_closed();
    second.response().assert(200, "plain");
}

#[test]
fn shutdown_tells_the_upgraded_connection_and_waits_for_it() {
    let mut app = tide::new();
    app.at("/watch").get(|_| async {
        Ok(Response::upgrade("echo", |mut io: Upgraded| async move {
            assert!(!io.is_shutting_down());
            io.write_all(b"ready\n").await.unwrap();
            io.shutdown().await;
            assert!(io.is_shutting_down());
            // Winds down on its own, a little later: shutdown waits for it.
            romio::time::sleep(Duration::from_millis(100)).await;
            io.write_all(b"going away\n").await.unwrap();
        }))
    });
    let server = serve_app(app);
    let mut client = Raw::connect(&server);
    client.send(upgrade_request("/watch"));
    assert_switched(&client.response().0);
    assert_eq!(client.exactly(6), b"ready\n");
    server.shutdown();
    assert_eq!(client.exactly(11), b"going away\n");
    client.assert_closed();
    server.join().unwrap();
}

#[test]
fn an_upgraded_connection_that_ignores_shutdown_is_aborted_after_the_shutdown_timeout() {
    let dropped = Arc::new(AtomicBool::new(false));
    let mut app = tide::new();
    *app.settings_mut() = Settings::default().shutdown_timeout(Duration::from_millis(300));
    let flag = dropped.clone();
    app.at("/stubborn").get(move |_| {
        let flag = flag.clone();
        async move {
            Ok(Response::upgrade("echo", move |io: Upgraded| async move {
                struct SetOnDrop(Arc<AtomicBool>);
                impl Drop for SetOnDrop {
                    fn drop(&mut self) {
                        self.0.store(true, Ordering::SeqCst);
                    }
                }
                let _guard = SetOnDrop(flag);
                let _io = io;
                std::future::pending::<()>().await;
            }))
        }
    });
    let server = serve_app(app);
    let mut client = Raw::connect(&server);
    client.send(upgrade_request("/stubborn"));
    assert_switched(&client.response().0);
    let started = Instant::now();
    server.shutdown();
    server.join().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    // The continuation's future was dropped where it stood, and the connection with it.
    let deadline = Instant::now() + READ_TIMEOUT;
    while !dropped.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the continuation was never dropped"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    client.assert_closed();
}

#[test]
fn a_101_to_an_http_1_0_request_is_refused_with_400_and_the_continuation_never_runs() {
    let ran = Arc::new(AtomicBool::new(false));
    let mut app = tide::new();
    let flag = ran.clone();
    // This handler does not check the request: the engine refuses for it.
    app.at("/careless").get(move |_| {
        let flag = flag.clone();
        async move {
            Ok(Response::upgrade("echo", move |_| async move {
                flag.store(true, Ordering::SeqCst);
            }))
        }
    });
    let server = serve_app(app);
    let mut client = Raw::connect(&server);
    client.send("GET /careless HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nbytes");
    let (head, body) = client.response();
    assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
    assert!(body.contains("cannot switch protocols"), "{body}");
    client.assert_closed();
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn a_101_without_a_continuation_is_written_and_the_connection_closes() {
    let mut app = tide::new();
    app.at("/bare").get(|_| async {
        let mut response = Response::new(StatusCode::SWITCHING_PROTOCOLS);
        response.insert_header("connection", "upgrade");
        response.insert_header("upgrade", "echo");
        Ok(response)
    });
    let server = serve_app(app);
    let mut client = Raw::connect(&server);
    // What follows the head is never parsed as HTTP: no `400 invalid request line`.
    client.send(format!("{}\u{81}\u{05}hello", upgrade_request("/bare")));
    assert_switched(&client.response().0);
    client.assert_closed();
}

#[test]
fn a_continuation_on_a_response_that_is_not_101_is_dropped_unrun() {
    let ran = Arc::new(AtomicBool::new(false));
    let mut app = tide::new();
    // A middleware turns every answer into a 403.
    app.with(|request, next: tide::Next<()>| async move {
        let mut response = next.run(request).await;
        response.set_status(StatusCode::FORBIDDEN);
        Ok(response)
    });
    let flag = ran.clone();
    app.at("/forbidden").get(move |_| {
        let flag = flag.clone();
        async move {
            Ok(Response::upgrade("echo", move |_| async move {
                flag.store(true, Ordering::SeqCst);
            }))
        }
    });
    app.at("/plain").get(|_| async { Ok("plain") });
    let server = serve_app(app);
    let mut client = Raw::connect(&server);
    client.send(upgrade_request("/forbidden"));
    let (head, _) = client.response();
    assert!(head.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{head}");
    // The connection goes on as HTTP.
    client.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.response().1, "plain");
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn an_upgrade_works_on_a_connection_served_through_serve_connection() {
    let service = echo_app(Settings::default()).into_service();
    let (server_side, client) = std::os::unix::net::UnixStream::pair().unwrap();
    server_side.set_nonblocking(true).unwrap();
    let serving = std::thread::spawn(move || {
        tide::runtime::block_on(async move {
            let io = romio::UnixStream::try_from(server_side)?;
            let info = tide::server::ConnInfo {
                peer_addr: None,
                local_addr: None,
            };
            let settings = Settings::default();
            tide::server::serve_connection(io, &service, &settings, info).await
        })
    });
    let mut client = client;
    client.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    client
        .write_all(format!("{}first", upgrade_request("/echo")).as_bytes())
        .unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    while !got.ends_with(b"first") {
        let n = client.read(&mut chunk).unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8(got).unwrap();
    assert_switched(&text[..text.find("\r\n\r\n").unwrap() + 4]);
    client.write_all(b"second").unwrap();
    let mut second = [0u8; 6];
    client.read_exact(&mut second).unwrap();
    assert_eq!(&second, b"second");
    client.shutdown(Direction::Write).unwrap();
    assert_eq!(client.read(&mut chunk).unwrap(), 0);
    serving.join().unwrap().unwrap();
}
