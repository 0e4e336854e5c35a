//! HTTP/1.0 clients: the connection closes after each response unless the client asks for
//! `Connection: keep-alive`, and a body of unknown length is delimited by the close.

mod support;

use support::{TestServer, app, streamed_body};
use tide::server::Settings;

#[test]
fn http_1_0_closes_by_default() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.request("GET /old HTTP/1.0\r\n\r\n");
    response.assert(200, "/old");
    assert_eq!(response.version, "HTTP/1.0");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn http_1_0_keeps_alive_when_asked() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    for path in ["/one", "/two"] {
        let response = client.request(format!(
            "GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        ));
        response.assert(200, path);
        assert_eq!(response.header("connection"), Some("keep-alive"));
    }
    // Without the token, this is the last one.
    client
        .request("GET /last HTTP/1.0\r\n\r\n")
        .assert(200, "/last");
    client.assert_closed();
}

#[test]
fn http_1_0_bodies_with_a_length_are_read() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client
        .request("POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbody")
        .assert(200, "body");
    client.request("GET /x HTTP/1.0\r\n\r\n").assert(200, "/x");
}

#[test]
fn a_streamed_response_to_http_1_0_is_delimited_by_the_close() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    // Even when keep-alive was asked for: there is no other way to end the body.
    let response = client.request("GET /stream?5 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(response.status, 200);
    assert!(!response.chunked, "{response:?}");
    assert_eq!(response.header("content-length"), None);
    assert!(response.says_close(), "{response:?}");
    assert_eq!(response.text(), streamed_body(5));
}
