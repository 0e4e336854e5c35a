//! CORS: preflights answered by the middleware, headers on allowed origins' responses,
//! nothing for other origins, and configuration mistakes caught when the app is built.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{Answer, respond, serve_app};
use tide::middleware::Cors;
use tide::{Method, Request};

const APP_ORIGIN: &str = "https://app.example";
const OTHER_ORIGIN: &str = "https://evil.example";

/// `/todos` (GET, DELETE; each counted) behind `cors`.
fn app(cors: Cors) -> (tide::App<Arc<AtomicUsize>>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut app = tide::with_state(calls.clone());
    app.with(cors);
    let count = |req: Request<Arc<AtomicUsize>>| async move {
        req.state().fetch_add(1, Ordering::SeqCst);
        let mut response = tide::Response::from("todos");
        response.insert_header("x-total", "0");
        Ok(response)
    };
    app.at("/todos").get(count).delete(count);
    (app, calls)
}

fn strict() -> Cors {
    Cors::new()
        .allow_origin(APP_ORIGIN)
        .allow_methods([Method::GET, Method::DELETE])
        .allow_headers(["Content-Type", "authorization"])
        .expose_headers(["x-total"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
}

fn preflight(cors: Cors, origin: &str) -> (Answer, usize) {
    let (app, calls) = app(cors);
    let headers = [
        ("origin", origin),
        ("access-control-request-method", "DELETE"),
        ("access-control-request-headers", "content-type, x-custom"),
    ];
    let answer = respond(&app, "OPTIONS", "/todos", &headers, "");
    (answer, calls.load(Ordering::SeqCst))
}

fn simple(cors: Cors, origin: Option<&str>) -> Answer {
    let (app, _) = app(cors);
    let headers: Vec<_> = origin
        .map(|origin| ("origin", origin))
        .into_iter()
        .collect();
    respond(&app, "GET", "/todos", &headers, "")
}

/// The answer's `Access-Control-*` headers, sorted, names without the prefix.
fn cors_headers(answer: &Answer) -> Vec<(String, String)> {
    let mut found: Vec<_> = answer
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("access-control-")?;
            Some((name.to_owned(), value.to_str().unwrap().to_owned()))
        })
        .collect();
    found.sort();
    found
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_preflight_from_an_allowed_origin_is_answered_without_the_handler() {
    let (answer, calls) = preflight(strict(), APP_ORIGIN);
    answer.assert(204, "");
    assert_eq!(calls, 0, "the handler ran");
    assert_eq!(
        cors_headers(&answer),
        pairs(&[
            ("allow-credentials", "true"),
            ("allow-headers", "content-type, authorization"),
            ("allow-methods", "GET, DELETE"),
            ("allow-origin", APP_ORIGIN),
            ("max-age", "600"),
        ])
    );
    assert_eq!(
        answer.header("vary"),
        Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    );
}

#[test]
fn a_preflight_from_another_origin_is_403_without_cors_headers() {
    let (answer, calls) = preflight(strict(), OTHER_ORIGIN);
    assert_eq!((answer.status, calls), (403, 0), "{answer:?}");
    assert_eq!(cors_headers(&answer), []);
}

#[test]
fn an_allowed_origin_s_response_gets_the_cors_headers() {
    let answer = simple(strict(), Some(APP_ORIGIN));
    answer.assert(200, "todos");
    assert_eq!(
        cors_headers(&answer),
        pairs(&[
            ("allow-credentials", "true"),
            ("allow-origin", APP_ORIGIN),
            ("expose-headers", "x-total"),
        ])
    );
    assert_eq!(answer.header("vary"), Some("Origin"));
}

#[test]
fn another_origin_s_response_gets_no_cors_headers_but_varies_on_origin() {
    let answer = simple(strict(), Some(OTHER_ORIGIN));
    answer.assert(200, "todos");
    assert_eq!(cors_headers(&answer), []);
    assert_eq!(answer.header("vary"), Some("Origin"));
    let answer = simple(strict(), None);
    assert_eq!(cors_headers(&answer), []);
    assert_eq!(answer.header("vary"), Some("Origin"));
}

#[test]
fn origins_match_without_regard_to_case() {
    let cors = Cors::new().allow_origins(["https://App.Example", "http://localhost:3000"]);
    let answer = simple(cors.clone(), Some("https://app.example"));
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let answer = simple(cors, Some("http://localhost:3000"));
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
}

#[test]
fn any_origin_is_answered_with_a_star_and_no_vary() {
    let answer = simple(Cors::permissive(), Some(OTHER_ORIGIN));
    assert_eq!(cors_headers(&answer), pairs(&[("allow-origin", "*")]));
    assert_eq!(answer.header("vary"), None);
    let (answer, _) = preflight(Cors::permissive(), OTHER_ORIGIN);
    assert_eq!(
        cors_headers(&answer),
        pairs(&[
            ("allow-headers", "*"),
            ("allow-methods", "*"),
            ("allow-origin", "*")
        ])
    );
}

#[test]
fn with_credentials_any_method_and_header_echo_the_preflight() {
    let cors = Cors::new()
        .allow_origin(APP_ORIGIN)
        .allow_any_method()
        .allow_any_header()
        .allow_credentials(true);
    let (answer, _) = preflight(cors, APP_ORIGIN);
    assert_eq!(
        cors_headers(&answer),
        pairs(&[
            ("allow-credentials", "true"),
            ("allow-headers", "content-type, x-custom"),
            ("allow-methods", "DELETE"),
            ("allow-origin", APP_ORIGIN),
        ])
    );
}

#[test]
fn an_options_request_that_is_no_preflight_reaches_the_app() {
    let (app, _) = app(strict());
    let answer = respond(&app, "OPTIONS", "/todos", &[("origin", APP_ORIGIN)], "");
    answer.assert(204, "");
    assert_eq!(answer.header("allow"), Some("GET, DELETE, HEAD, OPTIONS"));
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
}

#[test]
fn error_responses_get_the_cors_headers_too() {
    let (app, _) = app(strict());
    let answer = respond(&app, "GET", "/nope", &[("origin", APP_ORIGIN)], "");
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
}

#[test]
fn the_handler_s_vary_is_kept() {
    let mut app = tide::new();
    app.with(Cors::new().allow_origin(APP_ORIGIN));
    app.at("/").get(|_| async {
        let mut response = tide::Response::from("hi");
        response.insert_header("vary", "Accept-Encoding");
        Ok(response)
    });
    let answer = respond(&app, "GET", "/", &[("origin", APP_ORIGIN)], "");
    assert_eq!(answer.header("vary"), Some("Accept-Encoding, Origin"));
}

#[test]
fn cors_works_over_a_socket() {
    let (app, calls) = app(strict());
    let server = serve_app(app);
    let mut client = server.connect();
    let answer = client.request(support::request_with(
        "OPTIONS",
        "/todos",
        &[
            ("Origin", APP_ORIGIN),
            ("Access-Control-Request-Method", "DELETE"),
        ],
        "",
    ));
    assert_eq!(answer.status, 204);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("GET, DELETE")
    );
    let answer = client.request(support::request_with(
        "DELETE",
        "/todos",
        &[("Origin", APP_ORIGIN)],
        "",
    ));
    answer.assert(200, "todos");
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "only the real request reached the handler"
    );
}

#[test]
#[should_panic(expected = "credentials cannot be allowed for any origin")]
fn credentials_with_any_origin_panic() {
    let _ = Cors::new().allow_origin("*").allow_credentials(true);
}

#[test]
#[should_panic(expected = "credentials cannot be allowed for any origin")]
fn any_origin_after_credentials_panics() {
    let _ = Cors::new().allow_credentials(true).allow_origin("*");
}

#[test]
#[should_panic(expected = "no path or trailing slash")]
fn an_origin_with_a_trailing_slash_panics() {
    let _ = Cors::new().allow_origin("https://app.example/");
}

#[test]
#[should_panic(expected = "is not a valid header name")]
fn an_invalid_header_name_panics() {
    let _ = Cors::new().allow_headers(["content type"]);
}

#[test]
fn cors_is_shareable_across_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Cors>();
}
