//! Middleware and state: order, early answers, route-scoped middleware, panics, and state
//! shared across requests and threads.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{respond, serve_app};
use tide::{Middleware, Next, Request, StatusCode};

/// A middleware that appends `name` to the request's `x-trail` on the way in and to the
/// response's on the way out, so the order every middleware ran in can be read back.
fn trail<State: Clone + Send + Sync + 'static>(name: &'static str) -> impl Middleware<State> {
    move |mut req: Request<State>, next: Next<State>| async move {
        req.headers_mut().append("x-trail", name.parse().unwrap());
        let mut response = next.run(req).await;
        response.append_header("x-trail", name);
        Ok(response)
    }
}

/// A handler answering the request's `x-trail`, comma-separated.
async fn echo_trail<State>(req: Request<State>) -> tide::Result<String> {
    let trail: Vec<&str> = req
        .headers()
        .get_all("x-trail")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    Ok(trail.join(","))
}

/// Middleware `a`, `b`, `c` on the app, `admin` on `/admin` and below.
fn layered_app() -> tide::App<()> {
    let mut app = tide::new();
    app.with(trail("a")).with(trail("b")).with(trail("c"));
    app.at("/").get(echo_trail);
    app.at("/admin").with(trail("admin")).get(echo_trail);
    app.at("/admin/users/:id").get(echo_trail);
    app.at("/administrator").get(echo_trail);
    app
}

/// Asserts `GET path` ran the middleware in `inward` order, and back out in reverse.
fn check_trail(path: &str, inward: &[&str]) {
    let answer = respond(&layered_app(), "GET", path, &[], "");
    assert_eq!(answer.body, inward.join(","), "GET {path}: inward");
    let outward: Vec<&str> = inward.iter().rev().copied().collect();
    assert_eq!(answer.header_all("x-trail"), outward, "GET {path}: outward");
}

#[test]
fn the_first_middleware_added_runs_outermost() {
    check_trail("/", &["a", "b", "c"]);
}

#[test]
fn route_middleware_runs_inside_the_app_s_for_its_subtree_only() {
    check_trail("/admin", &["a", "b", "c", "admin"]);
    check_trail("/admin/users/7", &["a", "b", "c", "admin"]);
    check_trail("/administrator", &["a", "b", "c"]);
}

#[test]
fn app_middleware_also_sees_404_and_405() {
    let answer = respond(&layered_app(), "GET", "/nope", &[], "");
    assert_eq!(
        (answer.status, answer.header_all("x-trail")),
        (404, vec!["c", "b", "a"])
    );
    let answer = respond(&layered_app(), "POST", "/admin", &[], "");
    assert_eq!(
        (answer.status, answer.header_all("x-trail")),
        (405, vec!["admin", "c", "b", "a"])
    );
}

/// Answers 401 unless the request says `authorization: secret`; never calls `next` then.
async fn require_auth(
    req: Request<Arc<AtomicUsize>>,
    next: Next<Arc<AtomicUsize>>,
) -> tide::Result {
    if req.header("authorization").is_none_or(|v| v != "secret") {
        return Err(tide::Error::from_str(
            StatusCode::UNAUTHORIZED,
            "who are you?",
        ));
    }
    Ok(next.run(req).await)
}

#[test]
fn a_middleware_may_answer_without_calling_next() {
    let handled = Arc::new(AtomicUsize::new(0));
    let mut app = tide::with_state(handled.clone());
    app.at("/private")
        .with(require_auth)
        .get(|req: Request<Arc<AtomicUsize>>| async move {
            req.state().fetch_add(1, Ordering::SeqCst);
            Ok("the secret")
        });
    respond(&app, "GET", "/private", &[], "").assert(401, "who are you?\n");
    assert_eq!(handled.load(Ordering::SeqCst), 0, "the handler ran");
    respond(&app, "GET", "/private", &[("authorization", "secret")], "").assert(200, "the secret");
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[test]
fn a_middleware_sees_a_handler_s_error_as_its_response() {
    let mut app = tide::new();
    app.with(|req: Request<()>, next: Next<()>| async move {
        let mut response = next.run(req).await;
        let status = response.status().as_u16().to_string();
        response.insert_header("x-seen-status", status);
        Ok(response)
    });
    app.at("/").get(|_| async {
        Err::<String, _>(tide::Error::from_str(StatusCode::IM_A_TEAPOT, "no coffee"))
    });
    let answer = respond(&app, "GET", "/", &[], "");
    answer.assert(418, "no coffee\n");
    assert_eq!(answer.header("x-seen-status"), Some("418"));
}

#[test]
fn a_middleware_may_pass_values_to_the_handler() {
    #[derive(Clone)]
    struct User(&'static str);
    let mut app = tide::new();
    app.with(|mut req: Request<()>, next: Next<()>| async move {
        req.insert_ext(User("ferris"));
        Ok(next.run(req).await)
    });
    app.at("/").get(|req: Request<()>| async move {
        Ok(req.ext::<User>().map_or("nobody", |user| user.0))
    });
    respond(&app, "GET", "/", &[], "").assert(200, "ferris");
}

#[test]
fn a_panicking_handler_is_a_500_that_does_not_leak_the_message() {
    let mut app = tide::new();
    app.at("/boom").get(|_| async {
        if true {
            panic!("secret panic detail");
        }
        Ok("unreachable")
    });
    app.at("/fine").get(|_| async { Ok("fine") });
    let answer = respond(&app, "GET", "/boom", &[], "");
    answer.assert(500, "Internal Server Error\n");

    let server = serve_app(app);
    let mut client = server.connect();
    client.get("/boom").assert(500, "Internal Server Error\n");
    client.get("/fine").assert(200, "fine");
}

#[test]
fn a_panic_becomes_a_500_that_outer_middleware_sees() {
    let mut app = tide::new();
    app.with(trail("outer"));
    app.at("/boom")
        .with(|_req: Request<()>, _next: Next<()>| async {
            if true {
                panic!("a middleware panicked");
            }
            Ok(tide::Response::new(StatusCode::OK))
        });
    app.at("/boom").get(|_| async { Ok("unreachable") });
    let answer = respond(&app, "GET", "/boom", &[], "");
    answer.assert(500, "Internal Server Error\n");
    assert_eq!(
        answer.header("x-trail"),
        Some("outer"),
        "the outer middleware saw the 500"
    );
}

/// An app counting its requests in shared state: `POST /hit` answers the count before it.
fn counter_app() -> (tide::App<Arc<AtomicUsize>>, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let mut app = tide::with_state(hits.clone());
    app.at("/hit")
        .post(|req: Request<Arc<AtomicUsize>>| async move {
            Ok(req.state().fetch_add(1, Ordering::SeqCst).to_string())
        });
    (app, hits)
}

#[test]
fn state_is_shared_by_every_request() {
    let (app, hits) = counter_app();
    for expected in ["0", "1", "2"] {
        respond(&app, "POST", "/hit", &[], "").assert(200, expected);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[test]
fn state_is_shared_across_connections_and_threads() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 25;
    let (app, hits) = counter_app();
    let server = serve_app(app);
    let addr = server.addr();
    let clients: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut client = support::Client::connect(addr);
                (0..PER_THREAD)
                    .map(|_| {
                        let answer = client.request(support::post("/hit", ""));
                        assert_eq!(answer.status, 200, "{answer:?}");
                        answer.text().parse::<usize>().unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let seen: BTreeSet<usize> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    assert_eq!(hits.load(Ordering::SeqCst), THREADS * PER_THREAD);
    assert_eq!(
        seen,
        (0..THREADS * PER_THREAD).collect(),
        "every request saw its own count"
    );
}
