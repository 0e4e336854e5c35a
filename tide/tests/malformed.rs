//! Malformed and smuggling requests: each is answered with its status and the connection is
//! closed, because after a framing error nobody can tell where the next request starts.
//!
//! A malformed chunked body is only noticed when the body is read: the handler that reads
//! it (`/echo`) answers with [`BodyError::status`](tide::BodyError::status) (400), and the
//! engine, which cannot finish the body, says `Connection: close` and closes. A handler that
//! ignores such a body answers as it likes, and the connection still closes.

mod support;

use support::{TestServer, app};
use tide::server::Settings;

/// Sends `raw` on a fresh connection and checks the answer is `status`, announced as the
/// last response, and that the server then closes.
fn check(name: &str, raw: &str, status: u16) {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.request(raw);
    assert_eq!(response.status, status, "{name}: {response:?}");
    assert!(response.says_close(), "{name}: {response:?}");
    client.assert_closed();
}

#[test]
fn content_length_with_transfer_encoding_is_400() {
    check(
        "CL+TE",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n\
         0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
        400,
    );
    check(
        "TE+CL",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n\
         0\r\n\r\n",
        400,
    );
}

#[test]
fn differing_duplicate_content_lengths_are_400() {
    check(
        "two fields",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
    );
    check(
        "one list",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello!",
        400,
    );
}

#[test]
fn non_numeric_or_overflowing_content_length_is_400() {
    for value in ["abc", "+5", "-5", "0x5", "5 5", "", "18446744073709551616"] {
        check(
            value,
            &format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {value}\r\n\r\nhello"),
            400,
        );
    }
}

#[test]
fn transfer_encoding_not_ending_in_chunked_is_400() {
    for value in ["gzip", "chunked, gzip", "identity", "chunked, chunked"] {
        check(
            value,
            &format!("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: {value}\r\n\r\n"),
            400,
        );
    }
    check(
        "HTTP/1.0 chunked",
        "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    );
}

#[test]
fn an_unknown_coding_before_chunked_is_501() {
    check(
        "gzip, chunked",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    );
    check(
        "two fields",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: br\r\nTransfer-Encoding: chunked\r\n\r\n",
        501,
    );
}

#[test]
fn an_invalid_chunk_size_is_400_when_the_body_is_read() {
    for (name, body) in [
        ("not hex", "zz\r\nhello\r\n0\r\n\r\n"),
        ("signed", "+5\r\nhello\r\n0\r\n\r\n"),
        ("space before size", " 5\r\nhello\r\n0\r\n\r\n"),
        ("overflow", "10000000000000000\r\nhello\r\n0\r\n\r\n"),
        ("bare LF", "5\nhello\r\n0\r\n\r\n"),
        ("data overruns its size", "3\r\nhello\r\n0\r\n\r\n"),
        ("missing size", ";ext\r\nhello\r\n0\r\n\r\n"),
    ] {
        check(
            name,
            &format!("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{body}"),
            400,
        );
    }
}

#[test]
fn an_invalid_chunk_line_closes_even_when_the_body_is_not_read() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.request(
        "POST /ignore HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         zz\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    response.assert(200, "ignored");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}

#[test]
fn missing_host_in_http_1_1_is_400() {
    check("no Host", "GET / HTTP/1.1\r\n\r\n", 400);
    check(
        "two Hosts",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        400,
    );
}

#[test]
fn an_obs_folded_header_is_400() {
    check(
        "fold",
        "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: first\r\n second\r\n\r\n",
        400,
    );
    check(
        "tab fold",
        "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: first\r\n\tsecond\r\n\r\n",
        400,
    );
}

#[test]
fn whitespace_before_the_colon_is_400() {
    check("space", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400);
    check(
        "tab",
        "GET / HTTP/1.1\r\nHost: t\r\nContent-Length\t: 0\r\n\r\n",
        400,
    );
}

#[test]
fn a_garbage_request_line_is_400() {
    check("words", "this is not http\r\n\r\n", 400);
    check("control bytes", "\u{1}\u{2}\u{3}\r\n\r\n", 400);
    check("double space", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400);
    check("no version", "GET /\r\nHost: t\r\n\r\n", 400);
}

#[test]
fn an_unsupported_version_is_505() {
    check("HTTP/2.0", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505);
}

#[test]
fn a_bare_lf_is_400_by_design() {
    // RFC 9112 lets a server accept a bare LF; request_head.rs documents why this one refuses.
    check("LF everywhere", "GET / HTTP/1.1\nHost: t\n\n", 400);
    check(
        "LF in a field",
        "GET / HTTP/1.1\r\nHost: t\nX: y\r\n\r\n",
        400,
    );
    check("LF at the end", "GET / HTTP/1.1\r\nHost: t\r\n\n", 400);
}

#[test]
fn an_unsupported_expectation_is_417() {
    check(
        "teapot",
        "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx",
        417,
    );
}

#[test]
fn an_error_after_good_requests_answers_them_first() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send(
        "GET /first HTTP/1.1\r\nHost: t\r\n\r\n\
         GET /second HTTP/1.1\r\nHost : t\r\n\r\n\
         GET /never HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    client.response().assert(200, "/first");
    let response = client.response();
    assert_eq!(response.status, 400, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
}
