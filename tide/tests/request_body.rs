//! Request bodies: chunked (with extensions and trailers) and `Content-Length` bodies are
//! received intact, and a body the handler leaves unread is drained (small) or ends the
//! connection (large).

mod support;

use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use support::{Gate, SLOW_BODY_BYTES, TestServer, app, get, post};
use tide::server::Settings;

#[test]
fn a_chunked_body_with_extensions_and_trailers_is_received_intact() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client
        .request(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
             5;name=value\r\nhello\r\n\
             1;flag\r\n \r\n\
             A\r\n0123456789\r\n\
             0;last=yes\r\nX-Checksum: 1234\r\nX-Other: trailer\r\n\r\n",
        )
        .assert(200, "hello 0123456789");
    // The trailers were consumed exactly: the next request parses.
    client.get("/next").assert(200, "/next");
}

#[test]
fn a_chunked_body_sent_byte_by_byte_is_received_intact() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
    for byte in b"4;x=y\r\nwiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\n" {
        client.send([*byte]);
    }
    client.response().assert(200, "wikipedia");
    client.get("/next").assert(200, "/next");
}

#[test]
fn a_content_length_body_is_received_intact() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let body: String = (0..20_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    client.request(post("/echo", &body)).assert(200, &body);
    client.request(post("/echo", "")).assert(200, "");
    client.get("/next").assert(200, "/next");
}

#[test]
fn a_small_unread_body_is_drained_and_the_connection_kept() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.request(post("/ignore", &"x".repeat(1000)));
    response.assert(200, "ignored");
    assert!(!response.says_close(), "{response:?}");
    client.get("/next").assert(200, "/next");

    let chunked = "POST /ignore HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
                   3\r\nabc\r\n0\r\n\r\n";
    client.request(chunked).assert(200, "ignored");
    client.get("/again").assert(200, "/again");
}

#[test]
fn the_drain_limit_is_exact() {
    let settings = Settings::default().max_drain_bytes(1024);
    let server = TestServer::start(settings, app);
    let chunked = |len: usize| {
        format!(
            "POST /ignore HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
             {len:x}\r\n{}\r\n0\r\n\r\n",
            "c".repeat(len)
        )
    };
    // At the limit, sent whole in one write: drained, the connection kept.
    let mut client = server.connect();
    let response = client.request(post("/ignore", &"x".repeat(1024)));
    response.assert(200, "ignored");
    assert!(!response.says_close(), "{response:?}");
    let response = client.request(chunked(1024));
    response.assert(200, "ignored");
    assert!(!response.says_close(), "{response:?}");
    client.get("/next").assert(200, "/next");

    // One byte over, though it arrives in the same single read: closed.
    for request in [post("/ignore", &"x".repeat(1025)), chunked(1025)] {
        let mut client = server.connect();
        let response = client.request(request);
        response.assert(200, "ignored");
        assert!(response.says_close(), "{response:?}");
        client.assert_closed();
    }
}

#[test]
fn a_large_unread_body_closes_the_connection_after_the_response() {
    let settings = Settings::default().max_drain_bytes(1024);
    let server = TestServer::start(settings, app);
    let mut client = server.connect();
    // Well past the drain limit, yet small enough to sit in the socket buffers.
    let body = "y".repeat(64 * 1024);
    let response = client.request(post("/ignore", &body));
    response.assert(200, "ignored");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn a_client_that_sends_its_whole_unread_body_before_reading_gets_the_response() {
    // The simplest client there is: write the request whole, then read. The server answers
    // without reading the (too long) body and closes; closing with the body's bytes unread
    // would reset the connection, and a reset can destroy the response before the client
    // reads it. The server lingers instead: it closes its side, then reads and discards
    // until the client closes.
    let settings = Settings::default().max_drain_bytes(1024);
    let server = TestServer::start(settings, app);
    let body = "w".repeat(2 * 1024 * 1024 + 3);
    for attempt in 0..100 {
        let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        use std::io::{Read, Write};
        stream.write_all(post("/ignore", &body).as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|error| panic!("attempt {attempt}: {error}"));
        let text = String::from_utf8_lossy(&raw);
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\n"),
            "attempt {attempt}: {text}"
        );
        assert!(
            text.ends_with("\r\n\r\nignored"),
            "attempt {attempt}: {text}"
        );
    }
}

#[test]
fn a_large_unread_body_still_arriving_gets_its_response() {
    // The client writes more than the drain limit while the server answers: the response
    // must reach the client before the connection is closed.
    let settings = Settings::default().max_drain_bytes(1024);
    let server = TestServer::start(settings, app);
    let mut client = server.connect();
    let length = 4 * 1024 * 1024;
    client.send(format!(
        "POST /ignore HTTP/1.1\r\nHost: test\r\nContent-Length: {length}\r\n\r\n"
    ));
    let mut writer = client.stream().try_clone().unwrap();
    let uploader = std::thread::spawn(move || {
        use std::io::Write;
        let chunk = vec![b'z'; 64 * 1024];
        let mut sent = 0;
        // Stops at the first error: the server closes once it gives up on the body.
        while sent < length && writer.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
    });
    let response = client
        .try_response()
        .expect("the response arrives before the close");
    response.assert(200, "ignored");
    assert!(response.says_close(), "{response:?}");
    uploader.join().unwrap();
}

#[test]
fn a_body_cut_short_by_the_client_fails_with_400() {
    let gate = Arc::new(Gate::default());
    let server = TestServer::start(Settings::default(), gate.service());
    let mut client = server.connect();
    client.send(get("/slow"));
    gate.wait_started();
    // While the server is busy: a request whose body stops after 5 of 10 bytes, then the end
    // of the stream. The handler's read must fail rather than wait forever.
    client.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhello");
    client.stream().shutdown(Shutdown::Write).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    gate.release();
    assert_eq!(client.response().body.len(), SLOW_BODY_BYTES);
    let response = client.response();
    assert_eq!(response.status, 400, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}
