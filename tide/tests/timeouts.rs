//! Timeouts: a client that starts a head but does not finish it within the header-read timeout
//! gets 408 and is closed; an idle keep-alive connection is closed quietly after the keep-alive
//! timeout.

mod support;

use std::time::{Duration, Instant};

use support::{TestServer, answered, app};
use tide::server::Settings;

const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(300);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_millis(300);

fn settings() -> Settings {
    Settings::default()
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive_timeout(KEEP_ALIVE_TIMEOUT)
}

#[test]
fn half_a_head_is_cut_off_with_408() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    let started = Instant::now();
    client.send("GET /slow HTTP/1.1\r\nHost: t\r\nX-Half: ");
    let response = client.response();
    assert_eq!(response.status, 408, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    // Not before the timeout (a lower bound cannot flake on a slow machine).
    assert!(started.elapsed() >= HEADER_READ_TIMEOUT / 2);
    client.assert_closed();
}

#[test]
fn a_head_trickling_in_is_cut_off_at_the_deadline_of_its_first_byte() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    client.send("G");
    // Each byte arrives well within the timeout, but the whole head never does.
    let mut sent = 1;
    while !answered(client.stream()) && sent < 200 {
        std::thread::sleep(Duration::from_millis(20));
        if std::io::Write::write_all(client.stream(), b"E").is_err() {
            break;
        }
        sent += 1;
    }
    // A deadline pushed back by every byte would leave the client trickling for 4 s.
    assert!(sent < 200, "no answer while the head trickled in");
    let response = client.response();
    assert_eq!(response.status, 408, "{response:?}");
}

#[test]
fn a_half_head_after_a_request_on_the_same_connection_is_cut_off() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    client.get("/first").assert(200, "/first");
    client.send("GET /second HTTP/1.1\r\n");
    let response = client.response();
    assert_eq!(response.status, 408, "{response:?}");
    client.assert_closed();
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    client.get("/one").assert(200, "/one");
    // Taken before the server's idle clock can start: it starts once "/two" is answered.
    let idle_since = Instant::now();
    client.get("/two").assert(200, "/two");
    // Quietly: no 408 for a connection that was between requests.
    assert_closed_after_idle(client, idle_since);
}

#[test]
fn a_connection_that_never_sends_is_closed_after_the_keep_alive_timeout() {
    let server = TestServer::start(settings(), app);
    let idle_since = Instant::now();
    let client = server.connect();
    assert_closed_after_idle(client, idle_since);
}

/// Whether the server has sent something (or closed), without blocking.
/// Asserts the server closed `client`, and not before half the keep-alive timeout.
fn assert_closed_after_idle(client: support::Client, idle_since: Instant) {
    client.assert_closed();
    // The server's idle clock started after `idle_since`; half the timeout of slack covers a
    // coarse timer.
    assert!(
        idle_since.elapsed() >= KEEP_ALIVE_TIMEOUT / 2,
        "closed after {:?}",
        idle_since.elapsed()
    );
}

/// Longer than the margin under which the connection loop always polls its keep-alive
/// timer: the waits after the first find the timer registered and skip that poll.
const LONG_KEEP_ALIVE: Duration = Duration::from_millis(1500);

#[test]
fn a_keep_alive_timeout_longer_than_a_second_still_closes_an_idle_connection() {
    let server = TestServer::start(Settings::default().keep_alive_timeout(LONG_KEEP_ALIVE), app);
    let mut client = server.connect();
    client.get("/one").assert(200, "/one");
    client.get("/two").assert(200, "/two");
    let idle_since = Instant::now();
    client.get("/three").assert(200, "/three");
    client.assert_closed();
    assert!(
        idle_since.elapsed() >= LONG_KEEP_ALIVE / 2,
        "closed after {:?}",
        idle_since.elapsed()
    );
}
