//! A handler that panics gives a 500, and the connection (and the server) go on.

mod support;

use http::Request;
use support::{TestServer, app, get, post};
use tide::Body;
use tide::server::Settings;

#[test]
fn a_panicking_handler_gives_500_and_the_next_request_is_served() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.get("/panic");
    assert_eq!(response.status, 500, "{response:?}");
    assert!(!response.says_close(), "{response:?}");
    client.get("/next").assert(200, "/next");
    // The server is fine for other connections too.
    server.connect().get("/other").assert(200, "/other");
}

#[test]
fn a_panic_in_a_pipeline_answers_the_requests_around_it() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    client.send([get("/before"), post("/panic", "unread body"), get("/after")].concat());
    client.response().assert(200, "/before");
    assert_eq!(client.response().status, 500);
    client.response().assert(200, "/after");
}

#[test]
fn a_service_that_panics_before_returning_its_future_gives_500() {
    let service = |request: Request<Body>| {
        if request.uri().path() == "/eager" {
            panic!("panics while called, before any future exists");
        }
        app(request)
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    assert_eq!(client.get("/eager").status, 500);
    client.get("/next").assert(200, "/next");
}
