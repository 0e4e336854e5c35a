//! The middleware chain's own paths: a layer that panics when it is called (before any
//! future exists), hand-written layers among function layers, a `Next` run on another task,
//! and a `Next` that outlives its app.

mod support;

use std::sync::{Arc, Mutex};

use support::{get, respond, serve_app};
use tide::{BoxFuture, Endpoint, Middleware, Next, Request, Response, StatusCode};

/// Appends `name` to the response's `x-trail` on the way out.
fn trail(name: &'static str) -> impl Middleware<()> {
    move |req: Request<()>, next: Next<()>| async move {
        let mut response = next.run(req).await;
        response.append_header("x-trail", name);
        Ok(response)
    }
}

/// A hand-written middleware (its future is boxed by `handle`) that panics when called, if
/// `panics`, or else tags the response `x-boxed`.
struct HandWritten {
    panics: bool,
}

impl Middleware<()> for HandWritten {
    fn handle(
        self: Arc<Self>,
        req: Request<()>,
        next: Next<()>,
    ) -> BoxFuture<'static, tide::Result<Response>> {
        assert!(!self.panics, "a middleware panicked while called");
        Box::pin(async move {
            let mut response = next.run(req).await;
            response.insert_header("x-boxed", "yes");
            Ok(response)
        })
    }
}

/// A hand-written endpoint that panics when called.
struct PanicsWhenCalled;

impl Endpoint<()> for PanicsWhenCalled {
    fn call(&self, _req: Request<()>) -> BoxFuture<'static, tide::Result<Response>> {
        panic!("an endpoint panicked while called")
    }
}

/// An app whose routes panic when their layers are called, each in another way, below a
/// middleware that tags every answer.
fn panicking_app() -> tide::App<()> {
    let mut app = tide::new();
    app.with(trail("outer"));
    app.at("/middleware").with(HandWritten { panics: true });
    app.at("/middleware").get(|_| async { Ok("unreachable") });
    // A function middleware that panics before it makes its future.
    app.at("/function")
        .with(|_req: Request<()>, _next: Next<()>| {
            if true {
                panic!("a function middleware panicked while called");
            }
            async { Ok(Response::new(StatusCode::OK)) }
        });
    app.at("/function").get(|_| async { Ok("unreachable") });
    app.at("/endpoint").get(PanicsWhenCalled);
    app.at("/closure").get(|_req: Request<()>| {
        if true {
            panic!("an endpoint function panicked while called");
        }
        async { Ok("unreachable") }
    });
    app.at("/fine").get(|_| async { Ok("fine") });
    app
}

#[test]
fn a_layer_that_panics_when_called_is_a_500_that_outer_middleware_sees() {
    let app = panicking_app();
    for path in ["/middleware", "/function", "/endpoint", "/closure"] {
        let answer = respond(&app, "GET", path, &[], "");
        answer.assert(500, "Internal Server Error\n");
        assert_eq!(answer.header("x-trail"), Some("outer"), "{path}");
    }
    respond(&app, "GET", "/fine", &[], "").assert(200, "fine");
}

#[test]
fn layers_that_panic_when_called_leave_the_connection_serving_pipelined_requests() {
    let server = serve_app(panicking_app());
    let mut client = server.connect();
    let paths = [
        "/fine",
        "/middleware",
        "/function",
        "/fine",
        "/endpoint",
        "/closure",
    ];
    client.send(paths.map(get).concat());
    for path in paths {
        let response = client.response();
        if path == "/fine" {
            response.assert(200, "fine");
        } else {
            assert_eq!(response.status, 500, "{path}: {response:?}");
            assert!(!response.says_close(), "{path}: {response:?}");
        }
        assert_eq!(response.header("x-trail"), Some("outer"), "{path}");
    }
}

#[test]
fn hand_written_and_function_layers_run_in_order_request_after_request() {
    let mut app = tide::new();
    app.with(trail("outer"));
    app.with(HandWritten { panics: false });
    app.with(trail("inner"));
    app.at("/").get(|_| async { Ok("hi") });
    let server = serve_app(app);
    let mut client = server.connect();
    // Enough requests, pipelined, that every layer's future box is reused many times.
    client.send(get("/").repeat(64));
    for _ in 0..64 {
        let response = client.response();
        response.assert(200, "hi");
        assert_eq!(response.header_all("x-trail"), ["inner", "outer"]);
        assert_eq!(response.header("x-boxed"), Some("yes"));
    }
}

#[test]
fn a_next_run_on_another_task_answers_through_the_rest_of_the_chain() {
    let mut app = tide::new();
    app.with(|req: Request<()>, next: Next<()>| async move {
        let handle = juliex::spawn(next.run(req));
        Ok(handle.await.expect("the spawned chain answers"))
    });
    app.with(trail("inner"));
    app.at("/").get(|_| async { Ok("hi") });
    let server = serve_app(app);
    let mut client = server.connect();
    for _ in 0..3 {
        let response = client.get("/");
        response.assert(200, "hi");
        assert_eq!(response.header("x-trail"), Some("inner"));
    }
}

#[test]
fn a_next_that_outlives_its_app_still_runs_the_rest_of_the_chain() {
    type Kept = Arc<Mutex<Vec<(Request<()>, Next<()>)>>>;
    let kept: Kept = Arc::default();
    let mut app = tide::new();
    let keep = kept.clone();
    app.with(move |req: Request<()>, next: Next<()>| {
        let keep = keep.clone();
        async move {
            keep.lock().unwrap().push((req, next));
            Ok(Response::new(StatusCode::ACCEPTED))
        }
    });
    app.with(trail("inner"));
    app.at("/").get(|_| async { Ok("later") });
    respond(&app, "GET", "/", &[], "").assert(202, "");
    respond(&app, "GET", "/", &[], "").assert(202, "");
    drop(app);
    let kept = std::mem::take(&mut *kept.lock().unwrap());
    assert_eq!(kept.len(), 2);
    for (req, next) in kept {
        let mut response = tide::runtime::block_on(next.run(req));
        assert_eq!(response.status(), 200);
        assert_eq!(response.header("x-trail").unwrap(), "inner");
        let body = tide::runtime::block_on(response.take_body().bytes()).unwrap();
        assert_eq!(body, "later");
    }
}
