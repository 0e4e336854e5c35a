//! No lock-out at the connection cap: a full server closes the connection that waited on its
//! client the longest (idle ones first) so that a newcomer is served.

mod support;

use std::time::Duration;

use support::{Client, TestServer, app, get};
use tide::server::Settings;

/// "Within a few seconds": the body timeout (60 s by default) would be far past it.
const NEWCOMER_BOUND: Duration = Duration::from_secs(5);

#[test]
fn a_newcomer_is_served_while_the_cap_is_held_by_slow_bodies() {
    let server = TestServer::start(Settings::default().max_connections(100), app);
    let mut slow = Vec::new();
    for _ in 0..100 {
        let mut client = server.connect();
        client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nslow");
        slow.push(client);
    }
    // Every slow connection is accepted and waiting for its body.
    std::thread::sleep(Duration::from_millis(300));
    let mut newcomer = Client::connect(server.addr());
    newcomer.set_read_timeout(NEWCOMER_BOUND);
    newcomer.get("/new").assert(200, "/new");
    drop(slow);
}

#[test]
fn a_full_server_closes_its_oldest_idle_connection_for_a_newcomer() {
    let server = TestServer::start(Settings::default().max_connections(2), app);
    let mut oldest = server.connect();
    oldest.get("/one").assert(200, "/one");
    std::thread::sleep(Duration::from_millis(50));
    let mut younger = server.connect();
    younger.get("/two").assert(200, "/two");
    let mut newcomer = Client::connect(server.addr());
    newcomer.set_read_timeout(NEWCOMER_BOUND);
    newcomer.get("/new").assert(200, "/new");
    oldest.assert_closed();
    younger.send(get("/still"));
    younger.response().assert(200, "/still");
}
