//! Pipelining: every request already received is answered, in order, before the server waits
//! for more.

mod support;

use std::sync::Arc;

use support::{Gate, SLOW_BODY_BYTES, TestServer, app, get, post};
use tide::server::Settings;

#[test]
fn sixteen_pipelined_requests_in_one_write_are_answered_in_order() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let batch: String = (0..16).map(|i| get(&format!("/p{i}?q={i}"))).collect();
    client.send(batch);
    for i in 0..16 {
        let response = client.response();
        response.assert(200, &format!("/p{i}?q={i}"));
        assert!(!response.says_close(), "{response:?}");
    }
    // The connection is still usable afterwards.
    client.get("/after").assert(200, "/after");
}

#[test]
fn pipelined_requests_with_bodies_keep_their_framing() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let chunked = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
                   3\r\nabc\r\n0\r\n\r\n";
    let batch = [
        post("/echo", "first"),
        get("/between"),
        chunked.to_owned(),
        post("/ignore", "not read by the handler"),
        post("/echo", "last"),
    ]
    .concat();
    client.send(batch);
    client.response().assert(200, "first");
    client.response().assert(200, "/between");
    client.response().assert(200, "abc");
    client.response().assert(200, "ignored");
    client.response().assert(200, "last");
}

#[test]
fn a_pipeline_split_mid_request_is_resumed() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let batch = [get("/one"), get("/two"), get("/three")].concat();
    // The second request is cut in the middle of its request line.
    let cut = batch.find("/two").unwrap() + 2;
    client.send(&batch[..cut]);
    client.response().assert(200, "/one");
    client.send(&batch[cut..]);
    client.response().assert(200, "/two");
    client.response().assert(200, "/three");
}

#[test]
fn responses_held_behind_a_slow_request_are_flushed_past_the_flush_threshold() {
    let gate = Arc::new(Gate::default());
    let server = TestServer::start(Settings::default(), gate.service());
    let mut client = server.connect();
    // Eight 16 KiB responses (128 KiB: twice the engine's flush threshold), then a request
    // whose handler waits.
    let batch: String = (0..8)
        .map(|_| get("/bytes?16384"))
        .chain([get("/slow")])
        .collect();
    client.send(batch);
    gate.wait_started();
    // The first responses must not wait for the slow one.
    let first = client.response();
    assert_eq!(first.body, vec![b'b'; 16384]);
    gate.release();
    for _ in 1..8 {
        assert_eq!(client.response().body.len(), 16384);
    }
    assert_eq!(client.response().body.len(), SLOW_BODY_BYTES);
}

#[test]
fn empty_lines_before_a_request_line_are_skipped() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    // Some clients send a CRLF after a body (RFC 9112 §2.2 lets a server ignore it).
    client.send([post("/echo", "body"), "\r\n\r\n".to_owned(), get("/next")].concat());
    client.response().assert(200, "body");
    client.response().assert(200, "/next");
    client.send("\r\n");
    client.send(get("/split"));
    client.response().assert(200, "/split");
}
