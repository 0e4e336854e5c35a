//! Flush before waiting: every response the server has made is written before it (or a
//! handler reading a request body) waits on the client for more bytes.

mod support;

use std::time::Duration;

use support::{TestServer, app, get};
use tide::server::Settings;

/// A generous bound: "at once" is well under the drain timeout (10 s) the old code waited.
const PROMPTLY: Duration = Duration::from_secs(3);

fn stalled_post(path: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nonly part")
}

#[test]
fn a_get_pipelined_before_a_stalled_post_is_answered_at_once_when_the_body_is_not_read() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.set_read_timeout(PROMPTLY);
    client.send([get("/first"), stalled_post("/ignore")].concat());
    client.response().assert(200, "/first");
}

#[test]
fn a_get_pipelined_before_a_stalled_post_is_answered_at_once_when_the_handler_reads_it() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.set_read_timeout(PROMPTLY);
    client.send([get("/first"), get("/second"), stalled_post("/echo")].concat());
    client.response().assert(200, "/first");
    client.response().assert(200, "/second");
    // The body completes: its answer follows, in order.
    client.send("x".repeat(91));
    client
        .response()
        .assert(200, &format!("only part{}", "x".repeat(91)));
}

#[test]
fn a_get_before_an_expect_continue_post_is_answered_before_the_100() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.set_read_timeout(PROMPTLY);
    client.send(
        [
            get("/first"),
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
                .to_owned(),
        ]
        .concat(),
    );
    client.response().assert(200, "/first");
    let continued = client.head_response();
    assert_eq!(continued.status, 100, "{continued:?}");
    client.send("hi");
    client.response().assert(200, "hi");
}
