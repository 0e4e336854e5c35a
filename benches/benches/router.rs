//! tide's routing and middleware cost, in-process (no socket, no reactor).
//!
//! The app has 300 routes: 50 resources, each with a literal, a parameter, a deep parameter,
//! a nested literal and a wildcard route, like a mid-sized REST API. One iteration answers
//! one request with `App::respond`, driven by `futures::executor::block_on` on the bench
//! thread (none of these handlers waits for I/O); building the `http::Request` is outside the
//! measured time. `routing/*` measures finding the route (a literal, a parameter, two
//! parameters, a wildcard, and a miss that backtracks before it answers 404), with the one
//! built-in middleware every app has; `stack/*` measures a whole request through three
//! middleware and a handler that answers JSON.
//!
//! Run with `cargo bench -p benches --bench router`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput};
use futures::executor::block_on;
use tide::{Body, Json, Next, Request, StatusCode};

/// Resources in the routing app; each has [`ROUTES_PER_RESOURCE`] routes.
const RESOURCES: usize = 50;
/// Routes per resource.
const ROUTES_PER_RESOURCE: usize = 6;

/// The requests `routing/*` measures: a name, a path, and the status it must get.
const CASES: &[(&str, &str, u16)] = &[
    ("literal", "/r25/new", 200),
    ("param", "/r25/42", 200),
    ("deep_param", "/r25/42/items/7", 200),
    ("wildcard", "/r25/files/docs/2024/report.pdf", 200),
    ("not_found", "/r25/42/nope/x", 404),
];

fn main() {
    let mut c = Criterion::default().configure_from_args();

    let app = routing_app();
    let mut group = c.benchmark_group(format!(
        "routing/{}_routes",
        RESOURCES * ROUTES_PER_RESOURCE
    ));
    configure(&mut group);
    for &(name, path, status) in CASES {
        assert_eq!(block_on(app.respond(get(path))).status(), status, "{path}");
        group.bench_function(name, |b| {
            b.iter_batched(
                || get(path),
                |request| block_on(app.respond(black_box(request))),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();

    let app = stack_app();
    let mut group = c.benchmark_group("stack");
    configure(&mut group);
    assert_eq!(block_on(app.respond(get("/users/7"))).status(), 200);
    group.bench_function("3_middleware_json", |b| {
        b.iter_batched(
            || get("/users/7"),
            |request| block_on(app.respond(black_box(request))),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    c.final_summary();
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
}

fn get(path: &str) -> http::Request<Body> {
    http::Request::get(path)
        .body(Body::empty())
        .expect("a valid request")
}

/// 300 routes answering a fixed text.
fn routing_app() -> tide::App<()> {
    let mut app = tide::new();
    for r in 0..RESOURCES {
        let base = format!("/r{r}");
        let routes = [
            base.clone(),
            format!("{base}/new"),
            format!("{base}/:id"),
            format!("{base}/:id/edit"),
            format!("{base}/:id/items/:item"),
            format!("{base}/files/*path"),
        ];
        assert_eq!(routes.len(), ROUTES_PER_RESOURCE);
        for route in routes {
            app.at(&route).get(|_| async { Ok("ok") });
        }
    }
    app
}

/// `GET /users/:id` behind three middleware: one that tags the request, one that checks a
/// header the way an auth layer would, and one that adds a response header.
fn stack_app() -> tide::App<()> {
    let mut app = tide::new();
    app.with(|mut req: Request<()>, next: Next<()>| async move {
        req.insert_ext(7_u64);
        Ok(next.run(req).await)
    });
    app.with(|req: Request<()>, next: Next<()>| async move {
        if req.header("x-banned").is_some() {
            return Ok(tide::Response::new(StatusCode::FORBIDDEN));
        }
        Ok(next.run(req).await)
    });
    app.with(|req: Request<()>, next: Next<()>| async move {
        let mut response = next.run(req).await;
        response.insert_header("x-served-by", "tide");
        Ok(response)
    });
    app.at("/users/:id").get(|req: Request<()>| async move {
        let id: u64 = req.param_as("id")?;
        let admin = req.ext::<u64>() == Some(&id);
        Ok(Json(BTreeMap::from([
            ("id", id.to_string()),
            ("name", "ferris".to_owned()),
            ("admin", admin.to_string()),
        ])))
    });
    app
}
