//! `max_connections`: while the server is full it stops accepting; a waiting client is served
//! once a connection closes.

mod support;

use std::time::Duration;

use support::{TestServer, app};
use tide::server::Settings;

#[test]
fn a_second_client_waits_while_the_first_is_busy_and_is_served_once_it_is_idle() {
    let server = TestServer::start(Settings::default().max_connections(1), app);
    let mut first = server.connect();
    first.send(support::get("/sleep?800"));
    std::thread::sleep(Duration::from_millis(100));

    // The kernel completes the handshake, but the server does not accept, and a connection
    // whose handler runs is never closed to make room: no answer.
    let mut second = server.connect();
    second.send(support::get("/second"));
    second.assert_silent(Duration::from_millis(300));
    first.response().assert(200, "slept");

    // Now idle, the first connection is closed to make room (see `server::pressure`).
    second.response().assert(200, "/second");
    first.assert_closed();
    second.get("/again").assert(200, "/again");
}

#[test]
fn a_rejected_connection_frees_its_slot() {
    let server = TestServer::start(Settings::default().max_connections(1), app);
    for i in 0..5 {
        // Each is refused with 400 and closed; the next one gets the slot.
        let mut client = server.connect();
        assert_eq!(client.request("GET / HTTP/1.1\r\n\r\n").status, 400, "{i}");
        client.assert_closed();
    }
    server.connect().get("/ok").assert(200, "/ok");
}
