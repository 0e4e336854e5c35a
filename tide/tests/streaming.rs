//! Streamed responses ([`Body::from_stream`]): sent chunked to HTTP/1.1 clients, the bytes
//! intact; a stream that fails ends the connection without the last chunk.

mod support;

use std::io;

use bytes::Bytes;
use futures::StreamExt;
use http::{Request, Response};
use support::{TestServer, app, get, streamed_body};
use tide::Body;
use tide::server::Settings;

#[test]
fn a_streamed_response_arrives_chunked() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.get("/stream?5");
    assert_eq!(response.status, 200);
    assert!(response.chunked, "{response:?}");
    assert_eq!(response.text(), streamed_body(5));
    assert!(!response.says_close(), "{response:?}");
    let empty = client.get("/stream?0");
    assert!(empty.chunked, "{empty:?}");
    assert_eq!(empty.text(), "");
    client.get("/next").assert(200, "/next");
}

#[test]
fn a_long_stream_arrives_whole() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    // About 130 KB: several flushes of the write buffer.
    let response = client.get("/stream?12000");
    assert_eq!(response.text(), streamed_body(12000));
    client.get("/next").assert(200, "/next");
}

#[test]
fn a_failing_stream_ends_the_connection_without_the_last_chunk() {
    let service = |_: Request<Body>| async {
        let chunks = futures::stream::iter([
            Ok(Bytes::from_static(b"partial")),
            Err(io::Error::other("the source failed")),
        ]);
        Response::new(Body::from_stream(chunks))
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(get("/"));
    let error = client
        .try_response()
        .expect_err("a chunked body cut short must not parse");
    assert!(
        error.kind() == io::ErrorKind::UnexpectedEof || support::is_reset(&error),
        "{error}"
    );
}

#[test]
fn a_response_streamed_from_the_request_body() {
    // The request body is read while the response is written.
    let service = |request: Request<Body>| async {
        let body = request
            .into_body()
            .map(|chunk| chunk.map_err(io::Error::other));
        Response::new(Body::from_stream(body))
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n\
         POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    );
    let first = client.response();
    assert_eq!(first.text(), "abcdefg");
    assert!(first.chunked);
    assert_eq!(client.response().text(), "hello");
}
