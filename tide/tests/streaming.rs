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

#[test]
fn each_chunk_leaves_when_it_is_produced_not_when_the_buffer_fills() {
    // The test produces the chunks itself, one at a time, and reads each before it sends
    // the next: a server that held chunks back until its buffer filled (or the stream
    // ended) would leave the client waiting for the first one forever.
    let (chunks, produced) = futures::channel::mpsc::unbounded::<io::Result<Bytes>>();
    let produced = std::sync::Mutex::new(Some(produced));
    let service = move |_: Request<Body>| {
        let stream = produced.lock().unwrap().take().expect("one request");
        async move { Response::new(Body::from_stream(stream)) }
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(get("/events"));
    let mut stream = client.stream().try_clone().unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut seen = Vec::new();
    for event in ["data: one\n\n", "data: two\n\n", "data: three\n\n"] {
        chunks.unbounded_send(Ok(Bytes::from(event))).unwrap();
        // Read until this event has arrived (the head comes with the first).
        while !String::from_utf8_lossy(&seen).contains(event) {
            let mut buf = [0u8; 1024];
            let n = std::io::Read::read(&mut stream, &mut buf)
                .unwrap_or_else(|error| panic!("{event:?} was not sent when produced: {error}"));
            assert!(n > 0, "the connection closed");
            seen.extend_from_slice(&buf[..n]);
        }
    }
    drop(chunks);
    let text = String::from_utf8_lossy(&seen);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
}
