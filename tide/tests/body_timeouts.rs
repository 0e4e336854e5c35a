//! Body timeouts: a request body that stalls, or trickles below the minimum rate, is cut off
//! (408 when the handler answers with the error, and the connection closes), whoever waits
//! for it: the handler, the drain, or a client that was sent `100 Continue`.

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::{TestServer, answered, app};
use tide::server::Settings;

const BODY_READ_TIMEOUT: Duration = Duration::from_millis(300);
/// Far below every default timeout the old code had (the 10 s drain timeout), far above
/// the settings under test.
const BOUND: Duration = Duration::from_secs(5);

fn settings() -> Settings {
    Settings::default().body_read_timeout(BODY_READ_TIMEOUT)
}

fn post_head(path: &str, length: usize, extra: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {length}\r\n{extra}\r\n")
}

#[test]
fn a_stalled_body_read_by_the_handler_gets_408_and_the_connection_closes() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    client.set_read_timeout(BOUND);
    let started = Instant::now();
    client.send(post_head("/echo", 1000, "") + "a few bytes");
    let response = client.response();
    assert_eq!(response.status, 408, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    assert!(started.elapsed() >= BODY_READ_TIMEOUT / 2);
    client.assert_closed();
}

#[test]
fn a_stalled_body_nobody_reads_closes_the_connection_at_the_body_timeout() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    client.set_read_timeout(BOUND);
    client.send(post_head("/ignore", 1000, "") + "a few bytes");
    let response = client.response();
    response.assert(200, "ignored");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn silence_after_100_continue_gets_408() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    client.set_read_timeout(BOUND);
    client.send(post_head("/echo", 10, "Expect: 100-continue\r\n"));
    assert_eq!(client.head_response().status, 100);
    let response = client.response();
    assert_eq!(response.status, 408, "{response:?}");
    client.assert_closed();
}

#[test]
fn a_body_trickling_below_the_minimum_rate_is_cut_off() {
    // Each byte comes well within the read timeout, but at about 20 B/s against 200 B/s.
    let settings = Settings::default()
        .body_read_timeout(Duration::from_secs(10))
        .body_min_rate(200, Duration::from_millis(300));
    let server = TestServer::start(settings, app);
    let mut client = server.connect();
    client.set_read_timeout(BOUND);
    client.send(post_head("/echo", 1000, ""));
    let mut sent = 0;
    while sent < 200 && !answered(client.stream()) {
        std::thread::sleep(Duration::from_millis(50));
        if client.stream().write_all(b"x").is_err() {
            break;
        }
        sent += 1;
    }
    assert!(sent < 200, "the trickle went on for 10 s");
    let response = client.response();
    assert_eq!(response.status, 408, "{response:?}");
}

#[test]
fn a_slow_body_above_the_minimum_rate_is_received() {
    let settings = Settings::default()
        .body_read_timeout(Duration::from_secs(10))
        .body_min_rate(10, Duration::from_millis(300));
    let server = TestServer::start(settings, app);
    let mut client = server.connect();
    client.send(post_head("/echo", 20, ""));
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(20));
        client.send("xx");
    }
    client.response().assert(200, &"x".repeat(20));
}
