//! Specification of request-head parsing: what is accepted, and the status of each refusal.

use super::*;
use crate::h1::head::Head;
use bytes::Bytes;

fn limits() -> Limits {
    Limits::default()
}

/// Parses a whole head, asserting it is complete.
fn accept(raw: &str) -> RequestHead {
    match parse(raw.as_bytes(), &limits()) {
        Ok(Some((head, len))) => {
            assert_eq!(len, raw.len(), "the whole head is consumed");
            head
        }
        Ok(None) => panic!("incomplete: {raw:?}"),
        Err(error) => panic!("refused {raw:?}: {error:?}"),
    }
}

/// Parses a whole head and keeps it as the engine does: its bytes, read in place.
fn received(raw: &str) -> Head {
    let head = accept(raw);
    Head::received(
        head.method,
        head.version,
        Bytes::copy_from_slice(raw.as_bytes()),
        head.target,
    )
}

/// Asserts `raw` is refused with `status`.
fn refuse(raw: &str, status: u16) {
    refuse_with(raw, status, &limits());
}

fn refuse_with(raw: &str, status: u16, limits: &Limits) {
    match parse(raw.as_bytes(), limits) {
        Err(error) => assert_eq!(error.status.as_u16(), status, "{raw:?}: {}", error.reason),
        Ok(result) => panic!("accepted {raw:?}: {:?}", result.map(|(h, _)| h)),
    }
}

#[test]
fn a_simple_get() {
    let raw = "GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
    let head = accept(raw);
    assert_eq!(head.method, Method::GET);
    assert!(head.target.is_ok(), "a plain target is read in place");
    assert_eq!(head.version, Version::HTTP_11);
    assert_eq!(head.body, BodyFraming::Empty);
    assert!(head.keep_alive);
    assert!(!head.expect_continue);
    let head = received(raw);
    assert_eq!(head.path(), "/path");
    assert_eq!(head.query(), Some("q=1"));
    assert_eq!(head.uri(), "/path?q=1");
    assert_eq!(head.values("ACCEPT").collect::<Vec<_>>(), [b"*/*"]);
    assert_eq!(head.headers()["accept"], "*/*");
}

/// Path and query of targets read in place and of those parsed as a `Uri`: the same split.
#[test]
fn targets_plain_and_parsed() {
    let check = |target: &str, plain: bool, path: &str, query: Option<&str>| {
        let raw = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(accept(&raw).target.is_ok(), plain, "{target}");
        let head = received(&raw);
        assert_eq!((head.path(), head.query()), (path, query), "{target}");
        assert_eq!(head.uri().path(), path, "{target}");
        assert_eq!(head.uri().query(), query, "{target}");
    };
    check("/", true, "/", None);
    check("/a/b%20c;x=1", true, "/a/b%20c;x=1", None);
    check("/a?", true, "/a", Some(""));
    check("/a?b=1&c=?/d", true, "/a", Some("b=1&c=?/d"));
    check("/a#frag", false, "/a", None);
    check("/a?q={x}", false, "/a", Some("q={x}"));
    check("/caf\u{e9}", false, "/caf\u{e9}", None);
    check("http://example.com/x?y", false, "/x", Some("y"));
    check("*", false, "*", None);
}

