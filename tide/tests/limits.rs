//! Limits: a head, a header count, a request target or a body over its limit is answered
//! with its status (431, 431, 414, 413), bodies sent with a length and chunked alike.

mod support;

use support::{TestServer, app, post};
use tide::server::Settings;

/// Small limits, so the tests send little.
fn settings() -> Settings {
    Settings::default()
        .max_head_bytes(1024)
        .max_headers(10)
        .max_uri_bytes(256)
        .max_body_bytes(1024)
}

/// Sends `raw` on a fresh connection; checks the status, and that the server closes.
fn check_refused(raw: &str, status: u16) {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    let response = client.request(raw);
    assert_eq!(response.status, status, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn a_head_over_the_limit_is_431() {
    let long = "v".repeat(2000);
    check_refused(
        &format!("GET / HTTP/1.1\r\nHost: t\r\nX-Long: {long}\r\n\r\n"),
        431,
    );
}

#[test]
fn a_head_that_never_ends_is_431_as_soon_as_it_passes_the_limit() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    // 40 fields of 47 bytes, and no end of head: the server must not wait for it.
    let fields: String = (0..40)
        .map(|i| format!("X-{i:02}: {}\r\n", "v".repeat(40)))
        .collect();
    client.send(format!("GET / HTTP/1.1\r\nHost: t\r\n{fields}"));
    let response = client.response();
    assert_eq!(response.status, 431, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn a_head_just_under_the_limit_is_served() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    let base = "GET / HTTP/1.1\r\nHost: t\r\nX-Fill: \r\n\r\n".len();
    let fill = "f".repeat(1024 - base);
    let raw = format!("GET / HTTP/1.1\r\nHost: t\r\nX-Fill: {fill}\r\n\r\n");
    assert_eq!(raw.len(), 1024);
    client.request(raw).assert(200, "/");
}

#[test]
fn too_many_header_fields_is_431() {
    let fields: String = (0..11).map(|i| format!("X-{i}: {i}\r\n")).collect();
    check_refused(&format!("GET / HTTP/1.1\r\nHost: t\r\n{fields}\r\n"), 431);
}

#[test]
fn the_header_count_limit_itself_is_allowed() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    let fields: String = (0..9).map(|i| format!("X-{i}: {i}\r\n")).collect();
    client
        .request(format!("GET / HTTP/1.1\r\nHost: t\r\n{fields}\r\n"))
        .assert(200, "/");
}

#[test]
fn a_request_target_over_the_limit_is_414() {
    let path = format!("/{}", "u".repeat(300));
    check_refused(&format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n"), 414);
}

#[test]
fn a_content_length_body_over_the_limit_is_413() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    let response = client.request(post("/echo", &"b".repeat(1025)));
    assert_eq!(response.status, 413, "{response:?}");
    // The body was small enough to drain: the connection goes on.
    assert!(!response.says_close(), "{response:?}");
    client
        .request(post("/echo", &"b".repeat(1024)))
        .assert(200, &"b".repeat(1024));
}

#[test]
fn a_chunked_body_over_the_limit_is_413() {
    let server = TestServer::start(settings(), app);
    let mut client = server.connect();
    let chunk = format!("200\r\n{}\r\n", "c".repeat(0x200));
    let over = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(3)
    );
    let response = client.request(over);
    assert_eq!(response.status, 413, "{response:?}");
    client.get("/next").assert(200, "/next");

    let exact = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(2)
    );
    client.request(exact).assert(200, &"c".repeat(1024));
}

#[test]
fn a_huge_chunked_body_is_413_and_closes() {
    // Past the drain limit too: the server answers 413 and closes instead of reading it all.
    let settings = settings().max_drain_bytes(4096);
    let server = TestServer::start(settings, app);
    let mut client = server.connect();
    let chunk = format!("400\r\n{}\r\n", "h".repeat(0x400));
    let huge = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(32)
    );
    let response = client.request(huge);
    assert_eq!(response.status, 413, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}
