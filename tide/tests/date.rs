//! A `Date` header on every response: handler responses of every framing, and the engine's
//! own error responses. (The test [`Client`](support::Client) also checks it on every final
//! response it parses, in every test.)

mod support;

use std::time::Duration;

use http::header::DATE;
use http::{HeaderValue, Request, StatusCode};
use support::{RawResponse, TestServer, app, assert_date, text};
use tide::Body;
use tide::server::Settings;

fn date_of(response: &RawResponse) -> &str {
    let date = response
        .header("date")
        .unwrap_or_else(|| panic!("no Date: {response:?}"));
    assert_date(date);
    date
}

#[test]
fn every_kind_of_response_has_a_date() {
    let service = |request: Request<Body>| async move {
        match request.uri().path() {
            "/no-content" => text(StatusCode::NO_CONTENT, ""),
            "/not-found" => text(StatusCode::NOT_FOUND, "nothing here"),
            _ => app(request).await,
        }
    };
    let settings = Settings::default()
        .max_body_bytes(4)
        .header_read_timeout(Duration::from_millis(200));
    let server = TestServer::start(settings, service);
    let mut client = server.connect();
    let mut responses = vec![
        client.get("/plain"),
        client.get("/no-content"),
        client.get("/not-found"),
        client.get("/stream?2"),
        client.get("/panic"),
        client.request(support::post("/echo", "too long")),
    ];
    client.send("HEAD /plain HTTP/1.1\r\nHost: t\r\n\r\n");
    responses.push(client.head_response());
    responses.push(server.connect().request("GET /old HTTP/1.0\r\n\r\n"));
    responses.push(server.connect().request("GET / HTTP/1.1\r\n\r\n")); // 400: no Host
    responses.push(server.connect().request("GET / HTTP/1.1\r\nHost: t\r\n")); // 408
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 204, 404, 200, 500, 413, 200, 200, 400, 408]);
    for response in &responses {
        date_of(response);
    }
}

#[test]
fn a_date_set_by_the_handler_is_kept_and_not_repeated() {
    let service = |request: Request<Body>| async move {
        let mut response = app(request).await;
        response.headers_mut().insert(
            DATE,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        response
    };
    let server = TestServer::start(Settings::default(), service);
    let response = server.connect().get("/");
    // `header` panics if the field appears twice.
    assert_eq!(date_of(&response), "Sun, 06 Nov 1994 08:49:37 GMT");
}
