//! Listening on IPv6 and on a Unix-domain socket.

mod support;

use support::{Client, TestServer, app, get, post};
use tide::server::Settings;

#[test]
fn serves_over_ipv6_loopback() {
    let server = TestServer::bind("[::1]:0", Settings::default(), app);
    assert!(server.addr().is_ipv6(), "{}", server.addr());
    assert!(server.addr().ip().is_loopback());
    assert_ne!(server.addr().port(), 0);
    let mut client = server.connect();
    client.get("/six").assert(200, "/six");
    client
        .request(post("/echo", "over v6"))
        .assert(200, "over v6");
    drop(client);
    server.stop().unwrap();
}

#[test]
fn serves_over_a_unix_socket() {
    let path = support::unix_socket_path();
    let server = TestServer::bind_unix(&path, Settings::default(), app);
    let mut client = Client::connect_unix(&path);
    client.send([get("/one"), get("/two")].concat());
    client.response().assert(200, "/one");
    client.response().assert(200, "/two");
    client
        .request(post("/echo", "over unix"))
        .assert(200, "over unix");
    client.send("GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    client.response().assert(200, "/last");
    client.assert_closed();
    server.stop().unwrap();
    let _ = std::fs::remove_file(&path);
}
