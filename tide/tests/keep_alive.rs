//! Keep-alive: HTTP/1.1 connections stay open by default; `Connection: close` from either side
//! makes the response the last one, and the server closes after it.

mod support;

use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use http::header::CONNECTION;
use http::{HeaderValue, Request};
use support::{Gate, SLOW_BODY_BYTES, TestServer, app, get};
use tide::Body;
use tide::server::Settings;

#[test]
fn http_1_1_connections_stay_open_by_default() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    for i in 0..20 {
        let response = client.get(&format!("/{i}"));
        response.assert(200, &format!("/{i}"));
        assert_eq!(response.header("connection"), None, "{response:?}");
    }
}

#[test]
fn a_client_that_says_close_gets_the_last_response() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send(
        [
            "GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_owned(),
            get("/ignored"),
        ]
        .concat(),
    );
    let response = client.response();
    response.assert(200, "/last");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn a_handler_that_says_close_ends_the_connection() {
    let service = |request: Request<Body>| async move {
        let mut response = app(request).await;
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        response
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    let response = client.get("/bye");
    response.assert(200, "/bye");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn a_client_that_half_closes_after_its_requests_gets_every_response() {
    let gate = Arc::new(Gate::default());
    let server = TestServer::start(Settings::default(), gate.service());
    let mut client = server.connect();
    client.send(get("/slow"));
    gate.wait_started();
    // While the server is busy, the next requests and the end of the stream arrive: the server
    // then finds them in one read, and must still notice the end once it has answered.
    client.send([get("/a"), get("/b")].concat());
    client.stream().shutdown(Shutdown::Write).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    gate.release();
    assert_eq!(client.response().body.len(), SLOW_BODY_BYTES);
    client.response().assert(200, "/a");
    client.response().assert(200, "/b");
    client.assert_closed();
}
