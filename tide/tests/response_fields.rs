//! A response's header fields as they reach the wire: the usual answer (a value, a few fields
//! set by name) written byte for byte as expected, pipelined answers together; names set in
//! any case written lowercase, `insert_header` replacing every earlier value; the fields the
//! engine writes itself (framing, `Connection`, `Date`) taken from the handler as they should
//! be, whether the fields are kept as lines or edited as a map; a refused field a 500 that
//! keeps the connection.

mod support;

use std::io::Read;

use serde::Serialize;
use support::{Client, assert_date, get, serve_app};
use tide::{Json, Next, Request, Response, StatusCode};

/// Reads exactly `n` bytes of what the server sent.
fn read_bytes(client: &mut Client, n: usize) -> String {
    let mut bytes = vec![0; n];
    client
        .stream()
        .read_exact(&mut bytes)
        .expect("the whole answer");
    String::from_utf8(bytes).expect("the answer is text")
}

/// `text` with each `date: ` value checked and replaced by `<date>`.
fn without_dates(text: &str) -> String {
    let mut rest = text;
    let mut out = String::new();
    while let Some(at) = rest.find("date: ") {
        let (before, after) = rest.split_at(at + "date: ".len());
        out.push_str(before);
        let (date, after) = after.split_at(29);
        assert_date(date);
        out.push_str("<date>");
        rest = after;
    }
    out.push_str(rest);
    out
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// The benchmark's app: answers from values, and `server: tide` added after `next.run`.
fn usual_app() -> tide::App<()> {
    let mut app = tide::new();
    app.with(|request: Request<()>, next: Next<()>| async move {
        let mut response = next.run(request).await;
        response.insert_header("server", "tide");
        Ok(response)
    });
    app.at("/plaintext").get(|_| async { Ok("Hello, World!") });
    app.at("/json").get(|_| async {
        Ok(Json(Message {
            message: "Hello, World!",
        }))
    });
    app.at("/bytes").get(|_| async { Ok(vec![1u8, 2, 3]) });
    app.at("/string")
        .get(|_| async { Ok(String::from("owned")) });
    app.at("/created")
        .get(|_| async { Ok(Response::builder(StatusCode::CREATED).body("made").build()) });
    app
}

#[test]
fn the_usual_answers_are_written_exactly_and_pipelined_ones_together() {
    let server = serve_app(usual_app());
    let mut client = server.connect();
    let paths = ["/plaintext", "/json", "/bytes", "/string", "/plaintext"];
    let expected = [
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nserver: tide\r\n\
         content-length: 13\r\ndate: <date>\r\n\r\nHello, World!",
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nserver: tide\r\n\
         content-length: 27\r\ndate: <date>\r\n\r\n{\"message\":\"Hello, World!\"}",
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nserver: tide\r\n\
         content-length: 3\r\ndate: <date>\r\n\r\n\u{1}\u{2}\u{3}",
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nserver: tide\r\n\
         content-length: 5\r\ndate: <date>\r\n\r\nowned",
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nserver: tide\r\n\
         content-length: 13\r\ndate: <date>\r\n\r\nHello, World!",
    ]
    .concat();
    // One by one, then all in one write (answered in one batch).
    for path in paths {
        client.send(get(path));
    }
    let one_by_one = read_bytes(
        &mut client,
        expected.len() - 6 * paths.len() + 29 * paths.len(),
    );
    assert_eq!(without_dates(&one_by_one), expected);
    client.send(paths.map(get).concat());
    let pipelined = read_bytes(&mut client, one_by_one.len());
    assert_eq!(without_dates(&pipelined), expected);
}

#[test]
fn names_are_written_lowercase_and_inserting_replaces_every_earlier_value() {
    let mut app = tide::new();
    app.at("/").get(|_| async {
        let mut response = Response::from("body");
        response.append_header("X-Trail", "1");
        response.append_header("x-other", "kept");
        response.append_header("X-TRAIL", "2");
        response.insert_header("x-Trail", "3");
        response.insert_header("Content-Type", "text/html");
        Ok(response)
    });
    let server = serve_app(app);
    let mut client = server.connect();
    client.send(get("/"));
    let expected = "HTTP/1.1 200 OK\r\nx-other: kept\r\nx-trail: 3\r\ncontent-type: text/html\r\n\
                    content-length: 4\r\ndate: <date>\r\n\r\nbody";
    let text = read_bytes(&mut client, expected.len() - 6 + 29);
    assert_eq!(without_dates(&text), expected);
}

/// Sets on the response what the engine writes itself, by name (`map`: through
/// `headers_mut`, so the fields are kept as a map).
async fn framing_fields(request: Request<()>, map: bool) -> tide::Result<Response> {
    let mut response = Response::from("four");
    let fields = [
        ("Content-Length", "999"),
        ("Transfer-Encoding", "gzip"),
        ("Date", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("x-after", "1"),
    ];
    for (name, value) in fields {
        if map {
            response
                .headers_mut()
                .insert(name, http::HeaderValue::from_static(value));
        } else {
            response.insert_header(name, value);
        }
    }
    if request.query_str() == Some("close") {
        response.insert_header("Connection", "close");
    }
    Ok(response)
}

#[test]
fn the_engine_frames_the_body_and_keeps_the_handler_s_date_and_close_from_lines_or_a_map() {
    let mut app = tide::new();
    app.at("/lines")
        .get(|request| framing_fields(request, false));
    app.at("/map").get(|request| framing_fields(request, true));
    let server = serve_app(app);
    for path in ["/lines", "/map"] {
        let mut client = server.connect();
        let response = client.get(path);
        response.assert(200, "four");
        assert_eq!(response.header("content-length"), Some("4"), "{response:?}");
        assert_eq!(response.header("transfer-encoding"), None, "{response:?}");
        assert_eq!(
            response.header("date"),
            Some("Thu, 01 Jan 1970 00:00:00 GMT"),
            "the handler's date, once: {response:?}"
        );
        assert_eq!(response.header("x-after"), Some("1"), "{response:?}");
        assert!(!response.says_close(), "{response:?}");
        // The connection is kept; a handler's own `Connection: close` closes it.
        let response = client.get(&format!("{path}?close"));
        response.assert(200, "four");
        assert!(response.says_close(), "{response:?}");
        client.assert_closed();
    }
}

#[test]
fn a_refused_header_is_a_500_and_the_connection_stays() {
    let mut app = tide::new();
    app.at("/bad").get(|_| async {
        let mut response = Response::new(StatusCode::OK);
        response.insert_header("x-injected", "a\r\nset-cookie: evil");
        Ok(response)
    });
    app.at("/ok").get(|_| async { Ok("fine") });
    let server = serve_app(app);
    let mut client = server.connect();
    let response = client.get("/bad");
    assert_eq!(response.status, 500, "{response:?}");
    assert_eq!(response.header("set-cookie"), None, "{response:?}");
    assert!(!response.says_close(), "{response:?}");
    client.get("/ok").assert(200, "fine");
}

#[test]
fn answers_of_another_shape_than_the_usual_one_are_written_by_the_general_path() {
    let server = serve_app(usual_app());
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nserver: tide\r\n\
                content-length: 13\r\ndate: <date>\r\n\r\n";
    let cases = [
        // HTTP/1.0 keeps the connection only when asked, and says so.
        (
            "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".to_owned(),
            "HTTP/1.0 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nserver: tide\r\n\
             content-length: 13\r\nconnection: keep-alive\r\ndate: <date>\r\n\r\nHello, World!"
                .to_owned(),
        ),
        // HEAD: the same head, no body.
        (
            "HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\n".to_owned(),
            head.to_owned(),
        ),
        // Not a 200.
        (
            get("/created"),
            "HTTP/1.1 201 Created\r\ncontent-type: text/plain; charset=utf-8\r\nserver: tide\r\n\
             content-length: 4\r\ndate: <date>\r\n\r\nmade"
                .to_owned(),
        ),
        // Neither a keep-alive request.
        (
            "GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_owned(),
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nserver: tide\r\n\
             content-length: 13\r\nconnection: close\r\ndate: <date>\r\n\r\nHello, World!"
                .to_owned(),
        ),
    ];
    let mut client = server.connect();
    for (request, expected) in cases {
        client.send(request);
        let text = read_bytes(&mut client, expected.len() - 6 + 29);
        assert_eq!(without_dates(&text), expected);
    }
    client.assert_closed();
}
