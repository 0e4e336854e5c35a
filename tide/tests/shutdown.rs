//! Graceful shutdown: the listener closes at once (new clients are refused), idle keep-alive
//! connections close at once, in-flight requests finish with their full response (announced
//! as the last one), and `serve` returns; a request still running at the shutdown deadline is
//! cut off.

mod support;

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use http::{Request, StatusCode};
use support::{Gate, READ_TIMEOUT, SLOW_BODY_BYTES, TestServer, app, assert_closed, get, text};
use tide::Body;
use tide::server::Settings;

/// Connects until the OS refuses; a connection that still gets through (it raced the closing
/// listener) must be closed without an answer.
fn assert_refused_soon(addr: SocketAddr) {
    let deadline = Instant::now() + READ_TIMEOUT;
    loop {
        match TcpStream::connect(addr) {
            Err(error) if error.kind() == ErrorKind::ConnectionRefused => return,
            Err(error) => panic!("connect failed oddly: {error}"),
            Ok(mut stream) => {
                stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                assert_closed(&mut stream);
            }
        }
        assert!(Instant::now() < deadline, "still accepting after shutdown");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_in_flight_request_finishes_while_everything_else_stops() {
    let gate = Arc::new(Gate::default());
    let settings = Settings::default().shutdown_timeout(Duration::from_secs(20));
    let server = TestServer::start(settings, gate.service());
    let mut idle = server.connect();
    idle.get("/warm").assert(200, "/warm");
    let mut slow = server.connect();
    slow.send(get("/slow"));
    gate.wait_started();

    server.shutdown();
    // Both happen while the slow request is still held in flight.
    idle.assert_closed();
    assert_refused_soon(server.addr());
    assert!(
        server.is_serving(),
        "serve returned with a request in flight"
    );

    gate.release();
    let response = slow.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), SLOW_BODY_BYTES);
    assert!(response.body.iter().all(|&b| b == b's'));
    assert!(response.says_close(), "{response:?}");
    slow.assert_closed();
    server.join().unwrap();
}

#[test]
fn a_sleeping_handler_finishes_after_shutdown() {
    let gate = Arc::new(Gate::default());
    let started = gate.clone();
    let service = move |_: Request<Body>| {
        let started = started.clone();
        async move {
            started.started.store(true, Ordering::SeqCst);
            romio::time::sleep(Duration::from_millis(300)).await;
            text(StatusCode::OK, "slept")
        }
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(get("/sleep"));
    gate.wait_started();
    server.shutdown();
    client.response().assert(200, "slept");
    client.assert_closed();
    server.join().unwrap();
}

#[test]
fn requests_pipelined_behind_the_in_flight_one_are_not_served() {
    let gate = Arc::new(Gate::default());
    let server = TestServer::start(Settings::default(), gate.service());
    let mut client = server.connect();
    client.send([get("/slow"), get("/behind")].concat());
    gate.wait_started();
    server.shutdown();
    gate.release();
    let response = client.response();
    assert_eq!(response.body.len(), SLOW_BODY_BYTES);
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
    server.join().unwrap();
}

#[test]
fn serve_returns_at_once_when_every_connection_is_idle() {
    let server = TestServer::start(Settings::default(), app);
    let mut clients: Vec<_> = (0..3).map(|_| server.connect()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.get(&format!("/{i}")).assert(200, &format!("/{i}"));
    }
    // One more that never sent anything.
    clients.push(server.connect());
    let addr = server.addr();
    server.stop().unwrap();
    for client in clients {
        client.assert_closed();
    }
    assert_eq!(
        TcpStream::connect(addr).map_err(|e| e.kind()).err(),
        Some(ErrorKind::ConnectionRefused)
    );
}

#[test]
fn a_request_still_running_at_the_deadline_is_cut_off() {
    let gate = Arc::new(Gate::default());
    let settings = Settings::default().shutdown_timeout(Duration::from_millis(300));
    let server = TestServer::start(settings, gate.service());
    let mut client = server.connect();
    client.send(get("/slow"));
    gate.wait_started();
    server.stop().unwrap();
    // No response, and the connection is gone.
    assert_closed(client.stream());
    gate.release();
}

#[test]
fn shutdown_before_serve_runs_returns_at_once() {
    let server = TestServer::start(Settings::default(), |_: Request<Body>| async {
        text(StatusCode::OK, "never")
    });
    server.stop().unwrap();
}
