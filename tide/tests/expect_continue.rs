//! `Expect: 100-continue`: the server says `100 Continue` when the handler starts reading the
//! body, and not at all when it never does (it then closes, since the client may or may not
//! send the body).

mod support;

use std::time::Duration;

use support::{TestServer, app, get};
use tide::server::Settings;

const HEAD: &str =
    "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n";

#[test]
fn the_client_gets_100_continue_then_the_final_response() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send(HEAD);
    let interim = client.response();
    assert_eq!(interim.status, 100, "{interim:?}");
    assert_eq!(interim.version, "HTTP/1.1");
    // Nothing else comes before the body is sent.
    client.assert_silent(Duration::from_millis(100));
    client.send("hello world");
    let response = client.response();
    response.assert(200, "hello world");
    assert!(!response.says_close(), "{response:?}");
    client.get("/next").assert(200, "/next");
}

#[test]
fn earlier_pipelined_responses_come_before_100_continue() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send([get("/first"), HEAD.to_owned()].concat());
    client.response().assert(200, "/first");
    assert_eq!(client.response().status, 100);
    client.send("hello world");
    client.response().assert(200, "hello world");
}

#[test]
fn a_handler_that_does_not_read_gets_no_100_and_the_connection_closes() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.request(HEAD.replace("/echo", "/ignore"));
    response.assert(200, "ignored");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn a_client_that_sends_the_body_without_waiting_is_served() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send([HEAD, "hello world"].concat());
    assert_eq!(client.response().status, 100);
    client.response().assert(200, "hello world");
    client.get("/next").assert(200, "/next");
}

#[test]
fn http_1_0_expectations_are_ignored() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client
        .request("POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello");
    // No interim response: the first one is final.
    response.assert(200, "hello");
    client.assert_closed();
}

#[test]
fn a_body_over_the_limit_gets_413_instead_of_100() {
    let server = TestServer::start(Settings::default().max_body_bytes(10), app);
    let mut client = server.connect();
    // The handler's read fails at once on the declared length: no 100, a final 413, close.
    let response = client.request(HEAD);
    assert_eq!(response.status, 413, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}