#[test]
fn a_target_the_uri_parser_refuses_is_400() {
    refuse("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    refuse("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

/// Lookups read the fields in place (any case, every value, in order) until the map is
/// asked for, and then the map, edits included.
#[test]
fn fields_read_in_place_then_through_the_map() {
    let mut head = received("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a:  2 \r\n\r\n");
    assert_eq!(head.values("x-A").collect::<Vec<_>>(), [b"1", b"2"]);
    assert_eq!(head.values("missing").next(), None);
    assert_eq!(head.headers().len(), 3);
    head.headers_mut()
        .insert("x-a", http::HeaderValue::from_static("3"));
    assert_eq!(head.values("x-a").collect::<Vec<_>>(), [b"3"]);
}

#[test]
fn incomplete_at_every_split_then_complete() {
    let raw = b"POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    let head_len = raw.len() - 5;
    for split in 0..head_len {
        assert!(
            matches!(parse(&raw[..split], &limits()), Ok(None)),
            "split at {split} should need more bytes"
        );
    }
    let (head, len) = parse(raw, &limits()).unwrap().unwrap();
    assert_eq!(len, head_len);
    assert_eq!(head.body, BodyFraming::Length(5));
}

#[test]
fn keep_alive_rules() {
    assert!(!accept("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
    assert!(!accept("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, Close\r\n\r\n").keep_alive);
    assert!(!accept("GET / HTTP/1.0\r\n\r\n").keep_alive);
    assert!(accept("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    // A field whose name is as long as `Connection` is not one.
    assert!(accept("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: close\r\n\r\n").keep_alive);
    refuse("GET / HTTP/1.1\r\nHose: h\r\n\r\n", 400);
    // Any item, any case, in any `Connection` field; `close` wins over `keep-alive`.
    assert!(accept("GET / HTTP/1.0\r\nConnection: foo , KEEP-Alive\r\n\r\n").keep_alive);
    assert!(accept("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    assert!(
        !accept("GET / HTTP/1.1\r\nHost: h\r\nconnection: keep-alive,close\r\n\r\n").keep_alive
    );
    assert!(
        !accept("GET / HTTP/1.1\r\nHost: h\r\nConnection: a\r\nCONNECTION:\tclose \r\n\r\n")
            .keep_alive
    );
    assert!(!accept("GET / HTTP/1.0\r\nConnection: keep-alive-ish, closed\r\n\r\n").keep_alive);
}

#[test]
fn http_1_0_needs_no_host() {
    assert_eq!(accept("GET / HTTP/1.0\r\n\r\n").version, Version::HTTP_10);
}

#[test]
fn framing() {
    let chunked = accept("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_eq!(chunked.body, BodyFraming::Chunked);
    let upper = accept("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n");
    assert_eq!(upper.body, BodyFraming::Chunked);
    let same_twice =
        accept("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
    assert_eq!(same_twice.body, BodyFraming::Length(3));
    let listed = accept("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7, 7\r\n\r\n");
    assert_eq!(listed.body, BodyFraming::Length(7));
    let zero = accept("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(zero.body, BodyFraming::Empty);
}

#[test]
fn smuggling_attempts_are_400() {
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
        400,
    );
    refuse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

#[test]
fn unknown_codings_are_501() {
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
    );
    refuse(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
        501,
    );
    // The values are read again from the head, whatever the case of the names, with the
    // fields between them skipped.
    refuse(
        "POST / HTTP/1.1\r\ntransfer-ENCODING:  gzip \r\nHost: h\r\nTRANSFER-ENCODING: chunked\r\n\r\n",
        501,
    );
    let split =
        accept("POST / HTTP/1.1\r\nX: 1\r\ntransfer-encoding: Chunked\t\r\nHost: h\r\n\r\n");
    assert_eq!(split.body, BodyFraming::Chunked);
    // An empty value is a coding too (as it always was): two codings, 501.
    refuse(
        "POST / HTTP/1.1\r\nTransfer-Encoding:\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\n",
        501,
    );
}

#[test]
fn malformed_heads_are_400() {
    refuse("GET / HTTP/1.1\r\n\r\n", 400); // no Host
    refuse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    refuse(
        "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n",
        400,
    );
    refuse("GET / HTTP/1.1\r\nHost: h\r\nX-Space : a\r\n\r\n", 400);
    refuse("GET / HTTP/1.1\r\nHost: h\r\nBad Name: a\r\n\r\n", 400);
    refuse("this is not http\r\n\r\n", 400);
    refuse("\u{1}\u{2}\u{3} garbage\r\n\r\n", 400);
    refuse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

#[test]
fn bare_lf_is_400() {
    refuse("GET / HTTP/1.1\nHost: h\n\n", 400);
    refuse("GET / HTTP/1.1\r\nHost: h\n\r\n", 400);
    refuse("GET / HTTP/1.1\r\nHost: h\r\n\n", 400);
}

#[test]
fn unsupported_versions_are_505() {
    refuse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
    refuse("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505);
}

#[test]
fn expectations() {
    let head =
        accept("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n");
    assert!(head.expect_continue);
    let old = accept("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
    assert!(!old.expect_continue);
    refuse("POST / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n", 417);
}

#[test]
fn limits_are_enforced_before_the_head_ends() {
    let tight = Limits {
        max_head_bytes: 64,
        max_headers: 2,
        max_uri_bytes: 16,
    };
    // Too large, even though the head never ends.
    let endless = format!("GET / HTTP/1.1\r\nX-Long: {}", "a".repeat(100));
    refuse_with(&endless, 431, &tight);
    refuse_with(
        "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
        431,
        &tight,
    );
    refuse_with(
        "GET /0123456789abcdefghij HTTP/1.1\r\nHost: h\r\n\r\n",
        414,
        &tight,
    );
    // A long target is refused as soon as it is known to be too long.
    refuse_with("GET /0123456789abcdefghij HTTP/1.1\r\n", 414, &tight);
    let fits = parse(b"GET /ok HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", &tight);
    assert!(matches!(fits, Ok(Some(_))));
}

#[test]
fn many_headers_beyond_the_stack_slots_still_parse_when_allowed() {
    let generous = Limits {
        max_head_bytes: 1 << 20,
        max_headers: 300,
        max_uri_bytes: 1024,
    };
    let mut raw = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
    for i in 0..250 {
        raw.push_str(&format!("X-{i}: {i}\r\n"));
    }
    raw.push_str("\r\n");
    let (head, _) = parse(raw.as_bytes(), &generous).unwrap().unwrap();
    let head = Head::received(
        head.method,
        head.version,
        Bytes::from(raw.into_bytes()),
        head.target,
    );
    assert_eq!(head.headers().len(), 251);
    assert_eq!(head.values("x-249").next(), Some(&b"249"[..]));
}
