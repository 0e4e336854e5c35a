//! HEAD: the same head as GET (its `Content-Length` included), and never a body.

mod support;

use support::{TestServer, app};
use tide::server::Settings;

fn head(path: &str) -> String {
    format!("HEAD {path} HTTP/1.1\r\nHost: t\r\n\r\n")
}

#[test]
fn head_has_no_body_and_the_content_length_of_get() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let got = client.get("/some/path?x=1");
    got.assert(200, "/some/path?x=1");
    client.send(head("/some/path?x=1"));
    let headed = client.head_response();
    assert_eq!(headed.status, 200);
    assert_eq!(
        headed.header("content-length"),
        got.header("content-length")
    );
    assert_eq!(headed.header("content-length"), Some("14"));
    // No body followed the head: the next response starts right away.
    client.get("/next").assert(200, "/next");
}

#[test]
fn head_of_a_streamed_response_sends_no_chunks() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send(head("/stream?4"));
    let headed = client.head_response();
    assert_eq!(headed.status, 200);
    assert_eq!(headed.header("transfer-encoding"), Some("chunked"));
    client.get("/next").assert(200, "/next");
}

#[test]
fn pipelined_heads_and_gets_stay_in_step() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send([head("/a"), head("/bb"), support::get("/ccc")].concat());
    assert_eq!(client.head_response().header("content-length"), Some("2"));
    assert_eq!(client.head_response().header("content-length"), Some("3"));
    client.response().assert(200, "/ccc");
}

#[test]
fn an_error_answer_to_head_has_no_body_either() {
    let server = TestServer::start(Settings::default().max_headers(2), app);
    for bad in [
        // No Host: 400.
        "HEAD / HTTP/1.1\r\n\r\n".to_owned(),
        // Too many header fields: 431.
        "HEAD / HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\n\r\n".to_owned(),
        // Smuggling: 400.
        "HEAD / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_owned(),
    ] {
        let mut client = server.connect();
        client.send(bad.clone());
        let headed = client.head_response();
        assert!(headed.status >= 400, "{bad:?}: {headed:?}");
        assert!(headed.says_close(), "{bad:?}: {headed:?}");
        // The head announces the length of the body a GET would get, and none follows.
        assert!(headed.header("content-length").is_some(), "{headed:?}");
        client.assert_closed();
    }
}
